#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/sweep/sweep.h"

namespace xbarsim::sweep {
namespace {

using kit::Json;

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
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

std::string cell_text(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.9g}", v.get<double>());
  return v.dump();
}

std::string csv_line(const SweepRow& row) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "," + temporary.
  std::string line = std::to_string(row.index) + "," + row.hash + "," + std::to_string(row.seed);
  auto add = [&line](const std::string& field) {
    line += ',';
    line += field;
  };
  for (const auto& v : row.values) add(csv_field(cell_text(v)));
  for (const auto& v : row.metrics) add(csv_field(cell_text(v)));
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
    : start_(std::chrono::steady_clock::now()),
      committed_(start_),
      group_commit_s_(opts.group_commit_s) {
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

SweepTable::~SweepTable() {
  try {
    commit();  // an early exit (an error in the sweep) keeps the points finished
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xbarsim: sweep: %s\n", e.what());
  }
}

void SweepTable::commit() {
  // Reports before rows: a row records completion, so a kill between the
  // two leaves reports the next resume drops, never a row without its report.
  if (jsonl_) jsonl_->commit();
  if (csv_) csv_->commit();
  committed_ = std::chrono::steady_clock::now();
}

std::vector<std::size_t> SweepTable::pending(const SweepSpec& spec) const {
  std::vector<std::size_t> todo;
  for (const auto& p : spec.points) {
    if (!done_.count(p.index)) todo.push_back(p.index);
  }
  return todo;
}

void SweepTable::append(const SweepRow& row, const Json& report, bool progress, std::size_t total) {
  if (jsonl_) {
    jsonl_->add(
        Json{{"point", row.index}, {"hash", row.hash}, {"status", row.status}, {"report", report}}
            .dump());
  }
  if (csv_) csv_->add(csv_line(row));
  ++finished_;
  if (row.status != "ok") ++failures_;
  const auto now = std::chrono::steady_clock::now();
  if (finished_ < total &&
      std::chrono::duration<double>(now - committed_).count() < group_commit_s_) {
    return;
  }
  commit();
  // The progress line at each commit: every point when points are slow.
  if (progress) {
    const double el = std::chrono::duration<double>(now - start_).count();
    const double eta = el / static_cast<double>(finished_) * static_cast<double>(total - finished_);
    std::fprintf(stderr, "\rsweep: %zu/%zu done, %zu failed, ETA %.0f s   ", finished_, total,
                 failures_, eta);
    if (finished_ == total) std::fprintf(stderr, "\n");
  }
}

}  // namespace xbarsim::sweep
