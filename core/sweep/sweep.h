#pragma once
// Sweeps: one base config varied over a grid (Cartesian product), lock-step
// lists (zip) and seeded random samples, every point run as the main job,
// one CSV row per point appended durably as it finishes. The points and
// their checks: sweep_spec.cpp; the table, its lock and resume:
// sweep_table.cpp; running points: sweep_run.cpp.
//
//   {"base": "configs/chips/neurram.json" | {...},
//    "grid": {"adc.bits": [4, 6, 8], "array.rows": [128, 256]},
//    "zip": {"dac.bits": [2, 4], "adc.bits": [4, 6]},
//    "random": {"n": 16, "seed": 1, "params": {"chip.conductance_fraction": {"uniform": [0.1,
//    0.5]},
//               "adc.impl": {"choice": ["sar", "flash"]}, "adc.bits": {"int": [4, 8]}}},
//    "metrics": ["ppa.totals.tops_per_w", "ppa.totals.energy_pj.total"]}
//
// Points are grid x zip x random (an absent part counts once), in that
// nesting order. Contract: parse() expands and validates every point before
// anything runs (an invalid point is an InputError naming the point, its
// parameters and the config path, unless keep_going records it in the point;
// a metric no report of the sweep can hold is a ConfigError); run() is
// reproducible: a point's result depends only on its config, whatever the
// thread count or resume history.
//
// The table (CSV) is the record of completion: a point is done when a row
// with its index and config hash is there. Rows are keyed by both, so equal
// configs (duplicate grid values, repeated random draws) are separate points,
// and a table whose row k holds another config than point k is another
// sweep's (refused). With --jsonl the report is appended before the row, and
// a resume trims both files to the points complete in both.
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/kit/io.h"
#include "core/kit/json.h"
#include "core/kit/registry.h"

namespace xbarsim::sweep {

struct SweepPoint {
  std::size_t index = 0;
  std::vector<kit::Json> values;  // one per SweepSpec::params
  kit::Json config;               // base with the values applied
  std::string hash;               // of the config as given and resolved (with index: resume key)
  std::uint64_t seed = 1;         // the resolved config's seed
  std::string invalid;            // why the config is refused ("" = valid; only with keep_going)
};

struct SweepSpec {
  std::vector<std::string> params;   // swept config paths, in column order
  std::vector<std::string> metrics;  // report paths, e.g. "ppa.totals.tops_per_w"
  std::vector<SweepPoint> points;

  // spec_dir resolves a "base" given as a relative path. keep_going: an
  // invalid point is kept, its error in SweepPoint::invalid, instead of thrown.
  // threads: points checked at once (the outcome is the same for any count).
  static SweepSpec parse(const kit::Json& spec, const std::string& spec_dir,
                         const kit::Registry& registry, bool keep_going = false, int threads = 1);
  std::vector<std::string> csv_header() const;
};

struct SweepOptions {
  std::string csv;    // results table ("" = none)
  std::string jsonl;  // full reports, one JSON per line ("" = none)
  bool resume = false;
  int threads = 1;
  bool progress = false;    // done/total, failures, ETA on stderr
  bool keep_going = false;  // invalid points become "invalid" rows (else: refused before any work)
  // Group commit: finished points are written and fsync'ed together once this
  // long has passed since the last commit (and at the end); a kill loses at
  // most the points finished within it.
  double group_commit_s = 0.25;
};

struct SweepRow {
  std::size_t index = 0;
  std::uint64_t seed = 1;
  // status: "ok"; "error" (the job failed); "failed" (a metric is not in the
  // report); "invalid" (the config is refused; keep_going)
  std::string hash, status, error;
  std::vector<kit::Json> values, metrics;
};

// One point run as the main job (its report in *report when given); a job
// error is recorded in the row, not thrown.
SweepRow run_point(const SweepSpec& spec, const SweepPoint& point, const kit::Registry& registry,
                   kit::Json* report = nullptr);
// A value as the table writes it: strings bare, floats to 9 digits, null empty.
std::string cell_text(const kit::Json& v);
std::string csv_line(const SweepRow& row);
// A row and its report as one JSON object, and back (for MPI transport).
// Non-finite numbers (which JSON text cannot hold) survive the trip, so the
// row's CSV line is the same bytes on both sides.
kit::Json row_to_json(const SweepRow& row, const kit::Json& report);
SweepRow row_from_json(const kit::Json& j, kit::Json* report);

// The results table of a sweep: checks every output path before creating a
// file, takes an exclusive lock on the CSV (and the JSONL) for its lifetime
// (a second writer is an InputError at once), checks an existing table
// (resume, columns, points), trims both files to the points complete in both,
// appends the report and then the row of each point durably. Not
// thread-safe.
class SweepTable {
 public:
  SweepTable(const SweepSpec& spec, const SweepOptions& opts);
  ~SweepTable();
  SweepTable(const SweepTable&) = delete;
  SweepTable& operator=(const SweepTable&) = delete;
  std::vector<std::size_t> pending(const SweepSpec& spec) const;  // point indices to run
  // Adds a finished point; the points added since the last commit are
  // committed (reports, then rows) once SweepOptions::group_commit_s has
  // passed since it, and with the last point.
  void append(const SweepRow& row, const kit::Json& report, bool progress, std::size_t total);
  // Commits what append() holds: the reports' file first, then the rows'.
  void commit();

 private:
  struct Lock;  // a flock held on an open file
  std::set<std::size_t> done_;
  std::unique_ptr<Lock> csv_lock_, jsonl_lock_;
  std::unique_ptr<kit::AppendFile> csv_, jsonl_;
  std::chrono::steady_clock::time_point start_, committed_;
  double group_commit_s_ = 0;
  std::size_t finished_ = 0, failures_ = 0;
};

// Runs the points not already in opts.csv (with opts.resume); returns the
// rows run now, in point order. An invalid point (parsed with keep_going) is
// an InputError before any work unless opts.keep_going.
std::vector<SweepRow> run_sweep(const SweepSpec& spec, const SweepOptions& opts,
                                const kit::Registry& registry);

// The value at a dotted path of a report ("vmm.0.rel_rms_error.mean"), or
// null when it is not there.
kit::Json report_value(const kit::Json& report, const std::string& path);

// The top-level keys of run_job's report for a config, in report order: the
// tile demo's (core/jobs/tile_job.cpp) without "network", else the architecture
// job's (core/jobs/run.cpp: "measured" and "accuracy" when the config has
// "measured" and "evaluation"), "warnings" last.
std::vector<std::string> report_keys(const kit::Json& config);

// Throws the first invalid point's error unless opts.keep_going (run_sweep
// and rank 0 of run_sweep_mpi call it before opening the table).
void require_valid_points(const SweepSpec& spec, const SweepOptions& opts);

}  // namespace xbarsim::sweep
