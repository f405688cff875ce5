#include "arrays/device.h"

#include <fmt/format.h>

#include "core/kit/error.h"

namespace xbarsim::arrays {

std::vector<kit::ParamInfo> DeviceCommon::params(const DeviceCommon& d) {
  using namespace kit;
  return {
      number_param("g_min_us", d.g_min_us, "uS", "lowest programmable conductance (HRS)", 0.0),
      positive_param("g_max_us", d.g_max_us, "uS", "highest programmable conductance (LRS)"),
      int_param("levels", d.levels, 0, 1 << 16, "programmable levels (0 = analog; else >= 2)"),
      number_param("d2d_window_sigma", d.d2d_window_sigma, "",
                   "device-to-device relative sigma of g_max", 0.0, 1.0),
      number_param("stuck_lrs_fraction", d.stuck_lrs_fraction, "",
                   "fraction of cells stuck at LRS (g_max)", 0.0, 1.0),
      number_param("stuck_hrs_fraction", d.stuck_hrs_fraction, "",
                   "fraction of cells stuck at HRS (g_min)", 0.0, 1.0),
      number_param("verify_tolerance", d.verify_tolerance, "",
                   "write-verify acceptance |g-target| <= tol*(g_max-g_min); 0 = open loop", 0.0,
                   1.0),
      int_param("max_pulses", d.max_pulses, 1, 1000, "write-verify pulse budget per cell"),
      positive_param("v_write_v", d.v_write_v, "V", "programming pulse amplitude"),
      positive_param("t_write_ns", d.t_write_ns, "ns", "programming pulse width"),
      number_param("t_verify_ns", d.t_verify_ns, "ns", "verify read after each pulse", 0.0),
      number_param("iv_v0_v", d.iv_v0_v, "V", "nonlinear read I = G*V0*sinh(V/V0); 0 = ohmic", 0.0),
  };
}

DeviceCommon DeviceCommon::from_json(const kit::Json& j, const std::string& path) {
  DeviceCommon d;
  d.g_min_us = j.at("g_min_us").get<double>();
  d.g_max_us = j.at("g_max_us").get<double>();
  d.levels = j.at("levels").get<int>();
  d.d2d_window_sigma = j.at("d2d_window_sigma").get<double>();
  d.stuck_lrs_fraction = j.at("stuck_lrs_fraction").get<double>();
  d.stuck_hrs_fraction = j.at("stuck_hrs_fraction").get<double>();
  d.verify_tolerance = j.at("verify_tolerance").get<double>();
  d.max_pulses = j.at("max_pulses").get<int>();
  d.v_write_v = j.at("v_write_v").get<double>();
  d.t_write_ns = j.at("t_write_ns").get<double>();
  d.t_verify_ns = j.at("t_verify_ns").get<double>();
  d.iv_v0_v = j.at("iv_v0_v").get<double>();
  if (!(d.g_min_us < d.g_max_us)) {
    throw kit::ConfigError(
        path, fmt::format("g_min_us ({:g}) must be below g_max_us ({:g})", d.g_min_us, d.g_max_us));
  }
  if (d.levels == 1) {
    throw kit::ConfigError(kit::join_path(path, "levels"),
                           "1 is out of range; use 0 (analog) or at least 2 levels");
  }
  if (d.stuck_lrs_fraction + d.stuck_hrs_fraction > 1.0) {
    throw kit::ConfigError(path, "stuck_lrs_fraction + stuck_hrs_fraction exceeds 1");
  }
  return d;
}

}  // namespace xbarsim::arrays
