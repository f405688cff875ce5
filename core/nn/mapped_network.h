#pragma once
// A network's weights programmed onto crossbar tiles, for functional
// inference: each matrix layer's unrolled weights (each group's, for grouped
// convolutions) split into blocks of at most array.rows x
// TileSpec::weight_cols() (nn::block_plan, the split the performance model
// counts), one Tile per block; partial sums of a row split add digitally.
// Everything else (bias, activations, pooling, residual adds) is float.
// Each layer has its own tile spec (LayerHardware: the "layers" overrides);
// a digital layer has no blocks and its product is the float one.
//
// Circuit: each block's crossbars are solved as a circuit of the block's own
// size (the used rows and columns, nearest the drivers and sinks); the
// unused part of a physical array is not modelled.
//
// Contract: the tiles are programmed in the constructor with device draws
// keyed by (the base spec's seed, layer, block, trial), so a trial is reproducible and
// independent of thread count. Not thread-safe (tiles count their reads).
#include <cstdint>
#include <memory>
#include <vector>

#include "core/kit/registry.h"
#include "core/kit/rng.h"
#include "core/nn/forward.h"
#include "core/nn/layer_hardware.h"
#include "core/nn/network.h"
#include "core/tile/actions.h"
#include "core/tile/tile.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::nn {

class MappedNetwork {
 public:
  MappedNetwork(const Network& net, const Weights& weights, const LayerHardware& hardware,
                const kit::Registry& registry, std::uint64_t trial);
  // Every layer on `spec`.
  MappedNetwork(const Network& net, const Weights& weights, const tile::TileSpec& spec,
                const kit::Registry& registry, std::uint64_t trial);

  // Sets every calibrated DAC/ADC range from x (samples x input elements),
  // layer by layer: each layer is calibrated on the outputs its predecessors
  // give on the hardware, read right after programming. Returns the
  // network's outputs for x from that same pass.
  RowMatrixF calibrate(const RowMatrixF& x);
  // The network's outputs for x, read t_s after programming, with or
  // without drift compensation. Adds what the tiles did to actions().
  RowMatrixF run(const RowMatrixF& x, double t_s, bool compensate = true);

  const tile::Actions& actions() const { return actions_; }
  // What layer `layer`'s tiles did; reset_actions() zeroes every count.
  const tile::Actions& actions(std::size_t layer) const { return layer_actions_.at(layer); }
  void reset_actions();

  // Event-driven reads (spiking networks): layer `layer`'s product of
  // vectors v, t_s after programming, where each block reads only the
  // vectors that drive at least one of its rows; the others add 0 and cost
  // nothing (no pulse, no read, no conversion).
  RowMatrixF read_events(std::size_t layer, const RowMatrixF& v, double t_s,
                         bool compensate = true);
  // Sets layer `layer`'s calibrated DAC/ADC ranges from vectors v (each
  // block from the vectors that drive its rows).
  void calibrate_events(std::size_t layer, const RowMatrixF& v);

  // What loading the network took: every crossbar's write-verify added up,
  // and the slowest crossbar (the load time when all program at once).
  struct Programming {
    arrays::ProgramReport total;  // time_ns: one crossbar after another
    double slowest_crossbar_ns = 0;
    std::size_t crossbars = 0;
    kit::Json to_json() const;
  };
  Programming programming() const;

  // One programmed block: the input-vector columns [v0, v0 + rows) it reads
  // and the output columns [col0, col0 + cols) it adds to.
  struct Block {
    std::size_t v0, rows, col0, cols;
    std::unique_ptr<tile::Tile> tile;
  };
  // Network layer `layer`'s blocks (none for layers without a matrix).
  const std::vector<Block>& blocks(std::size_t layer) const { return blocks_.at(layer); }

 private:
  // Programs the block of layer `layer` that reads vector columns [v0, v0 +
  // rows) and holds weights W[r0.., c0..] (group g's rows start at v0 - r0).
  void add_block(std::size_t layer, std::uint64_t index, std::size_t v0, std::size_t rows,
                 std::size_t c0, std::size_t cols, std::size_t r0, const tile::TileSpec& spec,
                 const kit::Registry& registry, const kit::Stream& seeds);
  // y = v · W of one layer through its blocks; calibrating sets each tile's
  // ranges from its own inputs first.
  RowMatrixF product(std::size_t layer, const RowMatrixF& v, double t_s, bool compensate,
                     bool calibrating);
  void add_actions(std::size_t layer, const tile::Actions& a);

  const Network& net_;
  const Weights& weights_;
  std::vector<std::vector<Block>> blocks_;  // per network layer
  std::vector<bool> digital_;               // per network layer
  ProductFn float_;                         // the digital layers' product
  tile::Actions actions_;
  std::vector<tile::Actions> layer_actions_;  // per network layer
};

}  // namespace xbarsim::nn
