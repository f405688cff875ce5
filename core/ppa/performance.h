#pragma once
// The performance model: a network mapped onto the hardware hierarchy, and
// its energy, latency, throughput and area from action counts times
// per-action costs.
//
// Mapping: each conv2d/linear layer is unrolled (im2col: kernel² · in_channels
// rows, out_channels columns) and split over array rows and columns by
// nn::block_plan (as the functional run splits it), times the weight slices
// and polarities of the tile mapping; a layer owns whole tiles; replicas
// (chip.replication "auto") copy the slowest layers onto spare tiles. Counts
// per array group (one row split x one column split) come from
// tile::count_actions, the counter the functional pipeline calls too;
// tests/cpp/ppa/test_ppa.cpp compares the two runs as a guard.
//
// Contract: Accelerator validates its inputs when built (ConfigError / a
// clear error when the chip is too small); estimate() is a pure function.
#include <memory>
#include <vector>

#include "arrays/mapping.h"
#include "core/nn/network.h"
#include "core/ppa/hardware.h"
#include "core/tile/actions.h"
#include "core/tile/tile_spec.h"
#include "peripherals/adc.h"
#include "peripherals/dac.h"
#include "peripherals/shift_add.h"

namespace xbarsim::ppa {

struct LayerMap {
  std::size_t layer = 0;  // index into Network::layers
  std::size_t row_splits = 0, col_splits = 0, arrays = 0, tiles = 0, replicas = 1;
  double utilization = 0;  // weights' cells over the cells of the arrays used
};

class Accelerator {
 public:
  Accelerator(tile::TileSpec tile, HardwareSpec hw, const kit::Registry& registry);

  // Maps every matrix layer; throws when the chip is too small (unless
  // chip.multiple_chips).
  std::vector<LayerMap> map(const nn::Network& net) const;
  // What one array group (rows x cols of one layer's weights, at most one
  // array in each direction) does for `vectors` input vectors: the counts
  // Tile::vmm would make for a batch of that size.
  tile::Actions group_actions(std::size_t vectors, std::size_t rows, std::size_t cols) const;
  // The whole report (per layer and totals) as JSON.
  kit::Json estimate(const nn::Network& net) const;

 private:
  double vector_ns() const;  // one input vector through one array group
  int accumulator_bits() const;
  int activation_bits() const;
  std::size_t tiles_for(std::size_t arrays) const;

  tile::TileSpec tile_;
  HardwareSpec hw_;
  std::unique_ptr<peripherals::Dac> dac_;
  std::unique_ptr<peripherals::Adc> adc_;
  std::unique_ptr<peripherals::ShiftAdd> shift_add_;
  int slices_ = 1;
  std::vector<double> slice_weights_;         // digital weight of each slice (the mapping's)
  std::size_t polarity_ = 2, data_cols_ = 0;  // crossbars per slice, weight columns per array
  double g_min_us_ = 0, g_max_us_ = 0;
};

}  // namespace xbarsim::ppa
