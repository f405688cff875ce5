#pragma once
// Column output analog-to-digital conversion: what it does to the numbers
// (range, quantization, per-instance errors) and what it costs.
//
// Contract: an ADC converts one analog column signal a (in µS·v_read units:
// the column current divided by v_read) against a full scale r > 0 into one
// of 2^bits codes and returns the code's value in the same units. Order:
//   a' = gain·a + offset + noise   (per-instance gain and offset, per-conversion noise)
//   clipped when |a'| > r
//   bits >= 2: mid-tread, code = clamp(round(a'/Δ), -2^(b-1), 2^(b-1)-1), Δ = r/2^(b-1),
//              code boundaries moved by the instance's INL (threshold offsets);
//   bits == 1: a comparator, value ±r/2 by the sign of a'.
// Instance errors are drawn once per instance from an explicit stream.
// An AdcBank is read-only after construction; convert() is thread-safe.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/rng.h"

namespace xbarsim::peripherals {

// Where the full scale comes from: the worst case the array can produce, a
// percentile of the signals seen on calibration inputs, or a fixed current.
enum class AdcRange { kFullScale, kCalibrated, kFixed };

struct AdcSpec {
  std::string impl = "ideal";
  int bits = 8;
  AdcRange range = AdcRange::kFullScale;
  double full_scale_ua = 100.0;  // range "fixed": |current| at the top code
  double percentile = 99.9;      // range "calibrated": of |signal|
  bool per_column = false;       // calibrated range per column (else per array)
  double offset_sigma_lsb = 0, gain_sigma = 0, inl_sigma_lsb = 0, noise_sigma_lsb = 0;
  int share_columns = 1;  // columns multiplexed onto one ADC
  // Rate and resolution for the variants' cost models (the rest of each
  // variant's cited figures are its own parameters).
  double f_s_hz = 1e9;  // conversions per second of one ADC
  double enob = 0;      // effective bits for the energy model (0 = bits)

  static std::vector<kit::ParamInfo> common_params();
  static AdcSpec from_json(const kit::Json& resolved, const std::string& path);
  bool ideal() const { return impl == "ideal"; }
};

struct AdcCost {
  double energy_pj = 0;  // per conversion
  double t_conv_ns = 0;  // per conversion of one ADC
  double area_um2 = 0;   // per ADC
};

class Adc {
 public:
  explicit Adc(AdcSpec spec) : spec_(std::move(spec)) {}
  virtual ~Adc() = default;
  Adc(const Adc&) = delete;
  Adc& operator=(const Adc&) = delete;

  // Energy, time and area of one ADC at a technology node (nm).
  virtual AdcCost cost(double node_nm) const = 0;
  // Energy of one conversion that integrates `planes` read cycles over
  // `steps` pulses (the DAC's ConversionShape); most ADCs ignore both.
  virtual double conversion_pj(double node_nm, double /*planes*/, double /*steps*/) const {
    return cost(node_nm).energy_pj;
  }
  const AdcSpec& spec() const { return spec_; }

 private:
  AdcSpec spec_;
};

// The ADCs of one crossbar's columns: instance k serves columns
// [k·share, (k+1)·share). Holds each instance's drawn errors.
class AdcBank {
 public:
  AdcBank(const AdcSpec& spec, std::size_t columns, const kit::Stream& errors);

  // Converts signals a[n] of column `col` in place against full scale r;
  // noise draws are values noise_offset + n of `noise` (used only with
  // noise_sigma_lsb > 0). Returns how many were clipped.
  std::size_t convert(std::span<float> a, std::size_t col, float r, const kit::Stream& noise,
                      std::uint64_t noise_offset) const;

 private:
  int bits_;
  std::size_t share_;
  float noise_lsb_;
  std::vector<float> gain_, offset_lsb_;
  std::vector<float> thresholds_;  // INL: per instance, 2^bits - 1 boundary offsets (LSB)
};

}  // namespace xbarsim::peripherals
