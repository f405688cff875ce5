#include <fmt/format.h>
#include <fmt/ranges.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <mutex>

#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/kit/parallel.h"
#include "core/sweep/sweep.h"

namespace xbarsim::sweep {

using kit::Json;

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
