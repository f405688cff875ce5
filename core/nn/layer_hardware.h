#pragma once
// Per-layer hardware: the tile each matrix layer runs on. The config's tile
// nodes are every layer's unless its "layers" node overrides them for a
// layer, chosen by kind ("conv2d"), by index among the matrix layers ("0",
// "-1" for the last) or by name ("fc1"), applied in that order so the more
// specific wins:
//
//   "layers": {"conv2d": {"adc": {"bits": 6}},
//              "0": {"adc": {"bits": 8}, "mapping": {"weight_bits": 8}},
//              "fc3": {"digital": true}}
//
// An override may set any tile node (array, device, mapping, read_noise,
// dac, adc, shift_add, solver) and drift_compensation. A node naming another
// "impl" (or device "preset") than the config's replaces it; otherwise its
// keys are merged into the config's. "digital": true runs the layer on the
// tiles' digital units (its float product; priced per MAC by the
// performance model) and takes no other key.
//
// Contract: parse validates everything before work (unknown layers, kinds
// and keys name the path and what exists; each layer's merged tile is parsed
// as a whole tile, its errors under layers.KEY). The seed is the config's:
// a layer's device draws do not depend on the other layers' settings.
#include <optional>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/registry.h"
#include "core/nn/network.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::nn {

class LayerHardware {
 public:
  // Every layer on `base` (no overrides); layers: the network's layer count
  // (any layer beyond it is on the base too).
  explicit LayerHardware(tile::TileSpec base, std::size_t layers = 0);
  // config's "layers" node (absent: none) over base, for net's layers.
  static LayerHardware parse(const kit::Json& config, tile::TileSpec base, const Network& net,
                             const kit::Registry& registry);

  const tile::TileSpec& base() const { return base_; }
  // The tile of network layer `layer` (the base unless overridden).
  const tile::TileSpec& spec(std::size_t layer) const;
  bool digital(std::size_t layer) const { return layer < digital_.size() && digital_[layer]; }
  // Whether layer `layer` has a tile of its own (an override other than digital).
  bool overridden(std::size_t layer) const {
    return layer < own_.size() && own_[layer].has_value();
  }
  std::size_t size() const { return own_.size(); }  // network layers it was parsed for
  // The same assignment with every tile passed through f (the base too).
  template <class F>
  LayerHardware transformed(F f) const {
    LayerHardware out(f(base_), own_.size());
    for (std::size_t i = 0; i < own_.size(); ++i) {
      if (own_[i]) out.own_[i] = f(*own_[i]);
    }
    out.digital_ = digital_;
    out.resolved_ = resolved_;
    return out;
  }
  // Every layer's tile passed through f(spec, layer): each layer then has
  // a tile of its own; `base` is the new base (the chip's spare tiles').
  template <class F>
  LayerHardware per_layer(F f) const {
    return per_layer(f, base_);
  }
  template <class F>
  LayerHardware per_layer(F f, tile::TileSpec base) const {
    LayerHardware out(std::move(base), own_.size());
    for (std::size_t i = 0; i < own_.size(); ++i) out.own_[i] = f(spec(i), i);
    out.digital_ = digital_;
    out.resolved_ = resolved_;
    return out;
  }
  // {layer name: its resolved override} for the reports (empty object: none).
  const kit::Json& resolved() const { return resolved_; }

 private:
  tile::TileSpec base_;
  std::vector<std::optional<tile::TileSpec>> own_;  // per network layer
  std::vector<bool> digital_;                       // per network layer
  kit::Json resolved_ = kit::Json::object();
};

// A tile node with an override's keys: the override when it names another
// "impl" (or device "preset") than the node, else the node with its keys
// merged in (RFC 7386).
kit::Json overlay_node(const kit::Json& node, const kit::Json& over);

// The "layers" node's schema (what an override may set).
kit::Json layer_overrides_schema();

}  // namespace xbarsim::nn
