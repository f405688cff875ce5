#pragma once
// Drift and 1/f read-noise time laws shared by the PCM models (IBM, HERMES).
// Time convention (aihwkit): t_s counts from the end of programming and the
// physics sees t = t_s + t0, so a read right after programming has no drift
// but already the 1/f noise integrated from t_read to t0.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kit/fastmath.h"
#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::arrays {

struct PcmTimes {
  double t0_s = 20.0;        // drift reference time
  double t_read_s = 250e-9;  // read duration in the 1/f integral

  static PcmTimes from_json(const kit::Json& j) {
    return {j.at("drift_t0_s").get<double>(), j.at("t_read_s").get<double>()};
  }
};

inline void add_pcm_time_params(std::vector<kit::ParamInfo>& params, const PcmTimes& d) {
  params.push_back(kit::positive_param("drift_t0_s", d.t0_s, "s", "drift reference time t0"));
  params.push_back(
      kit::positive_param("t_read_s", d.t_read_s, "s", "read time in the 1/f noise law"));
}

// g(t) = g_prog·((t_s + t0)/t0)^(−ν).
inline double pcm_drift(double g_prog_us, double nu, double t_s, const PcmTimes& t) {
  if (t_s <= 0) return g_prog_us;
  return g_prog_us * kit::exp_fast(-nu * kit::log_fast((t_s + t.t0_s) / t.t0_s));
}

// sqrt(ln((t + t_read)/(2 t_read))) with t = t_s + t0.
inline double pcm_one_over_f_factor(double t_s, const PcmTimes& t) {
  const double te = std::max(t_s, 0.0) + t.t0_s;
  return std::sqrt(std::max(std::log((te + t.t_read_s) / (2.0 * t.t_read_s)), 0.0));
}

}  // namespace xbarsim::arrays
