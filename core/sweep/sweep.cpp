#include "core/sweep/sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <set>

#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/parallel.h"
#include "core/kit/rng.h"

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

// JSON text has no NaN or infinity (dump() writes null), so the non-finite
// numbers of a row's list travel beside it: [[position, "nan"|"-nan"|"inf"|"-inf"], ...].
Json nonfinite_marks(const std::vector<Json>& list) {
  Json marks = Json::array();
  for (std::size_t k = 0; k < list.size(); ++k) {
    if (!list[k].is_number_float()) continue;
    const double d = list[k].get<double>();
    if (std::isfinite(d)) continue;
    const std::string sign = std::signbit(d) ? "-" : "";
    marks.push_back({k, sign + (std::isnan(d) ? "nan" : "inf")});
  }
  return marks;
}

void restore_nonfinite(std::vector<Json>& list, const Json& marks) {
  for (const auto& m : marks) {
    const auto k = m.at(0).get<std::size_t>();
    const std::string text = m.at(1).get<std::string>();
    const bool negative = !text.empty() && text.front() == '-';
    const double magnitude = text.find("nan") != std::string::npos
                                 ? std::numeric_limits<double>::quiet_NaN()
                                 : std::numeric_limits<double>::infinity();
    if (k < list.size()) list[k] = std::copysign(magnitude, negative ? -1.0 : 1.0);
  }
}

// The point index and config hash that open a table row ("12,0123abcd...,").
bool row_key(const std::string& line, std::size_t* index, std::string* hash) {
  const auto a = line.find(','), b = line.find(',', a == std::string::npos ? a : a + 1);
  if (a == 0 || a == std::string::npos || b == std::string::npos || a > 18 ||
      line.find_first_not_of("0123456789") != a) {
    return false;
  }
  *index = std::stoull(line.substr(0, a));
  *hash = line.substr(a + 1, b - a - 1);
  return true;
}

// The records of a table from its lines: a quoted field may hold a line
// break, so a record runs on while its quotes are open. An unclosed last
// record (cut by a kill inside it) is dropped and *cut set.
std::vector<std::string> csv_records(const std::vector<std::string>& lines, bool* cut) {
  std::vector<std::string> records;
  std::string record;
  bool open = false;
  for (const auto& line : lines) {
    if (open) record += '\n';
    record += line;
    open = std::count(record.begin(), record.end(), '"') % 2 == 1;
    if (!open) {
      records.push_back(std::move(record));
      record.clear();
    }
  }
  if (open) *cut = true;
  return records;
}

// An existing line of a table or report file must be a point of this sweep
// with the same config: otherwise the file is another sweep's.
void require_same_point(const SweepSpec& spec, std::size_t index, const std::string& hash,
                        const std::string& path, const std::string& where,
                        const std::string& flag) {
  if (index >= spec.points.size()) {
    throw kit::InputError(
        fmt::format("sweep: '{}' is another sweep's: {} holds point {}, this sweep has {} points; "
                    "choose another {}",
                    path, where, index, spec.points.size(), flag));
  }
  if (hash != spec.points[index].hash) {
    throw kit::InputError(fmt::format(
        "sweep: '{}' is another sweep's: {} holds point {} with another config than this "
        "sweep's point {} (edited spec or changed defaults?); choose another {}",
        path, where, index, index, flag));
  }
}

// An output path, checked before any file is created: its folder takes a
// new file, and an existing file may be written.
void require_output(const std::string& path, const std::string& what) {
  if (path == "-") {
    throw kit::InputError(what + ": a sweep appends to and resumes a file; '-' (stdout) is none");
  }
  kit::require_writable(path, what);
  if (::access(path.c_str(), F_OK) == 0 && ::access(path.c_str(), W_OK) != 0) {
    throw kit::InputError(what + " '" + path + "': cannot be written: " + std::strerror(errno));
  }
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ea, eb;
  const auto ca = std::filesystem::weakly_canonical(a, ea);
  const auto cb = std::filesystem::weakly_canonical(b, eb);
  return ea || eb ? a == b : ca == cb;
}

// A fresh run (no --resume) starts only on a missing or empty file, or a
// table holding nothing but this sweep's header (killed before its first row).
void require_no_results(const std::string& path, const std::string& allowed,
                        const std::string& holds, const std::string& flag) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || st.st_size == 0) return;
  if (static_cast<std::size_t>(st.st_size) == allowed.size() &&
      kit::read_file(path, "file '" + path + "'") == allowed) {
    return;
  }
  throw kit::InputError("sweep: '" + path + "' already has " + holds +
                        "; pass --resume to continue it or choose another " + flag);
}

void rewrite_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::string bytes;
  for (const auto& l : lines) bytes += l + "\n";
  kit::write_file_atomic(path, bytes);
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
                           const kit::Registry& registry, bool keep_going) {
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
          const Json resolved = jobs::check_config(p.config, registry);
          p.hash = point_hash(p.config.dump() + resolved.dump());
          p.seed = resolved.at("seed").get<std::uint64_t>();
        } catch (const std::invalid_argument& e) {
          const std::string why = fmt::format("sweep point {} ({}): {}", p.index, label, e.what());
          if (!keep_going) throw kit::InputError(why);
          // Recorded, not run: keyed by the config as given (it has no resolved form).
          p.invalid = why;
          p.hash = point_hash("invalid\n" + p.config.dump());
          const bool has_seed = p.config.is_object() && p.config.contains("seed") &&
                                p.config.at("seed").is_number_unsigned();
          p.seed = has_seed ? p.config.at("seed").get<std::uint64_t>() : 1;
        }
        s.points.push_back(std::move(p));
      }
    }
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

SweepRow run_point(const SweepSpec& spec, const SweepPoint& p, const kit::Registry& registry,
                   Json* report_out) {
  SweepRow row;
  row.index = p.index;
  row.seed = p.seed;
  row.hash = p.hash;
  row.values = p.values;
  Json report;
  if (!p.invalid.empty()) {
    row.status = "invalid";
    row.error = p.invalid;
    row.metrics.assign(spec.metrics.size(), nullptr);
    if (report_out) *report_out = nullptr;
    return row;
  }
  try {
    report = jobs::run_job(p.config, registry);
    std::vector<std::string> missing;
    for (const auto& m : spec.metrics) {
      row.metrics.push_back(report_value(report, m));
      if (row.metrics.back().is_null()) missing.push_back(m);
    }
    row.status = missing.empty() ? "ok" : "failed";
    if (!missing.empty()) {
      row.error =
          fmt::format("{} {} {} not in the report", missing.size() == 1 ? "metric" : "metrics",
                      fmt::join(missing, ", "), missing.size() == 1 ? "is" : "are");
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
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "," + temporary.
  std::string line = std::to_string(row.index) + "," + row.hash + "," + std::to_string(row.seed);
  auto add = [&line](const std::string& field) {
    line += ',';
    line += field;
  };
  for (const auto& v : row.values) add(csv_field(cell(v)));
  for (const auto& v : row.metrics) add(csv_field(cell(v)));
  add(row.status);
  add(csv_field(row.error));
  return line;
}

Json row_to_json(const SweepRow& row, const Json& report) {
  return {{"point", row.index},
          {"seed", row.seed},
          {"hash", row.hash},
          {"status", row.status},
          {"error", row.error},
          {"values", row.values},
          {"metrics", row.metrics},
          {"nonfinite",
           {{"values", nonfinite_marks(row.values)}, {"metrics", nonfinite_marks(row.metrics)}}},
          {"report", report}};
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
  if (j.contains("nonfinite")) {
    restore_nonfinite(row.values, j.at("nonfinite").at("values"));
    restore_nonfinite(row.metrics, j.at("nonfinite").at("metrics"));
  }
  if (report) *report = j.at("report");
  return row;
}

// An exclusive flock, taken at once or refused: the lock is on the file the
// path names now (a table rewritten by a resume is a new file, locked anew).
struct SweepTable::Lock {
  explicit Lock(const std::string& path) {
    for (int attempt = 0; attempt < 16; ++attempt) {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        throw kit::RuntimeError("cannot open '" + path + "': " + std::strerror(errno));
      }
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        fd = -1;
        if (err == EWOULDBLOCK) {
          throw kit::InputError("sweep: another xbarsim sweep is writing " + path);
        }
        throw kit::RuntimeError("cannot lock '" + path + "': " + std::strerror(err));
      }
      struct stat held {};
      struct stat named {};
      if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
          held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
        return;
      }
      ::close(fd);  // replaced between open and flock: lock the new file
      fd = -1;
    }
    throw kit::RuntimeError("cannot lock '" + path + "': it keeps being replaced");
  }
  ~Lock() {
    if (fd >= 0) ::close(fd);
  }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  int fd = -1;
};

SweepTable::SweepTable(const SweepSpec& spec, const SweepOptions& opts)
    : start_(std::chrono::steady_clock::now()) {
  std::string header;
  for (const auto& h : spec.csv_header()) {
    if (!header.empty()) header += ',';
    header += csv_field(h);
  }
  const std::string& csv = opts.csv;
  const std::string& jsonl = opts.jsonl;
  if (csv.empty() && !jsonl.empty()) {
    throw kit::InputError("sweep: --jsonl needs the results table (-o) that records the points");
  }
  if (csv.empty()) return;
  // Every check that needs no file comes before the first file is created,
  // so a refused sweep leaves nothing behind.
  require_output(csv, "sweep -o");
  if (!jsonl.empty()) {
    require_output(jsonl, "sweep --jsonl");
    if (same_file(csv, jsonl)) {
      throw kit::InputError("sweep: -o and --jsonl name the same file '" + csv + "'");
    }
  }
  if (!opts.resume) {
    require_no_results(csv, header + "\n", "results", "-o");
    if (!jsonl.empty()) require_no_results(jsonl, "", "reports", "--jsonl");
  }
  csv_lock_ = std::make_unique<Lock>(csv);
  if (!jsonl.empty()) jsonl_lock_ = std::make_unique<Lock>(jsonl);

  // The table is the record of completion. Read under the lock (a cut last
  // row is trimmed); each point's first row is kept.
  bool csv_changed = false, jsonl_changed = false;
  const auto lines = csv_records(kit::read_complete_lines(csv), &csv_changed);
  if (lines.size() > 1 && !opts.resume) {
    throw kit::InputError("sweep: '" + csv +
                          "' already has results; pass --resume to continue it or choose "
                          "another -o");
  }
  if (!lines.empty() && lines.front() != header) {
    throw kit::InputError("sweep: '" + csv +
                          "' has other columns than this sweep; choose another -o");
  }
  std::vector<std::pair<std::size_t, std::string>> rows;  // point, line
  std::vector<bool> in_csv(spec.points.size(), false), in_jsonl(spec.points.size(), false);
  for (std::size_t k = 1; k < lines.size(); ++k) {
    std::size_t index = 0;
    std::string hash;
    if (!row_key(lines[k], &index, &hash)) {
      throw kit::InputError(
          fmt::format("sweep: '{}' row {} is not a sweep table row; choose another -o", csv, k));
    }
    require_same_point(spec, index, hash, csv, fmt::format("row {}", k), "-o");
    if (in_csv[index]) {
      csv_changed = true;  // a point twice (two writers before tables were locked)
      continue;
    }
    in_csv[index] = true;
    rows.emplace_back(index, lines[k]);
  }
  // With --jsonl both files keep the points complete in both: a report
  // without its row (killed between the two appends) is dropped, a row
  // without its report is dropped so the point runs again.
  std::vector<std::string> reports;
  if (!jsonl.empty()) {
    const auto jlines = kit::read_complete_lines(jsonl);
    if (!jlines.empty() && !opts.resume) {
      throw kit::InputError("sweep: '" + jsonl +
                            "' already has reports; pass --resume to continue it or choose "
                            "another --jsonl");
    }
    for (std::size_t k = 0; k < jlines.size(); ++k) {
      const Json j = Json::parse(jlines[k], nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object() || !j.contains("point") ||
          !j.at("point").is_number_unsigned() || !j.contains("hash") || !j.at("hash").is_string()) {
        throw kit::InputError(fmt::format(
            "sweep: '{}' line {} is not a sweep report; choose another --jsonl", jsonl, k + 1));
      }
      const auto index = j.at("point").get<std::size_t>();
      require_same_point(spec, index, j.at("hash").get<std::string>(), jsonl,
                         fmt::format("line {}", k + 1), "--jsonl");
      if (!in_csv[index] || in_jsonl[index]) {
        jsonl_changed = true;
        continue;
      }
      in_jsonl[index] = true;
      reports.push_back(jlines[k]);
    }
    const auto unreported =
        std::remove_if(rows.begin(), rows.end(), [&](const auto& r) { return !in_jsonl[r.first]; });
    csv_changed = csv_changed || unreported != rows.end();
    rows.erase(unreported, rows.end());
  }
  // Rewritten atomically, each then locked anew; a kill between the two
  // leaves files the next resume trims the same way.
  if (jsonl_changed) {
    rewrite_lines(jsonl, reports);
    jsonl_lock_ = std::make_unique<Lock>(jsonl);
  }
  if (csv_changed) {
    std::vector<std::string> kept = {header};
    for (const auto& r : rows) kept.push_back(r.second);
    rewrite_lines(csv, kept);
    csv_lock_ = std::make_unique<Lock>(csv);
  }
  for (const auto& r : rows) done_.insert(r.first);
  csv_ = std::make_unique<kit::AppendFile>(csv);
  if (lines.empty()) csv_->append_line(header);
  if (!jsonl.empty()) jsonl_ = std::make_unique<kit::AppendFile>(jsonl);
}

SweepTable::~SweepTable() = default;

std::vector<std::size_t> SweepTable::pending(const SweepSpec& spec) const {
  std::vector<std::size_t> todo;
  for (const auto& p : spec.points) {
    if (!done_.count(p.index)) todo.push_back(p.index);
  }
  return todo;
}

void SweepTable::append(const SweepRow& row, const Json& report, bool progress, std::size_t total) {
  // The report first: the row records completion, so a kill between the two
  // leaves a report the next resume drops, never a row without its report.
  if (jsonl_) {
    jsonl_->append_line(Json{
        {"point", row.index},
        {"hash", row.hash},
        {"status", row.status},
        {"report", report}}.dump());
  }
  if (csv_) csv_->append_line(csv_line(row));
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
  require_valid_points(spec, opts);
  SweepTable table(spec, opts);
  const std::vector<std::size_t> todo = table.pending(spec);
  std::vector<SweepRow> rows(todo.size());
  std::mutex mu;
  const int threads = std::max(1, opts.threads);
  auto run_one = [&](std::size_t t) {
    Json report;
    SweepRow row = run_point(spec, spec.points[todo[t]], registry, &report);
    std::lock_guard<std::mutex> lock(mu);
    table.append(row, report, opts.progress, todo.size());
    rows[t] = std::move(row);
  };
  if (threads == 1) {
    for (std::size_t t = 0; t < todo.size(); ++t) run_one(t);
  } else {
    tbb::task_arena arena(threads);
    arena.execute([&] {
      tbb::parallel_for(std::size_t{0}, todo.size(), [&](std::size_t t) {
        // One point per task, its own OpenMP loops serial so the threads are
        // not oversubscribed.
        const kit::SerialOpenMp serial;
        run_one(t);
      });
    });
  }
  return rows;
}

}  // namespace xbarsim::sweep
