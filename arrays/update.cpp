#include "arrays/update.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"

namespace xbarsim::arrays {

std::vector<kit::ParamInfo> UpdateCommon::params(const UpdateCommon& d,
                                                 const std::vector<std::string>& without) {
  using namespace kit;
  std::vector<ParamInfo> all = {
      positive_param("dw_min", d.dw_min, "", "mean step of one pulse at w = 0 (weight units)"),
      number_param("dw_min_dtod", d.dw_min_dtod, "",
                   "device-to-device relative sigma of the step size", 0.0, 10.0),
      number_param("dw_min_std", d.dw_min_std, "",
                   "cycle-to-cycle sigma of each pulse's step (relative; see additive_c2c)", 0.0,
                   10.0),
      bool_param("additive_c2c", d.additive_c2c,
                 "cycle-to-cycle noise added as dw_min_std*dw_min*xi instead of multiplying the "
                 "step by (1 + dw_min_std*xi)"),
      number_param("up_down", d.up_down, "",
                   "up/down asymmetry r: up steps scaled by 1 + min(r, 0), down steps by "
                   "1 - max(r, 0)",
                   -1.0, 1.0),
      number_param("up_down_dtod", d.up_down_dtod, "", "device-to-device sigma of up_down", 0.0,
                   10.0),
      number_param("w_min", d.w_min, "", "mean lower bound of the state (weight units)", -1e6, 0.0),
      number_param("w_max", d.w_max, "", "mean upper bound of the state (weight units)", 0.0, 1e6),
      number_param("w_min_dtod", d.w_min_dtod, "", "device-to-device relative sigma of w_min", 0.0,
                   10.0),
      number_param("w_max_dtod", d.w_max_dtod, "", "device-to-device relative sigma of w_max", 0.0,
                   10.0),
      number_param("stuck_fraction", d.stuck_fraction, "",
                   "devices that never move (stuck at their initial state)", 0.0, 1.0),
      number_param("endurance_pulses", d.endurance_pulses, "",
                   "pulses a device survives, for the endurance report (0 = not known)", 0.0),
      number_param("write_noise_std", d.write_noise_std, "",
                   "write noise in units of dw_min: reads see the state plus this*dw_min*xi, "
                   "drawn afresh whenever the device is written (aihwkit's write_noise_std)",
                   0.0, 1e4),
      number_param("lifetime", d.lifetime, "updates",
                   "decay once per update, w <- (w - reset)*(1 - 1/lifetime) + reset "
                   "(0 = no decay; aihwkit's lifetime)",
                   0.0),
      number_param("lifetime_dtod", d.lifetime_dtod, "",
                   "device-to-device relative sigma of lifetime", 0.0, 10.0),
      number_param("reset", d.reset, "", "state a reset (a pair's refresh) and the decay return to",
                   -1e6, 1e6),
      number_param("reset_dtod", d.reset_dtod, "", "device-to-device sigma of reset", 0.0, 1e6),
      number_param("reset_std", d.reset_std, "", "cycle-to-cycle sigma of each reset", 0.0, 1e6),
      number_param("g_min_us", d.g_min_us, "uS", "conductance at the lower bound", 0.0),
      positive_param("g_max_us", d.g_max_us, "uS", "conductance at the upper bound"),
      positive_param("v_set_v", d.v_set_v, "V", "potentiation (SET) pulse amplitude"),
      positive_param("v_reset_v", d.v_reset_v, "V", "depression (RESET) pulse amplitude"),
      positive_param("t_set_ns", d.t_set_ns, "ns", "potentiation pulse width"),
      positive_param("t_reset_ns", d.t_reset_ns, "ns", "depression pulse width"),
  };
  std::erase_if(all, [&](const ParamInfo& p) {
    return std::find(without.begin(), without.end(), p.name) != without.end();
  });
  return all;
}

UpdateCommon UpdateCommon::from_json(const kit::Json& j, const std::string& path, UpdateCommon c) {
  c.dw_min = j.value("dw_min", c.dw_min);
  c.dw_min_dtod = j.value("dw_min_dtod", c.dw_min_dtod);
  c.dw_min_std = j.value("dw_min_std", c.dw_min_std);
  c.additive_c2c = j.value("additive_c2c", c.additive_c2c);
  c.up_down = j.value("up_down", c.up_down);
  c.up_down_dtod = j.value("up_down_dtod", c.up_down_dtod);
  c.w_min = j.value("w_min", c.w_min);
  c.w_max = j.value("w_max", c.w_max);
  c.w_min_dtod = j.value("w_min_dtod", c.w_min_dtod);
  c.w_max_dtod = j.value("w_max_dtod", c.w_max_dtod);
  c.stuck_fraction = j.value("stuck_fraction", c.stuck_fraction);
  c.endurance_pulses = j.value("endurance_pulses", c.endurance_pulses);
  c.write_noise_std = j.value("write_noise_std", c.write_noise_std);
  c.lifetime = j.value("lifetime", c.lifetime);
  c.lifetime_dtod = j.value("lifetime_dtod", c.lifetime_dtod);
  c.reset = j.value("reset", c.reset);
  c.reset_dtod = j.value("reset_dtod", c.reset_dtod);
  c.reset_std = j.value("reset_std", c.reset_std);
  if (c.lifetime > 0 && c.lifetime <= 1) {
    throw kit::ConfigError(kit::join_path(path, "lifetime"),
                           fmt::format("{:g} updates would erase every device in one update; "
                                       "give more than 1 (or 0 for no decay)",
                                       c.lifetime));
  }
  c.g_min_us = j.value("g_min_us", c.g_min_us);
  c.g_max_us = j.value("g_max_us", c.g_max_us);
  c.v_set_v = j.value("v_set_v", c.v_set_v);
  c.v_reset_v = j.value("v_reset_v", c.v_reset_v);
  c.t_set_ns = j.value("t_set_ns", c.t_set_ns);
  c.t_reset_ns = j.value("t_reset_ns", c.t_reset_ns);
  if (!(c.w_min < c.w_max)) {
    throw kit::ConfigError(
        path, fmt::format("w_min ({:g}) must be below w_max ({:g})", c.w_min, c.w_max));
  }
  if (!(c.g_min_us < c.g_max_us)) {
    throw kit::ConfigError(
        path, fmt::format("g_min_us ({:g}) must be below g_max_us ({:g})", c.g_min_us, c.g_max_us));
  }
  if (c.dw_min >= c.w_max - c.w_min) {
    throw kit::ConfigError(kit::join_path(path, "dw_min"),
                           fmt::format("{:g} is not below the state range w_max - w_min = {:g}; "
                                       "one pulse would cross the whole window",
                                       c.dw_min, c.w_max - c.w_min));
  }
  return c;
}

UpdateDevices UpdateModel::draw(std::size_t n, const kit::Stream& stream) const {
  const UpdateCommon& c = common_;
  UpdateDevices d;
  d.scale_up.resize(n);
  d.scale_down.resize(n);
  d.w_min.resize(n);
  d.w_max.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t base = 8 * static_cast<std::uint64_t>(k);
    // One gain for both directions; the asymmetry r enters them with
    // opposite signs, and its mean shrinks only one direction (aihwkit's
    // PulsedRPUDevice::populate).
    const double gain = 1.0 + c.dw_min_dtod * stream.normal_at(base);
    const double r = c.up_down_dtod * stream.normal_at(base + 1);
    const double up = std::min(c.up_down, 0.0) + gain + r;
    const double down = -std::max(c.up_down, 0.0) + gain - r;
    d.scale_up[k] = std::abs(up) * c.dw_min;
    d.scale_down[k] = std::abs(down) * c.dw_min;
    // Bounds keep their sign: a device's window always contains 0.
    d.w_min[k] = -std::abs(c.w_min * (1.0 + c.w_min_dtod * stream.normal_at(base + 2)));
    d.w_max[k] = std::abs(c.w_max * (1.0 + c.w_max_dtod * stream.normal_at(base + 3)));
    if (c.stuck_fraction > 0 && stream.uniform_at(base + 7) < c.stuck_fraction) {
      d.scale_up[k] = d.scale_down[k] = 0.0;
    }
  }
  // Decay and reset levels from their own substreams, so laws without them
  // draw exactly what they drew before.
  if (c.lifetime > 0) {
    const kit::Stream s = stream.substream(3);
    d.decay.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      const double tau = c.lifetime * (1.0 + c.lifetime_dtod * s.normal_at(k));
      d.decay[k] = tau > 1.0 ? 1.0 - 1.0 / tau : 0.0;  // aihwkit's rule for tau <= 1
    }
  }
  const kit::Stream s = stream.substream(4);
  d.reset_to.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    d.reset_to[k] = c.reset + (c.reset_dtod > 0 ? c.reset_dtod * s.normal_at(k) : 0.0);
  }
  draw_law(d, stream);
  return d;
}

double UpdateModel::decay(const UpdateDevices& d, std::size_t k, double w) const {
  if (d.decay.empty()) return w;
  const double r = d.reset_to[k];
  return std::clamp((w - r) * d.decay[k] + r, d.w_min[k], d.w_max[k]);
}

double UpdateModel::reset(const UpdateDevices& d, std::size_t k, double xi) const {
  return std::clamp(d.reset_to[k] + common_.reset_std * xi, d.w_min[k], d.w_max[k]);
}

double UpdateModel::pulse(const UpdateDevices& d, std::size_t k, double w, int dir,
                          double xi) const {
  const double step = mean_step(d, k, w, dir);
  if (step == 0.0) return w;  // a stuck device, or a law at its bound
  // Additive noise scales with the device's own step, not with the law's
  // state-dependent shape.
  const double scale = dir > 0 ? d.scale_up[k] : d.scale_down[k];
  const double noisy = common_.additive_c2c ? step + dir * common_.dw_min_std * scale * xi
                                            : step * (1.0 + common_.dw_min_std * xi);
  return std::clamp(w + noisy, d.w_min[k], d.w_max[k]);
}

double UpdateModel::conductance_us(const UpdateDevices& d, std::size_t k, double w) const {
  const double lo = d.w_min[k], hi = d.w_max[k];
  const double x = hi > lo ? std::clamp((w - lo) / (hi - lo), 0.0, 1.0) : 0.5;
  return common_.g_min_us + x * (common_.g_max_us - common_.g_min_us);
}

double UpdateModel::pulse_energy_pj(double g_us, int dir) const {
  const double v = dir > 0 ? common_.v_set_v : common_.v_reset_v;
  // V²·G·t: µS·V²·ns = 1e-15 J = 1e-3 pJ.
  return v * v * g_us * pulse_ns(dir) * 1e-3;
}

}  // namespace xbarsim::arrays
