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
#include "core/nn/layer_blocks.h"
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
  nn::BlockPlan plan;     // the layer's row and column blocks
  std::size_t row_splits = 0, col_splits = 0, arrays = 0, tiles = 0, replicas = 1;
  double utilization = 0;  // weights' cells over the cells of the arrays used
};

// Energy of one layer by component (pJ per inference).
struct LayerEnergy {
  double array = 0, dac = 0, adc = 0, shift_add = 0, adder_tree = 0, digital = 0, buffer = 0,
         global_buffer = 0, noc = 0;
  double total() const;
  void add(const LayerEnergy& o);
  kit::Json to_json() const;
};

// One layer's share of an inference: its energy, latency and, for a matrix
// layer, what its arrays did.
struct LayerCost {
  LayerEnergy energy;
  double latency_ns = 0;
  tile::Actions actions;
};

// What every layer's cost depends on besides the layer: costs at the node,
// the static activity assumptions, the network's hop count.
struct CostContext {
  double e45 = 0, e40 = 0, e32 = 0;  // energy scales from 45, 40, 32 nm to the node
  double a40 = 0, a32 = 0;           // area scales
  peripherals::DacCost dac;
  peripherals::AdcCost adc;
  peripherals::ShiftAddCost shift_add;
  int acc_bits = 0, act_bits = 0;
  double g_avg_us = 0;  // mean cell conductance (chip.conductance_fraction)
  double t_on_ns = 0;   // time a driven row is at v_read per read cycle
  double chips = 0;     // chips the network needs
  std::size_t chip_tiles = 0, tiles_used = 0;
  double hops = 0;  // mean network hops of a feature-map transfer
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
  CostContext context(const std::vector<LayerMap>& maps) const;
  // layer_cost.cpp: a layer's energy and latency; for a matrix layer (m set)
  // its arrays' counts too.
  LayerCost layer_cost(const nn::Layer& l, const LayerMap* m, const CostContext& c) const;
  // area.cpp: every tile of the chip(s) with its crossbars and periphery (mm²).
  kit::Json area_json(const CostContext& c) const;
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
