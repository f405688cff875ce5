#include "core/arch/sweep.h"

#include <fmt/format.h>
#include <omp.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>

#include "core/arch/job.h"
#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/rng.h"

namespace xbarsim::arch {
namespace {

using kit::Json;

std::string hash_hex(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bit
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string cell(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.9g}", v.get<double>());
  return v.dump();
}

// One assignment set per grid point, zip row or random sample.
using Assignments = std::vector<std::pair<std::string, Json>>;

std::vector<Assignments> grid_points(const Json& grid) {
  std::vector<Assignments> out = {{}};
  for (const auto& [path, values] : grid.items()) {
    if (!values.is_array() || values.empty()) {
      throw kit::ConfigError("sweep grid." + path, "expected a non-empty list of values");
    }
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
    if (range && (!arg.is_array() || arg.size() != 2 || !arg[0].is_number() ||
                  !arg[1].is_number() || arg[0].get<double>() > arg[1].get<double>() ||
                  (kind == "log_uniform" && arg[0].get<double>() <= 0))) {
      throw kit::ConfigError(where + "." + kind,
                             "expected [lo, hi] with lo <= hi (lo > 0 for "
                             "log_uniform)");
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
        if (kind == "uniform") v = lo + u * (hi - lo);
        if (kind == "log_uniform") v = std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)));
        if (kind == "int") {
          v = static_cast<long long>(std::floor(lo + u * (hi - lo + 1)));
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

SweepSpec SweepSpec::parse(const Json& spec, const std::string& spec_dir,
                           const kit::Registry& registry) {
  if (!spec.is_object()) throw kit::ConfigError("sweep", "expected an object");
  static const std::vector<std::string> keys = {"base",    "grid", "zip",        "random",
                                                "metrics", "name", "description"};
  for (const auto& [k, v] : spec.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      const std::string near = kit::closest_match(k, keys);
      throw kit::ConfigError(
          "sweep " + k,
          "unknown key" + (near.empty() ? std::string("") : "; did you mean \"" + near + "\"?"));
    }
  }
  Json base = Json::object();
  if (spec.contains("base")) {
    const Json& b = spec.at("base");
    if (b.is_string()) {
      std::string path = b.get<std::string>();
      if (!path.empty() && path.front() != '/' && !spec_dir.empty()) path = spec_dir + "/" + path;
      base = kit::load_json_file(path);
    } else if (b.is_object()) {
      base = b;
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
            overrides.emplace_back(path, value);
            const auto col = static_cast<std::size_t>(
                std::find(s.params.begin(), s.params.end(), path) - s.params.begin());
            p.values[col] = value;
            label += (label.empty() ? "" : ", ") + path + "=" + cell(value);
          }
        }
        try {
          registry.apply_overrides(p.config, overrides);
          // The config as written and as resolved: keys the job reads but the
          // resolved tile does not show (evaluation, ...) still tell points apart.
          const Json resolved = check_config(p.config, registry);
          p.hash = hash_hex(p.config.dump() + resolved.dump());
          p.seed = resolved.at("seed").get<std::uint64_t>();
        } catch (const std::invalid_argument& e) {
          throw kit::InputError(fmt::format("sweep point {} ({}): {}", p.index, label, e.what()));
        }
        s.points.push_back(std::move(p));
      }
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

SweepRow run_point(const SweepSpec& spec, const SweepPoint& p, const kit::Registry& registry,
                   Json* report_out) {
  SweepRow row;
  row.index = p.index;
  row.seed = p.seed;
  row.hash = p.hash;
  row.values = p.values;
  Json report;
  try {
    report = run_job(p.config, registry);
    row.status = "ok";
    for (const auto& m : spec.metrics) {
      row.metrics.push_back(report_value(report, m));
      if (row.metrics.back().is_null() && row.error.empty()) {
        row.error = "metric " + m + " is not in the report";
      }
    }
  } catch (const std::exception& e) {
    row.status = "error";
    row.error = e.what();
    row.metrics.assign(spec.metrics.size(), nullptr);
  }
  if (report_out) *report_out = std::move(report);
  return row;
}

std::string csv_line(const SweepRow& row) {
  std::string line = std::to_string(row.index) + "," + row.hash + "," + std::to_string(row.seed);
  for (const auto& v : row.values) line += "," + csv_field(cell(v));
  for (const auto& v : row.metrics) line += "," + csv_field(cell(v));
  line += "," + row.status + "," + csv_field(row.error);
  return line;
}

Json row_to_json(const SweepRow& row, const Json& report) {
  return {{"point", row.index},     {"seed", row.seed},   {"hash", row.hash},
          {"status", row.status},   {"error", row.error}, {"values", row.values},
          {"metrics", row.metrics}, {"report", report}};
}

SweepRow row_from_json(const Json& j, Json* report) {
  SweepRow row;
  row.index = j.at("point").get<std::size_t>();
  row.hash = j.at("hash").get<std::string>();
  row.seed = j.at("seed").get<std::uint64_t>();
  row.status = j.at("status").get<std::string>();
  row.error = j.at("error").get<std::string>();
  row.values = j.at("values").get<std::vector<Json>>();
  row.metrics = j.at("metrics").get<std::vector<Json>>();
  if (report) *report = j.at("report");
  return row;
}

SweepTable::SweepTable(const SweepSpec& spec, const SweepOptions& opts)
    : start_(std::chrono::steady_clock::now()) {
  std::string header;
  for (const auto& h : spec.csv_header()) {
    if (!header.empty()) header += ',';
    header += csv_field(h);
  }
  if (!opts.csv.empty()) {
    const auto lines = kit::read_complete_lines(opts.csv);
    if (!lines.empty() && !opts.resume) {
      throw kit::InputError("sweep: '" + opts.csv +
                            "' already has results; pass --resume to continue it or choose "
                            "another -o");
    }
    if (!lines.empty() && lines.front() != header) {
      throw kit::InputError("sweep: '" + opts.csv +
                            "' has other columns than this sweep; choose another -o");
    }
    // Points already in the table, keyed by their config hash.
    for (std::size_t k = 1; k < lines.size(); ++k) {
      const auto a = lines[k].find(','), b = lines[k].find(',', a + 1);
      if (a != std::string::npos && b != std::string::npos) {
        done_.insert(lines[k].substr(a + 1, b - a - 1));
      }
    }
    csv_ = std::make_unique<kit::AppendFile>(opts.csv);
    if (lines.empty()) csv_->append_line(header);
  }
  if (!opts.jsonl.empty()) jsonl_ = std::make_unique<kit::AppendFile>(opts.jsonl);
}

SweepTable::~SweepTable() = default;

std::vector<std::size_t> SweepTable::pending(const SweepSpec& spec) const {
  std::vector<std::size_t> todo;
  for (const auto& p : spec.points) {
    if (!done_.count(p.hash)) todo.push_back(p.index);
  }
  return todo;
}

void SweepTable::append(const SweepRow& row, const Json& report, bool progress, std::size_t total) {
  if (csv_) csv_->append_line(csv_line(row));
  if (jsonl_) {
    jsonl_->append_line(Json{
        {"point", row.index},
        {"hash", row.hash},
        {"status", row.status},
        {"report", report}}.dump());
  }
  ++finished_;
  if (row.status != "ok") ++failures_;
  if (progress) {
    const double el =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta = el / static_cast<double>(finished_) * static_cast<double>(total - finished_);
    std::fprintf(stderr, "\rsweep: %zu/%zu done, %zu failed, ETA %.0f s   ", finished_, total,
                 failures_, eta);
    if (finished_ == total) std::fprintf(stderr, "\n");
  }
}

std::vector<SweepRow> run_sweep(const SweepSpec& spec, const SweepOptions& opts,
                                const kit::Registry& registry) {
  SweepTable table(spec, opts);
  const std::vector<std::size_t> todo = table.pending(spec);
  std::vector<SweepRow> rows(todo.size());
  std::mutex mu;
  const int threads = std::max(1, opts.threads);
  auto run_one = [&](std::size_t t) {
    // One point per task; its own OpenMP loops stay serial when points run
    // side by side, so the threads are not oversubscribed.
    if (threads > 1) omp_set_num_threads(1);
    Json report;
    SweepRow row = run_point(spec, spec.points[todo[t]], registry, &report);
    std::lock_guard<std::mutex> lock(mu);
    table.append(row, report, opts.progress, todo.size());
    rows[t] = std::move(row);
  };
  if (threads == 1) {
    for (std::size_t t = 0; t < todo.size(); ++t) run_one(t);
  } else {
    const int saved = omp_get_max_threads();
    tbb::task_arena arena(threads);
    arena.execute([&] {
      tbb::parallel_for(std::size_t{0}, todo.size(), [&](std::size_t t) { run_one(t); });
    });
    omp_set_num_threads(saved);
  }
  return rows;
}

}  // namespace xbarsim::arch
