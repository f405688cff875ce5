#include "core/sweep/sweep_mpi.h"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/kit/error.h"

namespace xbarsim::sweep {
namespace {

constexpr int kReady = 1, kWork = 2, kStop = 3, kResult = 4;

std::string receive_string(int source, int tag, int* from) {
  MPI_Status st;
  MPI_Probe(source, tag, MPI_COMM_WORLD, &st);
  int n = 0;
  MPI_Get_count(&st, MPI_CHAR, &n);
  std::string s(static_cast<std::size_t>(n), '\0');
  MPI_Recv(s.data(), n, MPI_CHAR, st.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (from) *from = st.MPI_SOURCE;
  return s;
}

void send_string(const std::string& s, int dest, int tag) {
  MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

}  // namespace

std::vector<SweepRow> run_sweep_mpi(const SweepSpec& spec, const SweepOptions& opts,
                                    const kit::Registry& registry) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) return run_sweep(spec, opts, registry);
  if (rank != 0) {
    // A worker: ask for a point, run it, send the row back, until told to stop.
    for (;;) {
      MPI_Send(nullptr, 0, MPI_CHAR, 0, kReady, MPI_COMM_WORLD);
      MPI_Status st;
      std::uint64_t index = 0;
      MPI_Recv(&index, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
      if (st.MPI_TAG == kStop) return {};
      kit::Json report;
      const SweepRow row = run_point(spec, spec.points[index], registry, &report);
      send_string(row_to_json(row, report).dump(), 0, kResult);
    }
  }
  // Rank 0 hands out the points left (dynamic balance) and writes the table.
  // An error here or later leaves the workers waiting: the caller prints it
  // and calls MPI_Abort.
  require_valid_points(spec, opts);
  SweepTable table(spec, opts);
  std::vector<std::size_t> todo = table.pending(spec);
  std::vector<SweepRow> rows;
  std::size_t next = 0;
  int stopped = 0;
  while (stopped < size - 1) {
    MPI_Status st;
    MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    const int from = st.MPI_SOURCE;
    if (st.MPI_TAG == kResult) {
      const kit::Json j = kit::parse_json(receive_string(from, kResult, nullptr), "sweep result");
      kit::Json report;
      SweepRow row = row_from_json(j, &report);
      table.append(row, report, opts.progress, todo.size());
      rows.push_back(std::move(row));
      continue;
    }
    MPI_Recv(nullptr, 0, MPI_CHAR, from, kReady, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (next < todo.size()) {
      const std::uint64_t index = todo[next++];
      MPI_Send(&index, 1, MPI_UINT64_T, from, kWork, MPI_COMM_WORLD);
    } else {
      const std::uint64_t none = 0;
      MPI_Send(&none, 1, MPI_UINT64_T, from, kStop, MPI_COMM_WORLD);
      ++stopped;
    }
  }
  std::sort(rows.begin(), rows.end(),
            [](const SweepRow& a, const SweepRow& b) { return a.index < b.index; });
  return rows;
}

}  // namespace xbarsim::sweep
