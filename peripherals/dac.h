#pragma once
// Input digital-to-analog conversion: logical inputs become row voltages,
// in one read (multibit amplitude, pulse width) or several (bit-serial).
//
// Contract: inputs are batch x rows row-major floats in logical units. A DAC
// quantizes them to integer codes q in [-L, L] (L = levels()) against a full
// scale x_fs (the input that maps to v_read), then splits the codes into
// planes: row-voltage patterns in units of v_read (|v| <= 1). Planes are
// grouped; the array's responses to the planes of one group add up in the
// analog domain (charge on the integrator) and are converted once; groups are
// recombined digitally with their weights (shift-add):
//   q = Σ_g weight_g · Σ_{p in g} frac_p · v_p.
// Costs are per row driven per read cycle. Stateless; thread-safe.
#include <Eigen/Core>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::peripherals {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// How negative inputs reach the array: not at all (inputs must be >= 0), as
// negative voltages on the same read, or as a second read of the magnitudes
// of the negative entries subtracted digitally.
enum class SignedDrive { kNone, kDifferential, kTwoPhase };
// Where the full scale comes from: the batch's largest |x|, a fixed value,
// or a percentile of |x| over calibration inputs.
enum class DacRange { kBatchMax, kFixed, kCalibrated };

struct DacSpec {
  std::string impl = "ideal";
  int bits = 8;  // including the sign bit unless signed_drive is "none"
  SignedDrive signed_drive = SignedDrive::kDifferential;
  DacRange range = DacRange::kBatchMax;
  double full_scale = 1.0;    // logical input at v_read, for range "fixed"
  double percentile = 99.99;  // of |x| over calibration inputs, for range "calibrated"
  // Costs (cited defaults in each variant's table), at ref_node_nm.
  double energy_pj = 0;  // per row driven per read cycle
  double area_um2 = 0;   // per DAC (one per row)
  double ref_node_nm = 32;
  double t_cycle_ns = 0;  // added to the array read time per cycle (settling)
  double t_lsb_ns = 0;    // pwm: pulse width of one code step

  // Parameters every quantizing DAC shares (bits, signed drive, range), then
  // its cost figures at their reference node.
  static std::vector<kit::ParamInfo> common_params();
  static std::vector<kit::ParamInfo> cost_params(double energy_pj, double area_um2,
                                                 double ref_node_nm);
  static DacSpec from_json(const kit::Json& resolved, const std::string& path);
  bool analog() const { return impl == "ideal"; }
  // Largest code magnitude L (0 for the ideal DAC).
  long long levels() const;
  // Read phases per input vector (2 for two-phase signed drive).
  int phases() const { return signed_drive == SignedDrive::kTwoPhase ? 2 : 1; }
};

struct DacPlanes {
  RowMatrixF v;  // (planes · batch) x rows: plane p is rows [p·batch, (p+1)·batch)
  std::size_t batch = 0;
  std::vector<std::size_t> group;  // per plane
  std::vector<float> frac;         // per plane: share in its group's analog sum
  std::vector<double> weight;      // per group: digital weight, in input LSBs
  double lsb = 1.0;                // logical input per LSB
  // pwm: |v| is a pulse duration (fraction of the longest pulse) at full
  // v_read, not an amplitude; matters for the array energy.
  bool duration_coded = false;
  bool ternary = false;  // every entry of v is -1, 0 or 1 (bit-serial)
  // Packed (Dac::encode_packed): v is left empty; plane k is bit
  // plane_bits[k].second of the magnitudes of the signed integer codes
  // codes[plane_bits[k].first] (batch x rows, one matrix per phase), -1
  // where the code is negative.
  bool packed = false;
  std::vector<RowMatrixF> codes;
  std::vector<std::pair<std::size_t, int>> plane_bits;

  std::size_t planes() const { return frac.size(); }
  std::size_t groups() const { return weight.size(); }
};

// What one conversion integrates: how many planes (read cycles) and how
// many integration steps (pulses) — some ADCs (NeuRRAM's neuron) pay per
// sample and per step besides per output bit.
struct ConversionShape {
  double planes = 1, steps = 1;
};

struct DacCost {
  double energy_pj = 0;  // per row driven per read cycle
  double area_um2 = 0;   // per DAC
};

class Dac {
 public:
  explicit Dac(DacSpec spec) : spec_(std::move(spec)) {}
  virtual ~Dac() = default;
  Dac(const Dac&) = delete;
  Dac& operator=(const Dac&) = delete;

  // Quantizes x against x_fs and splits it into planes. linear_array: the
  // array responds linearly to the row voltages, so planes whose analog sum
  // is all that matters may be merged into one.
  virtual DacPlanes encode(const RowMatrixF& x, double x_fs, bool linear_array) const = 0;
  // Array read cycles per input vector (each a read of every crossbar).
  virtual std::size_t cycles() const = 0;
  // Conversions per input vector and column (groups of planes).
  virtual std::size_t conversions() const { return cycles(); }
  // Duration of one read cycle, given the array's read time.
  virtual double cycle_ns(double t_read_ns) const { return t_read_ns + spec_.t_cycle_ns; }
  // Time the array is read per input vector.
  virtual double read_ns(double t_read_ns) const {
    return static_cast<double>(cycles()) * cycle_ns(t_read_ns);
  }
  virtual ConversionShape conversion_shape() const { return {}; }
  // Time a driven row is at v_read in one read cycle (pulse-width DACs:
  // their longest pulse; others: the array's read time).
  virtual double on_time_ns(double t_read_ns) const { return t_read_ns; }
  // Every plane entry encode() gives is -1, 0 or 1 (DacPlanes::ternary), so
  // products with the planes can be looked up (core/tile/bit_table.h).
  virtual bool ternary_planes() const { return false; }
  // Whether encode_packed() is available: the same planes as encode() gives,
  // as integer codes and the bit each plane takes of them (a reader that
  // packs bits itself never writes the planes out as floats).
  virtual bool packs() const { return false; }
  virtual DacPlanes encode_packed(const RowMatrixF& x, double x_fs) const;
  // The digital weight of each conversion group in input LSBs (what the
  // shift-add scales its conversions by): encode's DacPlanes::weight, which
  // depends on the spec alone.
  std::vector<double> group_weights(bool linear_array) const;
  // Energy and area at a technology node (nm), scaled from ref_node_nm.
  DacCost cost(double node_nm) const;
  const DacSpec& spec() const { return spec_; }

 protected:
  // Integer codes of x (batch x rows), round to nearest, clipped to [-L, L]
  // (to [0, L] when signed_drive is "none"; negative inputs are refused then).
  RowMatrixF codes(const RowMatrixF& x, double x_fs) const;
  // Splits signed codes into phases: one plane of signed codes, or the
  // positive parts and the magnitudes of the negative parts.
  std::vector<RowMatrixF> phase_codes(const RowMatrixF& q) const;

 private:
  DacSpec spec_;
};

}  // namespace xbarsim::peripherals
