#include "arrays/update_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "arrays/updates/updates.h"
#include "core/kit/error.h"
#include "core/kit/io.h"

namespace xbarsim::arrays {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string f; std::getline(ss, f, ',');) out.push_back(trim(f));
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

// One step: the state before it (w on [-1, 1]) and its change.
struct Step {
  double w, dw;
  std::size_t device;
};

struct Line {
  double alpha = 0, beta = 0;  // dw = alpha + beta·w
};

Line least_squares(const std::vector<Step>& s) {
  double sw = 0, sd = 0, sww = 0, swd = 0;
  for (const Step& p : s) {
    sw += p.w;
    sd += p.dw;
    sww += p.w * p.w;
    swd += p.w * p.dw;
  }
  const double n = static_cast<double>(s.size());
  const double den = n * sww - sw * sw;
  if (den <= 0) return {sd / n, 0.0};
  const double beta = (n * swd - sw * sd) / den;
  return {(sd - beta * sw) / n, beta};
}

double sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double s = 0;
  for (const double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
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

}  // namespace

const std::vector<std::string>& fit_models() {
  static const std::vector<std::string> m = {"soft_bounds", "neurosim", "piecewise"};
  return m;
}

std::vector<PulseSeries> read_pulse_csv(const std::string& path) {
  const std::string text = kit::read_file(path, "pulse-response data '" + path + "'");
  std::stringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw kit::InputError(fmt::format("{}: empty file", path));
  const std::vector<std::string> head = split(line);
  const auto col = [&](const std::string& name) -> long {
    const auto it = std::find(head.begin(), head.end(), name);
    return it == head.end() ? -1 : static_cast<long>(it - head.begin());
  };
  std::vector<std::string> missing;
  for (const char* c : {"pulse", "g_us", "direction"}) {
    if (col(c) < 0) missing.emplace_back(c);
  }
  if (!missing.empty()) {
    throw kit::InputError(fmt::format(
        "{}: no column {} in the header \"{}\"; the header names pulse, g_us, direction "
        "(+1 SET, -1 RESET) and optionally cycle, device",
        path, fmt::join(missing, ", "), trim(line)));
  }
  const long c_pulse = col("pulse"), c_g = col("g_us"), c_dir = col("direction"),
             c_cycle = col("cycle"), c_dev = col("device");
  std::vector<PulseSeries> out;
  double last_pulse = 0;
  for (std::size_t row = 1; std::getline(in, line); ++row) {
    if (trim(line).empty()) continue;
    const std::vector<std::string> f = split(line);
    if (f.size() != head.size()) {
      throw kit::InputError(
          fmt::format("{}: row {} has {} fields for {} columns", path, row, f.size(), head.size()));
    }
    const auto number = [&](long c) {
      const std::string& s = f[static_cast<std::size_t>(c)];
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
        throw kit::InputError(fmt::format("{}: row {}, column {}: \"{}\" is not a finite number",
                                          path, row, head[static_cast<std::size_t>(c)], s));
      }
      return v;
    };
    const double pulse = number(c_pulse), g = number(c_g), dir = number(c_dir);
    if (dir != 1.0 && dir != -1.0) {
      throw kit::InputError(fmt::format("{}: row {}: direction {} is not +1 (SET) or -1 (RESET)",
                                        path, row, f[static_cast<std::size_t>(c_dir)]));
    }
    if (g < 0) {
      throw kit::InputError(fmt::format("{}: row {}: g_us {} is negative", path, row, g));
    }
    const std::string dev = c_dev >= 0 ? f[static_cast<std::size_t>(c_dev)] : "";
    const std::string cyc = c_cycle >= 0 ? f[static_cast<std::size_t>(c_cycle)] : "";
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
  double g_lo = INFINITY, g_hi = -INFINITY;
  std::map<std::string, std::size_t> device_index;
  std::size_t n_max = 0;
  for (const PulseSeries& s : data) {
    for (const double g : s.g_us) {
      g_lo = std::min(g_lo, g);
      g_hi = std::max(g_hi, g);
    }
    device_index.emplace(s.device, device_index.size());
    n_max = std::max(n_max, s.g_us.size() - 1);
  }
  if (!(g_hi > g_lo)) {
    throw kit::InputError(fmt::format("{}: every conductance is the same; nothing to fit", source));
  }
  const auto to_w = [&](double g) { return -1.0 + 2.0 * (g - g_lo) / (g_hi - g_lo); };
  std::vector<Step> up, down;
  for (const PulseSeries& s : data) {
    for (std::size_t k = 0; k + 1 < s.g_us.size(); ++k) {
      const Step st{to_w(s.g_us[k]), to_w(s.g_us[k + 1]) - to_w(s.g_us[k]),
                    device_index.at(s.device)};
      (s.direction > 0 ? up : down).push_back(st);
    }
  }
  const std::size_t need = model == "piecewise" ? 2 * nodes : 3;
  for (const auto* v : {&up, &down}) {
    if (v->size() < need) {
      throw kit::InputError(
          fmt::format("{}: {} {} steps; fitting {} needs at least {} per direction", source,
                      v->size(), v == &up ? "SET" : "RESET", model, need));
    }
  }
  kit::Json fit = {{"model", model},
                   {"set_steps", up.size()},
                   {"reset_steps", down.size()},
                   {"devices", device_index.size()},
                   {"g_range_us", {g_lo, g_hi}}};
  kit::Json preset = {{"impl", model},
                      {"source", source},
                      {"assumptions",
                       "states mapped linearly onto w in [-1, 1] over the data's "
                       "conductance range; fitted by xbarsim device fit"}};
  // Cycle-to-cycle σ: the σ of the residuals relative to the fitted step.
  const auto relative_sd = [](const std::vector<Step>& s, const auto& predict) {
    std::vector<double> rel;
    double sq = 0;
    for (const Step& p : s) {
      const double m = predict(p.w);
      sq += (p.dw - m) * (p.dw - m);
      if (std::abs(m) > 0) rel.push_back((p.dw - m) / m);
    }
    return std::pair{sd_of(rel), std::sqrt(sq / static_cast<double>(s.size()))};
  };

  if (model == "soft_bounds") {
    const Bound bu = soft_bound(up, 1, source), bd = soft_bound(down, -1, source);
    const auto pu = [&](double w) { return bu.s * (1 - w / bu.b); };
    const auto pd = [&](double w) { return -bd.s * (1 - w / bd.b); };
    const auto [ru, rmsu] = relative_sd(up, pu);
    const auto [rd, rmsd] = relative_sd(down, pd);
    // Device-to-device spread from one fit per device (when there are several).
    std::vector<double> s_dev, bmax_dev, bmin_dev, r_dev;
    for (std::size_t dev = 0; dev < device_index.size() && device_index.size() > 1; ++dev) {
      std::vector<Step> u, d;
      for (const Step& p : up) {
        if (p.device == dev) u.push_back(p);
      }
      for (const Step& p : down) {
        if (p.device == dev) d.push_back(p);
      }
      if (u.size() < 3 || d.size() < 3) continue;
      const Bound a = soft_bound(u, 1, source), b = soft_bound(d, -1, source);
      s_dev.push_back(std::max(a.s, b.s));
      bmax_dev.push_back(a.b);
      bmin_dev.push_back(b.b);
      r_dev.push_back(up_down(a.s, b.s));
    }
    const auto rel_sd = [](const std::vector<double>& v) {
      return v.size() > 1 ? sd_of(v) / std::abs(mean_of(v)) : 0.0;
    };
    const double dw_min = std::max(bu.s, bd.s);
    const auto g_of = [&](double w) { return g_lo + (w + 1.0) / 2.0 * (g_hi - g_lo); };
    preset.update({{"dw_min", dw_min},
                   {"up_down", up_down(bu.s, bd.s)},
                   {"dw_min_std", std::sqrt(0.5 * (ru * ru + rd * rd))},
                   {"dw_min_dtod", rel_sd(s_dev)},
                   {"up_down_dtod", sd_of(r_dev)},
                   {"w_min", bd.b},
                   {"w_max", bu.b},
                   {"w_min_dtod", rel_sd(bmin_dev)},
                   {"w_max_dtod", rel_sd(bmax_dev)},
                   {"g_min_us", std::max(g_of(bd.b), 0.0)},
                   {"g_max_us", g_of(bu.b)}});
    fit["rms_residual_w"] = {{"set", rmsu}, {"reset", rmsd}};
    fit["devices_fitted_alone"] = s_dev.size();
  } else if (model == "neurosim") {
    const int n = static_cast<int>(n_max);
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
        throw kit::InputError(fmt::format(
            "{}: the fitted curve's nonlinearity label {:.3g} is beyond NeuroSim's range "
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
                   {"g_min_us", g_lo},
                   {"g_max_us", g_hi}});
    fit["a_norm"] = {{"ltp", a_up}, {"ltd", a_down}};
    fit["rms_residual_window_fraction"] = c2c;
  } else {  // piecewise
    const auto node_of = [&](double w) {
      return static_cast<std::size_t>(
          std::clamp(std::lround((w + 1.0) / 2.0 * static_cast<double>(nodes - 1)), 0L,
                     static_cast<long>(nodes - 1)));
    };
    std::vector<double> all;
    for (const auto* v : {&up, &down}) {
      for (const Step& p : *v) all.push_back(std::abs(p.dw));
    }
    const double dw_min = mean_of(all);
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
         {"g_min_us", g_lo},
         {"g_max_us", g_hi},
         {"piecewise_up", lists["piecewise_up"]},
         {"piecewise_down", lists["piecewise_down"]}});
    fit["nodes"] = nodes;
  }
  preset["fit"] = fit;
  return preset;
}

}  // namespace xbarsim::arrays
