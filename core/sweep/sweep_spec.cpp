#include <fmt/format.h>
#include <fmt/ranges.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <set>

#include "core/jobs/config_paths.h"
#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/parallel.h"
#include "core/kit/rng.h"
#include "core/sweep/sweep.h"

namespace xbarsim::sweep {
namespace {

using kit::Json;

// The sweep table's point hash: the FNV-1a step (64-bit prime 1099511628211)
// from the start value 1469598103934665603, which is not FNV's offset basis
// (14695981039346656037, kit::hash_name's): a digit short. It stays, because
// tables written so far key their resumes on it.
std::string point_hash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

// One assignment set per grid point, zip row or random sample.
using Assignments = std::vector<std::pair<std::string, Json>>;

// Points a sweep may have: counted from the list sizes before any is built.
constexpr double kMaxSweepPoints = 1e6;

std::vector<Assignments> grid_points(const Json& grid) {
  double count = 1;
  for (const auto& [path, values] : grid.items()) {
    if (!values.is_array() || values.empty()) {
      throw kit::ConfigError("sweep grid." + path, "expected a non-empty list of values");
    }
    count *= static_cast<double>(values.size());
  }
  if (count > kMaxSweepPoints) {
    throw kit::ConfigError("sweep grid", fmt::format("{:.3g} combinations; a sweep may have at "
                                                     "most {:g} points (use random sampling)",
                                                     count, kMaxSweepPoints));
  }
  std::vector<Assignments> out = {{}};
  for (const auto& [path, values] : grid.items()) {
    std::vector<Assignments> next;
    for (const auto& a : out) {
      for (const auto& v : values) {
        Assignments b = a;
        b.emplace_back(path, v);
        next.push_back(std::move(b));
      }
    }
    out = std::move(next);
  }
  return out;
}

std::vector<Assignments> zip_points(const Json& zip) {
  if (zip.empty()) return {{}};
  std::size_t n = 0;
  for (const auto& [path, values] : zip.items()) {
    if (!values.is_array() || values.empty()) {
      throw kit::ConfigError("sweep zip." + path, "expected a non-empty list of values");
    }
    if (n == 0) n = values.size();
    if (values.size() != n) {
      throw kit::ConfigError("sweep zip." + path,
                             fmt::format("has {} values, the other zip lists {}; zip lists go "
                                         "in lock step and must be equally long",
                                         values.size(), n));
    }
  }
  std::vector<Assignments> out(n);
  for (const auto& [path, values] : zip.items()) {
    for (std::size_t k = 0; k < n; ++k) out[k].emplace_back(path, values[k]);
  }
  return out;
}

std::vector<Assignments> random_points(const Json& random) {
  if (random.empty()) return {{}};
  for (const auto& [k, v] : random.items()) {
    if (k != "n" && k != "seed" && k != "params") {
      throw kit::ConfigError("sweep random." + k, "unknown key; use n, seed and params");
    }
  }
  if (!random.contains("n") || !random.at("n").is_number_integer() ||
      random.at("n").get<long long>() < 1 || random.at("n").get<long long>() > 1000000) {
    throw kit::ConfigError("sweep random.n", "expected the number of samples (1 to 1000000)");
  }
  const auto n = random.at("n").get<std::size_t>();
  if (random.contains("seed") &&
      (!random.at("seed").is_number_integer() || random.at("seed").get<double>() < 0 ||
       random.at("seed").get<double>() > 9.007e15)) {
    throw kit::ConfigError("sweep random.seed",
                           "expected an integer from 0 to 2^53, got " + random.at("seed").dump());
  }
  const auto seed = random.value("seed", std::uint64_t{1});
  if (!random.contains("params") || !random.at("params").is_object()) {
    throw kit::ConfigError("sweep random.params",
                           "expected {\"path\": {\"uniform\": [lo, hi]}, ...}");
  }
  const kit::Stream stream(seed, "sweep", "random");
  std::vector<Assignments> out(n);
  std::uint64_t k = 0;
  for (const auto& [path, dist] : random.at("params").items()) {
    const std::string where = "sweep random.params." + path;
    if (!dist.is_object() || dist.size() != 1) {
      throw kit::ConfigError(where,
                             "expected one of {\"uniform\": [lo, hi]}, {\"log_uniform\": "
                             "[lo, hi]}, {\"int\": [lo, hi]}, {\"choice\": [...]}");
    }
    const auto first = dist.begin();  // the iterator must outlive key() and value()
    const std::string kind = first.key();
    const Json& arg = first.value();
    const bool range = kind == "uniform" || kind == "log_uniform" || kind == "int";
    if (range) {
      const bool numbers =
          arg.is_array() && arg.size() == 2 && arg[0].is_number() && arg[1].is_number();
      const double lo = numbers ? arg[0].get<double>() : 0, hi = numbers ? arg[1].get<double>() : 0;
      // NaN fails every comparison, so finiteness is checked first.
      if (!numbers || !std::isfinite(lo) || !std::isfinite(hi) || lo > hi ||
          (kind == "log_uniform" && lo <= 0)) {
        throw kit::ConfigError(where + "." + kind,
                               "expected [lo, hi], finite numbers with lo <= hi (lo > 0 for "
                               "log_uniform)");
      }
      constexpr double kMaxInt = 9007199254740992.0;  // 2^53: every integer up to it is exact
      if (kind == "int" && (lo != std::floor(lo) || hi != std::floor(hi) ||
                            std::fabs(lo) > kMaxInt || std::fabs(hi) > kMaxInt)) {
        throw kit::ConfigError(where + ".int",
                               "expected whole-number bounds within +-2^53 (9007199254740992)");
      }
    }
    if (kind == "choice" && (!arg.is_array() || arg.empty())) {
      throw kit::ConfigError(where + ".choice", "expected a non-empty list");
    }
    if (!range && kind != "choice") {
      throw kit::ConfigError(where + "." + kind,
                             "unknown distribution; use uniform, log_uniform, int or choice");
    }
    for (std::size_t s = 0; s < n; ++s) {
      const double u = stream.uniform_at(s * 4096 + k);
      Json v;
      if (kind == "choice") {
        v = arg[std::min(arg.size() - 1,
                         static_cast<std::size_t>(u * static_cast<double>(arg.size())))];
      } else {
        const double lo = arg[0].get<double>(), hi = arg[1].get<double>();
        double x = 0;
        if (kind == "uniform") {
          // hi - lo overflows for a range wider than the largest double; the
          // weighted mean does not. Only then is it used, so other ranges keep
          // their samples.
          const double span = hi - lo;
          x = std::isfinite(span) ? lo + u * span : lo * (1 - u) + hi * u;
        }
        if (kind == "log_uniform") x = std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)));
        if (kind == "int") x = std::clamp(std::floor(lo + u * (hi - lo + 1)), lo, hi);
        if (!std::isfinite(x)) {
          throw kit::ConfigError(where + "." + kind,
                                 fmt::format("sample {} is {}, not a finite number; narrow the "
                                             "range",
                                             s, x));
        }
        if (kind == "int") {
          v = static_cast<long long>(x);
        } else {
          v = x;
        }
      }
      out[s].emplace_back(path, v);
    }
    ++k;
  }
  return out;
}

std::vector<std::string> default_metrics(const Json& base) {
  if (base.contains("network")) {
    return {"ppa.totals.tops_per_w", "ppa.totals.energy_pj.total", "ppa.totals.latency_ns",
            "ppa.totals.tops", "ppa.totals.area_mm2.total"};
  }
  return {"vmm.0.rel_rms_error.mean", "per_vmm.energy_pj.total", "per_vmm.latency_ns"};
}

}  // namespace

Json report_value(const Json& report, const std::string& path) {
  const Json* node = &report;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (node->is_object() && node->contains(key)) {
      node = &node->at(key);
    } else if (node->is_array() && !key.empty() &&
               key.find_first_not_of("0123456789") == std::string::npos &&
               std::stoull(key) < node->size()) {
      node = &node->at(std::stoull(key));
    } else {
      return nullptr;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *node;
}

std::vector<std::string> report_keys(const Json& config) {
  // The same test run_job makes to pick the job.
  if (!config.is_object() || !config.contains("network")) {
    return {"job",     "config",    "shape",   "quantization_rel_rms_error", "programming", "vmm",
            "per_vmm", "periphery", "warnings"};
  }
  std::vector<std::string> keys = {"job", "config", "ppa"};
  if (config.contains("measured")) keys.push_back("measured");
  if (config.contains("evaluation") && !config.at("evaluation").is_null()) {
    keys.push_back("accuracy");
  }
  keys.push_back("warnings");
  return keys;
}

void require_valid_points(const SweepSpec& spec, const SweepOptions& opts) {
  if (opts.keep_going) return;
  for (const auto& p : spec.points) {
    if (!p.invalid.empty()) throw kit::InputError(p.invalid);
  }
}

SweepSpec SweepSpec::parse(const Json& spec, const std::string& spec_dir,
                           const kit::Registry& registry, bool keep_going, int threads) {
  if (!spec.is_object()) throw kit::ConfigError("sweep", "expected an object");
  static const std::vector<std::string> keys = {"base",    "grid", "zip",        "random",
                                                "metrics", "name", "description"};
  for (const auto& [k, v] : spec.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      throw kit::ConfigError(
          "sweep " + k, fmt::format("unknown key; {}known keys are {}", kit::did_you_mean(k, keys),
                                    fmt::join(keys, ", ")));
    }
  }
  Json base = Json::object();
  if (spec.contains("base")) {
    const Json& b = spec.at("base");
    if (b.is_string()) {
      std::string path = b.get<std::string>();
      if (!path.empty() && path.front() != '/' && !spec_dir.empty()) path = spec_dir + "/" + path;
      base = kit::load_json_file(path);
      jobs::anchor_paths(base, jobs::config_dir(path));
    } else if (b.is_object()) {
      base = b;
      jobs::anchor_paths(base, spec_dir);
    } else {
      throw kit::ConfigError("sweep base", "expected a config path or object");
    }
  }
  for (const char* part : {"grid", "zip", "random"}) {
    if (spec.contains(part) && !spec.at(part).is_object()) {
      throw kit::ConfigError(std::string("sweep ") + part, "expected an object of config paths");
    }
  }
  const Json empty = Json::object();
  const auto g = grid_points(spec.value("grid", empty));
  const auto z = zip_points(spec.value("zip", empty));
  const auto r = random_points(spec.value("random", empty));
  const double total =
      static_cast<double>(g.size()) * static_cast<double>(z.size()) * static_cast<double>(r.size());
  if (total > kMaxSweepPoints) {
    throw kit::ConfigError("sweep", fmt::format("grid x zip x random gives {:.3g} points; a sweep "
                                                "may have at most {:g}",
                                                total, kMaxSweepPoints));
  }
  SweepSpec s;
  // Columns: every swept path once, in first-seen order.
  auto add_param = [&s](const std::string& p) {
    if (std::find(s.params.begin(), s.params.end(), p) == s.params.end()) s.params.push_back(p);
  };
  for (const auto* part : {&g, &z, &r}) {
    for (const auto& [p, v] : part->front()) add_param(p);
  }
  if (spec.contains("metrics")) {
    const Json& m = spec.at("metrics");
    if (!m.is_array() || m.empty()) {
      throw kit::ConfigError("sweep metrics", "expected a non-empty list of report paths");
    }
    for (const auto& v : m) {
      if (!v.is_string()) throw kit::ConfigError("sweep metrics", "expected strings");
      s.metrics.push_back(v.get<std::string>());
    }
  } else {
    s.metrics = default_metrics(base);
  }
  struct Pending {
    std::string label;
    std::vector<std::pair<std::string, Json>> overrides;
  };
  std::vector<Pending> pending;
  for (const auto& ga : g) {
    for (const auto& za : z) {
      for (const auto& ra : r) {
        SweepPoint p;
        p.index = s.points.size();
        p.config = base;
        p.values.assign(s.params.size(), nullptr);
        std::string label;
        std::vector<std::pair<std::string, Json>> overrides;
        for (const auto* a : {&ga, &za, &ra}) {
          for (const auto& [path, value] : *a) {
            overrides.emplace_back(path, jobs::anchor_value(path, value, spec_dir));
            const auto col = static_cast<std::size_t>(
                std::find(s.params.begin(), s.params.end(), path) - s.params.begin());
            p.values[col] = value;
            label += (label.empty() ? "" : ", ") + path + "=" + cell_text(value);
          }
        }
        s.points.push_back(std::move(p));
        pending.push_back({std::move(label), std::move(overrides)});
      }
    }
  }
  // Every point checked, in parallel; its outcome kept by index, so the
  // first invalid point (in point order) is the one reported.
  std::vector<std::string> invalid(s.points.size());
  std::vector<std::exception_ptr> failed(s.points.size());
  const auto check = [&](std::size_t k) {
    SweepPoint& p = s.points[k];
    try {
      registry.apply_overrides(p.config, pending[k].overrides);
      // The config as written and as resolved: keys the job reads but the
      // resolved tile does not show (evaluation, ...) still tell points apart.
      const Json resolved = jobs::check_config(p.config, registry);
      p.hash = point_hash(p.config.dump() + resolved.dump());
      p.seed = resolved.at("seed").get<std::uint64_t>();
    } catch (const std::invalid_argument& e) {
      invalid[k] = fmt::format("sweep point {} ({}): {}", p.index, pending[k].label, e.what());
    } catch (...) {
      failed[k] = std::current_exception();
    }
  };
  tbb::task_arena arena(std::max(1, threads));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, s.points.size(), [&](std::size_t k) {
      const kit::SerialOpenMp serial;
      check(k);
    });
  });
  for (std::size_t k = 0; k < s.points.size(); ++k) {
    if (failed[k]) std::rethrow_exception(failed[k]);
    if (invalid[k].empty()) continue;
    if (!keep_going) throw kit::InputError(invalid[k]);
    // Recorded, not run: keyed by the config as given (it has no resolved form).
    SweepPoint& p = s.points[k];
    p.invalid = std::move(invalid[k]);
    p.hash = point_hash("invalid\n" + p.config.dump());
    const bool has_seed = p.config.is_object() && p.config.contains("seed") &&
                          p.config.at("seed").is_number_unsigned();
    p.seed = has_seed ? p.config.at("seed").get<std::uint64_t>() : 1;
  }
  // A metric whose first key no report of this sweep has can never be filled.
  std::vector<std::string> tops;
  bool tiles = false, networks = false;
  for (const auto& p : s.points) {
    if (!p.invalid.empty()) continue;
    (p.config.contains("network") ? networks : tiles) = true;
    for (const auto& k : report_keys(p.config)) {
      if (std::find(tops.begin(), tops.end(), k) == tops.end()) tops.push_back(k);
    }
  }
  const std::string kind = tiles && networks ? "tile demos and network jobs"
                           : networks        ? "network jobs"
                                             : "tile demos, no \"network\"";
  for (const auto& m : s.metrics) {
    const std::string head = m.substr(0, m.find('.'));
    if (!tops.empty() && std::find(tops.begin(), tops.end(), head) == tops.end()) {
      throw kit::ConfigError("sweep metrics",
                             fmt::format("\"{}\" is in no report of this sweep ({}); their "
                                         "top-level keys are {}",
                                         m, kind, fmt::join(tops, ", ")));
    }
  }
  return s;
}

std::vector<std::string> SweepSpec::csv_header() const {
  std::vector<std::string> h = {"point", "hash", "seed"};
  h.insert(h.end(), params.begin(), params.end());
  h.insert(h.end(), metrics.begin(), metrics.end());
  h.push_back("status");
  h.push_back("error");
  return h;
}

}  // namespace xbarsim::sweep
