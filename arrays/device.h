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
#include <span>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::arrays {

// Parameters every device variant has (appended to each variant's table).
struct DeviceCommon {
  double g_min_us = 0.0;            // conductance of the lowest programmable level (HRS)
  double g_max_us = 1.0;            // conductance of the highest level (LRS)
  int levels = 0;                   // programmable levels; 0 = analog (continuous)
  double d2d_window_sigma = 0.0;    // relative σ of each device's g_max
  double stuck_lrs_fraction = 0.0;  // cells stuck at the device's g_max
  double stuck_hrs_fraction = 0.0;  // cells stuck at g_min
  double verify_tolerance =
      0.0;             // write-verify accepts |g−target| ≤ tol·(g_max−g_min); 0 = open loop
  int max_pulses = 1;  // write-verify pulse budget per cell
  double v_write_v = 1.0;     // programming pulse amplitude
  double t_write_ns = 50.0;   // programming pulse width
  double t_verify_ns = 10.0;  // verify read after each pulse
  double iv_v0_v = 0.0;       // nonlinear read I = G·V0·sinh(V/V0); 0 = ohmic

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

  // All methods work on whole arrays of devices (spans of equal length), so
  // a variant's per-device law is inlined into one vectorisable loop.
  // σ (µS) of the conductance one programming pulse reaches when aimed at g_target_us.
  virtual void program_sigma_us(std::span<const double> g_target_us,
                                std::span<double> sigma_us) const = 0;
  // Drift exponent of devices programmed towards g_target_us, from one normal
  // draw each taken at programming. 0 for devices that do not drift.
  virtual void drift_nu(std::span<const double> g_target_us, std::span<const double> xi,
                        std::span<double> nu) const = 0;
  // Conductance t_s after programming of devices programmed to g_prog_us with
  // drift exponents nu; xi is each device's fixed draw for relaxation.
  virtual void conductance_at(std::span<const double> g_prog_us, std::span<const double> nu,
                              std::span<const double> xi, double t_s,
                              std::span<double> g_us) const = 0;
  // σ (µS) of one read, t_s after programming, of devices programmed to
  // g_prog_us whose conductance is now g_us.
  virtual void read_sigma_us(std::span<const double> g_prog_us, std::span<const double> g_us,
                             double t_s, std::span<double> sigma_us) const = 0;
  // True when conductance_at returns g_prog unchanged (lets callers skip work).
  virtual bool is_static() const = 0;

 private:
  DeviceCommon common_;
};

// Implements the array interface from a variant's inline per-device laws.
// Derived defines program_sigma_one(g_target) and, where it has them,
// drift_nu_one(g_target, xi), conductance_at_one(g_prog, nu, xi, t),
// read_sigma_one(g_prog, g, t) and kStatic = false; the defaults below
// describe a device that neither drifts nor has read noise.
template <class Derived>
class DeviceModel : public Device {
 public:
  using Device::Device;

  void program_sigma_us(std::span<const double> g, std::span<double> out) const final {
    for (std::size_t k = 0; k < g.size(); ++k) out[k] = self().program_sigma_one(g[k]);
  }
  void drift_nu(std::span<const double> g, std::span<const double> xi,
                std::span<double> out) const final {
    for (std::size_t k = 0; k < g.size(); ++k) out[k] = self().drift_nu_one(g[k], xi[k]);
  }
  void conductance_at(std::span<const double> g, std::span<const double> nu,
                      std::span<const double> xi, double t_s, std::span<double> out) const final {
    for (std::size_t k = 0; k < g.size(); ++k) {
      out[k] = self().conductance_at_one(g[k], nu[k], xi[k], t_s);
    }
  }
  void read_sigma_us(std::span<const double> g_prog, std::span<const double> g, double t_s,
                     std::span<double> out) const final {
    for (std::size_t k = 0; k < g.size(); ++k) out[k] = self().read_sigma_one(g_prog[k], g[k], t_s);
  }
  bool is_static() const final { return Derived::kStatic; }

  // Defaults, hidden by Derived's own definitions.
  static constexpr bool kStatic = true;
  double drift_nu_one(double, double) const { return 0.0; }
  double conductance_at_one(double g_prog, double, double, double) const { return g_prog; }
  double read_sigma_one(double, double, double) const { return 0.0; }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

// Evaluates c0 + c1·x + c2·x² + ... (coefficients low order first).
inline double polyval_low_first(std::span<const double> coeffs, double x) {
  double acc = 0.0;
  for (std::size_t k = coeffs.size(); k-- > 0;) acc = acc * x + coeffs[k];
  return acc;
}

}  // namespace xbarsim::arrays
