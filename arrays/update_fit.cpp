#include "arrays/update_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "arrays/updates/updates.h"
#include "core/kit/csv_table.h"
#include "core/kit/error.h"
#include "core/kit/stats.h"

namespace xbarsim::arrays {
namespace {

// One step: the state before it (w on [-1, 1]) and its change.
struct Step {
  double w, dw;
  std::size_t device;
};

struct Line {
  double alpha = 0, beta = 0;  // dw = alpha + beta·w
};

Line least_squares(const std::vector<Step>& s) {
  kit::LineFit f;
  for (const Step& p : s) f.add(p.w, p.dw);
  if (!f.has_slope()) return {f.mean_y(), 0.0};
  return {f.intercept(), f.slope()};
}

// Soft bounds of one direction from its steps: s (step at w = 0) and the
// bound b where the step vanishes.
struct Bound {
  double s = 0, b = 0;
};

Bound soft_bound(const std::vector<Step>& steps, int dir, const std::string& what) {
  const Line l = least_squares(steps);
  // dw = dir·s·(1 − w/b): alpha = dir·s, beta = −dir·s/b; both directions
  // shrink towards their bound, so beta < 0 and dir·alpha > 0.
  if (!(dir * l.alpha > 0) || !(l.beta < 0)) {
    throw kit::InputError(fmt::format(
        "{}: the {} steps do not shrink towards a bound (fitted step {:.4g} + {:.4g}·w); "
        "soft_bounds does not describe this device: try --model piecewise",
        what, dir > 0 ? "SET" : "RESET", l.alpha, l.beta));
  }
  return {std::abs(l.alpha), -l.alpha / l.beta};
}

// Asymmetry r from the up and down steps (arrays/update.h: the larger
// direction keeps dw_min).
double up_down(double up, double down) { return up >= down ? 1.0 - down / up : up / down - 1.0; }

// What every model's fit starts from: the steps of each direction on
// w in [-1, 1] over the data's conductance range [g_lo, g_hi].
struct FitData {
  std::vector<Step> up, down;
  double g_lo = 0, g_hi = 0;
  std::size_t devices = 0, n_max = 0;  // devices; the longest series' pulses
  std::string source;
  double g_of(double w) const { return g_lo + (w + 1.0) / 2.0 * (g_hi - g_lo); }
};

// Cycle-to-cycle σ of multiplicative noise, dw = m·(1 + σ·ξ):
// √(Σ(dw − m)²/Σm²), which steps near a bound (m → 0) cannot inflate; and
// the RMS residual.
template <class Predict>
std::pair<double, double> relative_sd(const std::vector<Step>& s, const Predict& predict) {
  double sq = 0, mm = 0;
  for (const Step& p : s) {
    const double m = predict(p.w);
    sq += (p.dw - m) * (p.dw - m);
    mm += m * m;
  }
  return {mm > 0 ? std::sqrt(sq / mm) : 0.0, std::sqrt(sq / static_cast<double>(s.size()))};
}

std::vector<Step> of_device(const std::vector<Step>& s, std::size_t dev) {
  std::vector<Step> out;
  for (const Step& p : s) {
    if (p.device == dev) out.push_back(p);
  }
  return out;
}

double rel_sd(const std::vector<double>& v) {
  const kit::Summary s = kit::summarize(v);
  return v.size() > 1 ? s.std / std::abs(s.mean) : 0.0;
}

void fit_soft_bounds(const FitData& f, kit::Json& preset, kit::Json& fit) {
  const auto& up = f.up;
  const auto& down = f.down;
  const std::string& source = f.source;
  const Bound bu = soft_bound(up, 1, source), bd = soft_bound(down, -1, source);
  const auto pu = [&](double w) { return bu.s * (1 - w / bu.b); };
  const auto pd = [&](double w) { return -bd.s * (1 - w / bd.b); };
  const auto [ru, rmsu] = relative_sd(up, pu);
  const auto [rd, rmsd] = relative_sd(down, pd);
  // Device-to-device spread from one fit per device (when there are several).
  std::vector<double> s_dev, bmax_dev, bmin_dev, r_dev;
  for (std::size_t dev = 0; dev < f.devices && f.devices > 1; ++dev) {
    const std::vector<Step> u = of_device(up, dev), d = of_device(down, dev);
    if (u.size() < 3 || d.size() < 3) continue;
    const Bound a = soft_bound(u, 1, source), b = soft_bound(d, -1, source);
    s_dev.push_back(std::max(a.s, b.s));
    bmax_dev.push_back(a.b);
    bmin_dev.push_back(b.b);
    r_dev.push_back(up_down(a.s, b.s));
  }
  const double dw_min = std::max(bu.s, bd.s);
  preset.update({{"dw_min", dw_min},
                 {"up_down", up_down(bu.s, bd.s)},
                 {"dw_min_std", std::sqrt(0.5 * (ru * ru + rd * rd))},
                 {"dw_min_dtod", rel_sd(s_dev)},
                 {"up_down_dtod", kit::summarize(r_dev).std},
                 {"w_min", bd.b},
                 {"w_max", bu.b},
                 {"w_min_dtod", rel_sd(bmin_dev)},
                 {"w_max_dtod", rel_sd(bmax_dev)},
                 {"g_min_us", std::max(f.g_of(bd.b), 0.0)},
                 {"g_max_us", f.g_of(bu.b)}});
  fit["rms_residual_w"] = {{"set", rmsu}, {"reset", rmsd}};
  fit["devices_fitted_alone"] = s_dev.size();
}

void fit_neurosim(const FitData& f, kit::Json& preset, kit::Json& fit) {
  const auto& up = f.up;
  const auto& down = f.down;
  const std::string& source = f.source;
  const int n = static_cast<int>(f.n_max);
  // x = (w + 1)/2 on the window; least squares over the signed A by a
  // scan on log |A| and a golden-section refinement.
  const auto sse = [&](const std::vector<Step>& s, int dir, double a) {
    double e = 0;
    for (const Step& p : s) {
      const double m = 2.0 * neurosim_step((p.w + 1) / 2, a, n, dir);
      e += (p.dw - m) * (p.dw - m);
    }
    return e;
  };
  const auto fit_a = [&](const std::vector<Step>& s, int dir) {
    double best = 0.0, best_e = sse(s, dir, 0.0);  // linear
    for (int sign : {1, -1}) {
      for (int k = 0; k <= 400; ++k) {
        const double a = sign * std::pow(10.0, -2.0 + 4.0 * k / 400.0);
        const double e = sse(s, dir, a);
        if (e < best_e) {
          best_e = e;
          best = a;
        }
      }
    }
    if (best == 0.0) return 0.0;
    double lo = std::log(std::abs(best)) - 0.03, hi = std::log(std::abs(best)) + 0.03;
    const double sign = best > 0 ? 1.0 : -1.0;
    for (int i = 0; i < 60; ++i) {
      const double m1 = lo + (hi - lo) * 0.382, m2 = lo + (hi - lo) * 0.618;
      if (sse(s, dir, sign * std::exp(m1)) < sse(s, dir, sign * std::exp(m2))) {
        hi = m2;
      } else {
        lo = m1;
      }
    }
    return sign * std::exp(0.5 * (lo + hi));
  };
  const double a_up = fit_a(up, 1), a_down = fit_a(down, -1);
  const double nl_up = neurosim_label(a_up), nl_down = neurosim_label(a_down);
  for (const double nl : {nl_up, nl_down}) {
    if (std::abs(nl) > 9.0) {
      throw kit::InputError(
          fmt::format("{}: the fitted curve's nonlinearity label {:.3g} is beyond NeuroSim's range "
                      "(|NL| <= 9): try --model piecewise",
                      source, nl));
    }
  }
  std::vector<double> res;
  for (const auto& [s, dir, a] : {std::tuple{&up, 1, a_up}, std::tuple{&down, -1, a_down}}) {
    for (const Step& p : *s) {
      res.push_back((p.dw - 2.0 * neurosim_step((p.w + 1) / 2, a, n, dir)) / 2.0);
    }
  }
  const double c2c = std::sqrt(std::inner_product(res.begin(), res.end(), res.begin(), 0.0) /
                               static_cast<double>(res.size()));
  preset.update({{"states", n},
                 {"nl_ltp", nl_up},
                 {"nl_ltd", nl_down},
                 {"c2c_sigma", c2c},
                 {"w_min", -1.0},
                 {"w_max", 1.0},
                 {"g_min_us", f.g_lo},
                 {"g_max_us", f.g_hi}});
  fit["a_norm"] = {{"ltp", a_up}, {"ltd", a_down}};
  fit["rms_residual_window_fraction"] = c2c;
}

void fit_piecewise(const FitData& f, std::size_t nodes, kit::Json& preset, kit::Json& fit) {
  const auto& up = f.up;
  const auto& down = f.down;
  const auto node_of = [&](double w) {
    return static_cast<std::size_t>(
        std::clamp(std::lround((w + 1.0) / 2.0 * static_cast<double>(nodes - 1)), 0L,
                   static_cast<long>(nodes - 1)));
  };
  std::vector<double> all;
  for (const auto* v : {&up, &down}) {
    for (const Step& p : *v) all.push_back(std::abs(p.dw));
  }
  const double dw_min = kit::summarize(all).mean;
  kit::Json lists = kit::Json::object();
  double rel_sq = 0;
  std::size_t rel_n = 0;
  for (const auto& [v, key] :
       {std::pair{&up, "piecewise_up"}, std::pair{&down, "piecewise_down"}}) {
    std::vector<double> sum(nodes, 0.0), count(nodes, 0.0);
    for (const Step& p : *v) {
      sum[node_of(p.w)] += std::abs(p.dw);
      count[node_of(p.w)] += 1;
    }
    std::vector<double> node(nodes, -1.0);
    for (std::size_t k = 0; k < nodes; ++k) {
      if (count[k] > 0) node[k] = sum[k] / count[k] / dw_min;
    }
    // Empty nodes take their nearest filled neighbour's value.
    for (std::size_t k = 0; k < nodes; ++k) {
      if (node[k] >= 0) continue;
      for (std::size_t d = 1; d < nodes; ++d) {
        if (k >= d && node[k - d] >= 0) {
          node[k] = node[k - d];
          break;
        }
        if (k + d < nodes && count[k + d] > 0) {
          node[k] = sum[k + d] / count[k + d] / dw_min;
          break;
        }
      }
    }
    for (const Step& p : *v) {
      const double m = node[node_of(p.w)] * dw_min;
      if (m > 0) {
        rel_sq += (std::abs(p.dw) - m) * (std::abs(p.dw) - m) / (m * m);
        ++rel_n;
      }
    }
    lists[key] = node;
  }
  preset.update(
      {{"dw_min", dw_min},
       {"dw_min_std", std::sqrt(rel_sq / static_cast<double>(std::max<std::size_t>(rel_n, 1)))},
       {"dw_min_dtod", 0.0},
       {"up_down", 0.0},
       {"up_down_dtod", 0.0},
       {"w_min", -1.0},
       {"w_max", 1.0},
       {"w_min_dtod", 0.0},
       {"w_max_dtod", 0.0},
       {"g_min_us", f.g_lo},
       {"g_max_us", f.g_hi},
       {"piecewise_up", lists["piecewise_up"]},
       {"piecewise_down", lists["piecewise_down"]}});
  fit["nodes"] = nodes;
}

// One direction of ExpStep on the fit's frame (a = 1, b = 0, so z = w):
// dir·dw = s·(1 − A·e^(γ·dir·w)). For a given γ this is linear in s and
// s·A; γ is found by a scan and a golden-section refinement of the SSE.
struct ExpDirection {
  double s = 0, a = 0, gamma = 0, sse = INFINITY;
};

ExpDirection exp_direction(const std::vector<Step>& steps, int dir, double gamma) {
  // Least squares of y = α − β·e with y = dir·dw, e = e^(γ·dir·w).
  kit::LineFit f;
  for (const Step& p : steps) f.add(std::exp(gamma * dir * p.w), dir * p.dw);
  if (!f.has_slope()) return {};  // e constant: γ ≈ 0 is linear, not exponential
  const double beta = -f.slope(), alpha = f.intercept();
  ExpDirection r{alpha, alpha != 0 ? beta / alpha : 0.0, gamma, 0.0};
  for (const Step& p : steps) {
    const double m = alpha - beta * std::exp(gamma * dir * p.w);
    r.sse += (dir * p.dw - m) * (dir * p.dw - m);
  }
  return r;
}

ExpDirection fit_exp_direction(const std::vector<Step>& steps, int dir, const std::string& source) {
  ExpDirection best;
  for (int k = -1000; k <= 1000; ++k) {
    const ExpDirection r = exp_direction(steps, dir, 0.02 * k);
    if (r.sse < best.sse) best = r;
  }
  double lo = best.gamma - 0.02, hi = best.gamma + 0.02;
  for (int i = 0; i < 50; ++i) {
    const double m1 = lo + (hi - lo) * 0.382, m2 = lo + (hi - lo) * 0.618;
    if (exp_direction(steps, dir, m1).sse < exp_direction(steps, dir, m2).sse) {
      hi = m2;
    } else {
      lo = m1;
    }
  }
  const ExpDirection r = exp_direction(steps, dir, 0.5 * (lo + hi));
  if (r.sse < best.sse) best = r;
  if (!(best.s > 0)) {
    throw kit::InputError(
        fmt::format("{}: no exponential step fits the {} steps (fitted step at w = 0: {:.4g}); "
                    "try --model piecewise",
                    source, dir > 0 ? "SET" : "RESET", best.s));
  }
  return best;
}

void fit_exp_step(const FitData& f, kit::Json& preset, kit::Json& fit) {
  const ExpDirection u = fit_exp_direction(f.up, 1, f.source),
                     d = fit_exp_direction(f.down, -1, f.source);
  const auto pu = [&](double w) { return u.s * (1 - u.a * std::exp(u.gamma * w)); };
  const auto pd = [&](double w) { return -d.s * (1 - d.a * std::exp(-d.gamma * w)); };
  const auto [ru, rmsu] = relative_sd(f.up, pu);
  const auto [rd, rmsd] = relative_sd(f.down, pd);
  // Device-to-device spread of the step: each device's s± at the shared γ±.
  std::vector<double> s_dev, r_dev;
  for (std::size_t dev = 0; dev < f.devices && f.devices > 1; ++dev) {
    const std::vector<Step> su = of_device(f.up, dev), sd = of_device(f.down, dev);
    if (su.size() < 3 || sd.size() < 3) continue;
    const ExpDirection a = exp_direction(su, 1, u.gamma), b = exp_direction(sd, -1, d.gamma);
    if (!(a.s > 0 && b.s > 0)) continue;
    s_dev.push_back(std::max(a.s, b.s));
    r_dev.push_back(up_down(a.s, b.s));
  }
  preset.update({{"dw_min", std::max(u.s, d.s)},
                 {"up_down", up_down(u.s, d.s)},
                 {"dw_min_std", std::sqrt(0.5 * (ru * ru + rd * rd))},
                 {"dw_min_dtod", rel_sd(s_dev)},
                 {"up_down_dtod", kit::summarize(r_dev).std},
                 {"w_min", -1.0},
                 {"w_max", 1.0},
                 {"w_min_dtod", 0.0},
                 {"w_max_dtod", 0.0},
                 {"a", 1.0},
                 {"b", 0.0},
                 {"A_up", u.a},
                 {"A_down", d.a},
                 {"gamma_up", u.gamma},
                 {"gamma_down", d.gamma},
                 {"g_min_us", f.g_lo},
                 {"g_max_us", f.g_hi}});
  fit["rms_residual_w"] = {{"set", rmsu}, {"reset", rmsd}};
  fit["devices_fitted_alone"] = s_dev.size();
}

}  // namespace

const std::vector<std::string>& fit_models() {
  static const std::vector<std::string> m = {"soft_bounds", "exp_step", "neurosim", "piecewise"};
  return m;
}

std::vector<PulseSeries> read_pulse_csv(const std::string& path) {
  const kit::CsvTable t = kit::CsvTable::read(path, "pulse-response data");
  t.require({"pulse", "g_us", "direction"},
            "the header names pulse, g_us, direction (+1 SET, -1 RESET) and optionally cycle, "
            "device");
  const long c_pulse = t.column("pulse"), c_g = t.column("g_us"), c_dir = t.column("direction"),
             c_cycle = t.column("cycle"), c_dev = t.column("device");
  std::vector<PulseSeries> out;
  double last_pulse = 0;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const std::size_t row = t.row_number(r);
    const double pulse = t.number(r, c_pulse), g = t.number(r, c_g), dir = t.number(r, c_dir);
    if (dir != 1.0 && dir != -1.0) {
      throw kit::InputError(fmt::format("{}: row {}: direction {} is not +1 (SET) or -1 (RESET)",
                                        path, row, t.text(r, c_dir)));
    }
    if (g < 0) {
      throw kit::InputError(fmt::format("{}: row {}: g_us {} is negative", path, row, g));
    }
    const std::string& dev = t.text(r, c_dev);
    const std::string& cyc = t.text(r, c_cycle);
    const int d = dir > 0 ? 1 : -1;
    if (out.empty() || out.back().device != dev || out.back().cycle != cyc ||
        out.back().direction != d) {
      out.push_back({dev, cyc, d, {}, row});
    } else if (pulse != last_pulse + 1) {
      throw kit::InputError(fmt::format(
          "{}: row {}: pulse {} follows pulse {} in the series of device \"{}\", cycle \"{}\", "
          "direction {:+d}; pulse numbers must increase by 1",
          path, row, pulse, last_pulse, dev, cyc, d));
    }
    out.back().g_us.push_back(g);
    last_pulse = pulse;
  }
  return out;
}

kit::Json fit_update(const std::vector<PulseSeries>& data, const std::string& model,
                     const std::string& source, std::size_t nodes) {
  if (std::find(fit_models().begin(), fit_models().end(), model) == fit_models().end()) {
    throw kit::InputError(
        fmt::format("--model: \"{}\" is not one of {}", model, fmt::join(fit_models(), ", ")));
  }
  FitData f;
  f.source = source;
  f.g_lo = INFINITY;
  f.g_hi = -INFINITY;
  std::map<std::string, std::size_t> device_index;
  for (const PulseSeries& s : data) {
    for (const double g : s.g_us) {
      f.g_lo = std::min(f.g_lo, g);
      f.g_hi = std::max(f.g_hi, g);
    }
    device_index.emplace(s.device, device_index.size());
    f.n_max = std::max(f.n_max, s.g_us.size() - 1);
  }
  f.devices = device_index.size();
  if (!(f.g_hi > f.g_lo)) {
    throw kit::InputError(fmt::format("{}: every conductance is the same; nothing to fit", source));
  }
  const auto to_w = [&](double g) { return -1.0 + 2.0 * (g - f.g_lo) / (f.g_hi - f.g_lo); };
  for (const PulseSeries& s : data) {
    for (std::size_t k = 0; k + 1 < s.g_us.size(); ++k) {
      const Step st{to_w(s.g_us[k]), to_w(s.g_us[k + 1]) - to_w(s.g_us[k]),
                    device_index.at(s.device)};
      (s.direction > 0 ? f.up : f.down).push_back(st);
    }
  }
  const std::size_t need = model == "piecewise" ? 2 * nodes : model == "exp_step" ? 4 : 3;
  for (const auto* v : {&f.up, &f.down}) {
    if (v->size() < need) {
      throw kit::InputError(
          fmt::format("{}: {} {} steps; fitting {} needs at least {} per direction", source,
                      v->size(), v == &f.up ? "SET" : "RESET", model, need));
    }
  }
  kit::Json fit = {{"model", model},
                   {"set_steps", f.up.size()},
                   {"reset_steps", f.down.size()},
                   {"devices", f.devices},
                   {"g_range_us", {f.g_lo, f.g_hi}}};
  kit::Json preset = {{"impl", model},
                      {"source", source},
                      {"assumptions",
                       "states mapped linearly onto w in [-1, 1] over the data's "
                       "conductance range; fitted by xbarsim device fit"}};
  if (model == "soft_bounds") {
    fit_soft_bounds(f, preset, fit);
  } else if (model == "exp_step") {
    fit_exp_step(f, preset, fit);
  } else if (model == "neurosim") {
    fit_neurosim(f, preset, fit);
  } else {
    fit_piecewise(f, nodes, preset, fit);
  }
  preset["fit"] = fit;
  return preset;
}

}  // namespace xbarsim::arrays
