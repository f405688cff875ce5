#pragma once
// A resistive device model: its conductance window and levels, how
// programming misses its target, how a programmed state drifts or relaxes,
// how noisy a read is, and the device-to-device and fault statistics shared
// by every variant.
//
// Contract: conductances in microsiemens (µS), times in seconds since
// programming finished; every method is const and thread-safe; randomness
// arrives as explicit standard-normal draws (xi), never from inside.
#include <memory>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::arrays {

// Parameters every device variant has (appended to each variant's table).
struct DeviceCommon {
  double g_min_us = 0.0;  // conductance of the lowest programmable level (HRS)
  double g_max_us = 1.0;  // conductance of the highest level (LRS)
  int levels = 0;         // programmable levels; 0 = analog (continuous)
  double d2d_window_sigma = 0.0;     // relative σ of each device's g_max
  double stuck_lrs_fraction = 0.0;   // cells stuck at the device's g_max
  double stuck_hrs_fraction = 0.0;   // cells stuck at g_min
  double verify_tolerance = 0.0;     // write-verify accepts |g−target| ≤ tol·(g_max−g_min); 0 = open loop
  int max_pulses = 1;                // write-verify pulse budget per cell
  double v_write_v = 1.0;            // programming pulse amplitude
  double t_write_ns = 50.0;          // programming pulse width
  double t_verify_ns = 10.0;         // verify read after each pulse
  double iv_v0_v = 0.0;              // nonlinear read I = G·V0·sinh(V/V0); 0 = ohmic

  static std::vector<kit::ParamInfo> params(const DeviceCommon& defaults);
  static DeviceCommon from_json(const kit::Json& resolved, const std::string& path);
  double range_us() const { return g_max_us - g_min_us; }
};

class Device {
 public:
  explicit Device(DeviceCommon common) : common_(common) {}
  virtual ~Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const DeviceCommon& common() const { return common_; }

  // σ (µS) of the conductance one programming pulse reaches when aimed at g_target_us.
  virtual double program_sigma_us(double g_target_us) const = 0;
  // Drift exponent of a device programmed towards g_target_us, from one
  // normal draw taken at programming. 0 for devices that do not drift.
  virtual double drift_nu(double g_target_us, double xi) const;
  // Conductance t_s after programming of a device programmed to g_prog_us with
  // drift exponent nu; xi is the device's fixed draw for relaxation.
  virtual double conductance_at(double g_prog_us, double nu, double t_s, double xi) const;
  // σ (µS) of one read, t_s after programming, of a device programmed to
  // g_prog_us whose conductance is now g_us.
  virtual double read_sigma_us(double g_prog_us, double g_us, double t_s) const;
  // True when conductance_at ignores xi and nu (lets callers skip work).
  virtual bool is_static() const { return true; }

 private:
  DeviceCommon common_;
};

// Evaluates c0 + c1·x + c2·x² + ... (coefficients low order first).
double polyval_low_first(const std::vector<double>& coeffs, double x);

}  // namespace xbarsim::arrays
