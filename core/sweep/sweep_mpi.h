#pragma once
// Sweeps over MPI ranks (built when OpenMPI is found): rank 0 hands out
// points one at a time to whichever rank asks (dynamic load balancing) and
// writes the table; ranks 1..K-1 run them. Rows are the same bytes a
// single-process run writes (each point's result depends only on its
// config); only their order in the file follows completion.
//
// Contract: MPI is initialised by the caller; every rank passes the same
// spec and options. Returns the rows run now on rank 0, nothing elsewhere.
// Rank 0 receives with blocking MPI_Probe/MPI_Recv. An exception (bad table,
// lock, I/O) leaves the other ranks waiting: the caller prints it and calls
// MPI_Abort.
#include <vector>

#include "core/sweep/sweep.h"

namespace xbarsim::sweep {

std::vector<SweepRow> run_sweep_mpi(const SweepSpec& spec, const SweepOptions& opts,
                                    const kit::Registry& registry);

}  // namespace xbarsim::sweep
