#pragma once
// What an in-situ training run costs on the configured chip: every read the
// trainer made, priced by the chip's architecture estimate
// (ppa::Accelerator) of the layer it read, beside the pulses' own write
// energy and time.
//
// Prices, per matrix layer, on the layer's tile with one copy of each
// weight (chip.replication "none": a trained weight has one set of
// devices):
// - a forward read (training or test scoring) costs the layer's estimated
//   energy and latency per input vector;
// - a transposed read (the backward pass: the columns driven, the rows
//   sensed) costs the estimate of the transposed matrix, cols() inputs to
//   rows() outputs per vector, on the same tile;
// - a one-hot read (a pair's refresh, a Tiki-Taka transfer) costs one
//   forward vector.
// The run's energy is the sum of those and the write energy; its time on
// the chip is the layers' reads one after another plus the write time.
#include "core/jobs/run.h"
#include "core/kit/json.h"
#include "core/kit/registry.h"

namespace xbarsim::jobs {

// in_situ: the trainer's report (layers[].reads, totals).
kit::Json training_chip_cost(const PreparedJob& job, const kit::Json& in_situ,
                             const kit::Registry& registry);

}  // namespace xbarsim::jobs
