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
// tests/cpp/ppa/test_ppa.cpp compares the two runs as a guard. Each layer
// is mapped and priced on its own tile (nn::LayerHardware, the "layers"
// overrides: one TileModel per distinct tile); a layer set digital has no
// arrays and runs on the tiles' digital units.
//
// Contract: Accelerator validates its inputs when built (ConfigError / a
// clear error when the chip is too small); estimate() is a pure function.
#include <memory>
#include <vector>

#include "arrays/mapping.h"
#include "core/nn/layer_blocks.h"
#include "core/nn/layer_hardware.h"
#include "core/nn/network.h"
#include "core/nn/snn/convert.h"
#include "core/ppa/hardware.h"
#include "core/tile/actions.h"
#include "core/tile/tile_spec.h"
#include "peripherals/adc.h"
#include "peripherals/dac.h"
#include "peripherals/neuron.h"
#include "peripherals/shift_add.h"

namespace xbarsim::ppa {

struct LayerMap {
  std::size_t layer = 0;  // index into Network::layers
  std::size_t model = 0;  // its tile model (0: the config's tile)
  nn::BlockPlan plan;     // the layer's row and column blocks
  std::size_t row_splits = 0, col_splits = 0, arrays = 0, tiles = 0, replicas = 1;
  double utilization = 0;  // weights' cells over the cells of the arrays used
};

// Energy of one layer by component (pJ per inference); neurons: a spiking
// chip's (in the JSON only then).
struct LayerEnergy {
  double array = 0, dac = 0, adc = 0, shift_add = 0, adder_tree = 0, digital = 0, buffer = 0,
         global_buffer = 0, noc = 0, neurons = 0;
  double total() const;
  void add(const LayerEnergy& o);
  kit::Json to_json(bool with_neurons = false) const;
};

// A layer of a spiking chip as the static model prices it (hw.snn): its role
// in the conversion and the spike rate (per element per step) of what it
// reads (a matrix layer) or fires (a neuron population).
struct SnnLayerRate {
  nn::SnnRole role = nn::SnnRole::kPass;
  double rate = 0;
  bool reads_spikes = false, signed_spikes = false;
  bool readout = false;  // its outputs accumulate into the scores
  bool pools = false;    // a population of an average pooling (its adds stay)
};

// One layer's share of an inference: its energy, latency and, for a matrix
// layer, what its arrays did.
struct LayerCost {
  LayerEnergy energy;
  double latency_ns = 0;
  tile::Actions actions;
};

// One tile spec as the performance model prices it: its converters, slices,
// polarity and conductance window (every layer's, or a layer's own through
// the "layers" overrides).
struct TileModel {
  TileModel(tile::TileSpec spec, const kit::Registry& registry);
  // The accumulator width after shift-add (computed once: the DAC's group
  // weights come from an encode), and the activation width.
  int accumulator_bits() const { return acc_bits_; }
  int activation_bits() const;
  // One input vector through one array group (read cycles and the shared
  // conversions; adc_sharing: columns per ADC beyond the ADC's own sharing).
  double vector_ns(std::size_t adc_sharing) const;
  tile::Actions group_actions(std::size_t vectors, std::size_t rows, std::size_t cols) const;

  tile::TileSpec spec;
  std::unique_ptr<peripherals::Dac> dac;
  std::unique_ptr<peripherals::Adc> adc;
  std::unique_ptr<peripherals::ShiftAdd> shift_add;
  int slices = 1;
  std::vector<double> slice_weights;        // digital weight of each slice (the mapping's)
  std::size_t polarity = 2, data_cols = 0;  // crossbars per slice, weight columns per array
  double g_min_us = 0, g_max_us = 0;

 private:
  int acc_bits_ = 0;
};

// A tile model's costs at the node and under the static activity assumptions.
struct TileCosts {
  peripherals::DacCost dac;
  peripherals::AdcCost adc;
  peripherals::ShiftAddCost shift_add;
  int acc_bits = 0, act_bits = 0;
  double g_avg_us = 0;         // mean cell conductance (chip.conductance_fraction)
  double t_on_ns = 0;          // time a driven row is at v_read per read cycle
  std::size_t tiles_used = 0;  // tiles of the chip(s) with this model's arrays
};

// One tile's area by component (µm²).
struct TileArea {
  double arrays = 0, dac = 0, adc = 0, shift_add = 0, buffer = 0, digital = 0, noc = 0;
  double total() const;
};

// What every layer's cost depends on besides the layer: costs at the node,
// each tile model's costs, the network's hop count.
struct CostContext {
  double e45 = 0, e40 = 0, e32 = 0;  // energy scales from 45, 40, 32 nm to the node
  double a40 = 0, a32 = 0;           // area scales
  std::vector<TileCosts> tiles;      // per tile model (0: the config's)
  double chips = 0;                  // chips the network needs
  std::size_t chip_tiles = 0, tiles_used = 0;
  double hops = 0;  // mean network hops of a feature-map transfer
};

class Accelerator {
 public:
  // Every layer on `tile`.
  Accelerator(tile::TileSpec tile, HardwareSpec hw, const kit::Registry& registry);
  // Each layer on its own tile (nn::LayerHardware; digital layers on the
  // tiles' digital units). Not a spiking chip (hw.snn: a logic_error).
  Accelerator(nn::LayerHardware layers, HardwareSpec hw, const kit::Registry& registry);
  // Each layer on its own tile, for `net` (the network estimate() and map()
  // take): a spiking chip (hw.snn) reads it as the SNN of its conversion on
  // spike tiles (nn::spiking_hardware), every count times snn.steps and
  // every row pulse a spike (ConfigError at the layer's path when it cannot
  // convert, at "snn" for a layer set digital or layer_rates naming no layer).
  Accelerator(nn::LayerHardware layers, HardwareSpec hw, const nn::Network& net,
              const kit::Registry& registry);

  // Maps every matrix layer on tiles (not the digital ones); throws when
  // the chip is too small (unless chip.multiple_chips).
  std::vector<LayerMap> map(const nn::Network& net) const;
  // What one array group of the config's tile (rows x cols of one layer's
  // weights, at most one array in each direction) does for `vectors` input
  // vectors: the counts Tile::vmm would make for a batch of that size.
  tile::Actions group_actions(std::size_t vectors, std::size_t rows, std::size_t cols) const;
  // The whole report (per layer and totals) as JSON.
  kit::Json estimate(const nn::Network& net) const;

 private:
  CostContext context(const std::vector<LayerMap>& maps) const;
  // The tile model (index into models_) of network layer `layer`.
  std::size_t model_of(std::size_t layer) const;
  // layer_cost.cpp: a layer's energy and latency; for a matrix layer on
  // tiles (m set) its arrays' counts too.
  LayerCost layer_cost(const nn::Layer& l, std::size_t layer, const LayerMap* m,
                       const CostContext& c) const;
  // The layer's work on the digital units: its kind's, and for a matrix
  // layer set digital its MACs (a multiply and an add each).
  nn::DigitalWork digital_work(const nn::Layer& l, std::size_t layer) const;
  // area.cpp: one tile of tile model `model`, and every tile of the chip(s)
  // with its crossbars and periphery (mm²).
  TileArea tile_area(std::size_t model, const CostContext& c) const;
  kit::Json area_json(const CostContext& c) const;
  std::size_t tiles_for(std::size_t arrays) const;
  void build_models(const kit::Registry& registry);
  // snn.cpp: a spiking chip's layers and neurons (hw_.snn set).
  void plan_snn(const nn::Network& net, const kit::Registry& registry);
  // The report's "snn" block.
  kit::Json snn_json(const nn::Network& net) const;

  nn::LayerHardware layers_;
  HardwareSpec hw_;
  std::vector<TileModel> models_;   // 0: the config's tile, then each distinct override
  std::vector<std::size_t> model_;  // per network layer overridden (else 0)
  std::vector<SnnLayerRate> snn_;   // per network layer of a spiking chip (else empty)
  peripherals::NeuronCost neuron_cost_;
  double snn_neurons_ = 0;  // every population's and the readout's
};

}  // namespace xbarsim::ppa
