#pragma once
// How a device's state answers one programming pulse: the update law that
// in-situ training drives, pulse by pulse. Each law (constant step, linear
// step, soft bounds, exponential step, power step, NeuroSim's LTP/LTD curve,
// piecewise from measured points) is one file in updates/; what every law
// shares is here: step size and its device-to-device spread, up/down
// asymmetry, per-device bounds, cycle-to-cycle noise, stuck devices, and the
// conductance window and pulse that price each pulse.
//
// Contract: a device's state w is in weight units inside its own bounds
// [w_min_k, w_max_k] (the in-situ layer's weight is the state, aihwkit's
// convention); a pulse of direction +1 (potentiation, SET) moves w up by the
// law's step at w, -1 (depression, RESET) down, times (1 + dw_min_std·ξ)
// (multiplicative cycle-to-cycle noise) or plus dw_min_std·dw_min·ξ
// (additive), then clipped to the bounds. Per-device parameters are drawn
// once from an explicit stream; pulses take explicit standard-normal draws.
// Conductance g = g_min + (w − w_min_k)/(w_max_k − w_min_k)·(g_max − g_min)
// in µS. Const methods are thread-safe.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/rng.h"

namespace xbarsim::arrays {

// Parameters every update law has (appended to each law's table).
struct UpdateCommon {
  double dw_min = 0.001;      // mean step of one pulse at w = 0 (weight units)
  double dw_min_dtod = 0.3;   // device-to-device relative σ of the step
  double dw_min_std = 0.3;    // cycle-to-cycle σ of each pulse's step
  bool additive_c2c = false;  // c2c noise added (σ·dw_min) instead of multiplied
  double up_down = 0.0;  // mean asymmetry r: up steps × (1 + min(r, 0)), down × (1 − max(r, 0))
  double up_down_dtod = 0.01;                 // device-to-device σ of r
  double w_min = -0.6, w_max = 0.6;           // mean bounds of the state
  double w_min_dtod = 0.3, w_max_dtod = 0.3;  // relative device-to-device σ of the bounds
  double stuck_fraction = 0.0;                // devices that do not move at all
  double endurance_pulses = 0.0;              // pulses a device survives (0 = not known)
  // Write noise (aihwkit's write_noise_std): a read sees the state plus
  // write_noise_std·dw_min·ξ, drawn afresh each time the device is written.
  double write_noise_std = 0.0;
  // Decay once per update (aihwkit's lifetime): w ← (w − r)·(1 − 1/τ) + r
  // with τ = lifetime·(1 + lifetime_dtod·ξ) per device (0 = none).
  double lifetime = 0.0, lifetime_dtod = 0.0;
  // Reset (a pair's refresh): w ← r + reset_std·ξ, r = reset + reset_dtod·ξ per device.
  double reset = 0.0, reset_dtod = 0.0, reset_std = 0.01;
  // What a pulse costs: conductance window, pulse amplitudes and widths.
  double g_min_us = 1.0, g_max_us = 100.0;
  double v_set_v = 1.0, v_reset_v = 1.0, t_set_ns = 50.0, t_reset_ns = 50.0;

  // The table with defaults; a law that sets some of them itself (from its
  // own parameters) leaves them out, and from_json keeps the defaults for
  // keys the node lacks.
  static std::vector<kit::ParamInfo> params(const UpdateCommon& defaults,
                                            const std::vector<std::string>& without = {});
  static UpdateCommon from_json(const kit::Json& resolved, const std::string& path,
                                UpdateCommon defaults);
  static UpdateCommon from_json(const kit::Json& resolved, const std::string& path) {
    return from_json(resolved, path, UpdateCommon());
  }
};

// The devices of one array, in structure-of-arrays form: what each drew.
struct UpdateDevices {
  std::vector<double> scale_up, scale_down;  // step at w = 0 (before the law's shape)
  std::vector<double> w_min, w_max;          // bounds
  std::vector<double> a, b;                  // the law's own per-device draws (if any)
  std::vector<double> decay;                 // 1 − 1/τ per update (empty: no decay)
  std::vector<double> reset_to;              // reset level r
  std::size_t size() const { return w_min.size(); }
};

// One update law.
class UpdateModel {
 public:
  explicit UpdateModel(UpdateCommon common) : common_(common) {}
  virtual ~UpdateModel() = default;
  UpdateModel(const UpdateModel&) = delete;
  UpdateModel& operator=(const UpdateModel&) = delete;

  const UpdateCommon& common() const { return common_; }
  // Draws n devices' parameters from `stream` (value k·8 + j for device k).
  UpdateDevices draw(std::size_t n, const kit::Stream& stream) const;
  // Mean step (signed) one pulse of direction dir gives device k at state w,
  // before cycle-to-cycle noise and clipping.
  virtual double mean_step(const UpdateDevices& d, std::size_t k, double w, int dir) const = 0;
  // One pulse of direction dir (±1) on device k at state w with the c2c draw
  // xi: the new state.
  virtual double pulse(const UpdateDevices& d, std::size_t k, double w, int dir, double xi) const;
  // Conductance (µS) of device k at state w.
  double conductance_us(const UpdateDevices& d, std::size_t k, double w) const;
  // Energy (pJ) of one pulse of direction dir on a device of conductance g.
  double pulse_energy_pj(double g_us, int dir) const;
  double pulse_ns(int dir) const { return dir > 0 ? common_.t_set_ns : common_.t_reset_ns; }
  // One update's decay of device k at state w (w when the law has none).
  double decay(const UpdateDevices& d, std::size_t k, double w) const;
  // Device k reset, with the c2c draw xi.
  double reset(const UpdateDevices& d, std::size_t k, double xi) const;
  // σ of the write noise a read sees (weight units).
  double write_noise() const { return common_.write_noise_std * common_.dw_min; }

 protected:
  // The law's own per-device draws (a, b), value k·8 + 4.. of stream.
  virtual void draw_law(UpdateDevices&, const kit::Stream&) const {}

 private:
  UpdateCommon common_;
};

}  // namespace xbarsim::arrays
