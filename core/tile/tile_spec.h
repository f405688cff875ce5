#pragma once
// The validated configuration of one tile (what `vmm`, `circuit` and the
// Python Crossbar take): seed, array, device, mapping, read noise, drift
// compensation, DAC, ADC, shift-add and solver nodes.
#include <cstdint>
#include <string>
#include <vector>

#include "arrays/array_spec.h"
#include "arrays/circuit.h"
#include "arrays/mapping.h"
#include "arrays/read_noise.h"
#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/registry.h"

namespace xbarsim::tile {

enum class DriftCompensation { kNone, kGlobal, kPerColumn };

struct TileSpec {
  std::uint64_t seed = 1;
  arrays::ArraySpec array;
  kit::Json device;  // resolved device node (built by the registry)
  arrays::MappingSpec mapping;
  arrays::ReadNoiseSpec read_noise;
  DriftCompensation drift_compensation = DriftCompensation::kGlobal;
  double node_nm = 32;                    // technology node of the periphery (costs)
  kit::Json dac, adc, shift_add, solver;  // resolved nodes
  kit::Json resolved;                     // the whole resolved tile config
  // Valid but suspicious settings, each "path: what and the fix": effects
  // the configuration turns off (wires under the ideal solver) and values
  // outside physical ranges (a conductance in siemens in a µS key).
  std::vector<std::string> warnings;

  // Component nodes of a tile, in report order.
  static const std::vector<std::string>& component_keys();
  // Top-level scalar parameters of a tile.
  static std::vector<kit::ParamInfo> params();

  // Keys a whole run adds around the tile ("evaluation", ...); a tile
  // parse accepts and ignores them, so one file serves `run` and `vmm`.
  static const std::vector<std::string>& run_keys();

  // Validates config (a JSON object) into a spec.
  static TileSpec parse(const kit::Json& config, const kit::Registry& registry);
  const kit::Json& to_json() const { return resolved; }

  // Weight columns one array holds: all of them with the differential
  // mapping, one fewer with the offset mapping (its reference column).
  std::size_t weight_cols() const {
    return mapping.impl == "differential" ? array.cols : array.cols - 1;
  }
  // The circuit of a rows x cols crossbar of this tile, and its solver.
  arrays::CircuitSpec circuit(std::size_t rows, std::size_t cols) const;
  // The same, after checking that a rows x cols matrix (`what`, e.g.
  // "conductances 'G.npy'") fits the array: InputError otherwise.
  arrays::CircuitSpec checked_circuit(std::size_t rows, std::size_t cols,
                                      const std::string& what) const;
  // Memory (bytes) one tile of this spec holds for a rows x cols weight
  // block read in batches of `batch` vectors: ~40 B per crossbar cell
  // (programmed state, drift, targets), ~64 B per weight (weights, read
  // state), the circuit set-up's workspace with wires, the batch's planes.
  // Measured within ~25 % of the peak RSS (BENCHMARKS.md, "Memory estimate").
  double memory_bytes(std::size_t rows, std::size_t cols, std::size_t batch) const;
  arrays::SolverSpec solver_spec() const { return arrays::SolverSpec::from_json(solver); }
};

}  // namespace xbarsim::tile
