#pragma once
// A network: a graph of layers with shapes inferred and checked, from a
// JSON layer list, a zoo preset or an ONNX model.
//
//   "network": "lenet5"  or  {"preset": "lenet5"}      (configs/networks/lenet5.json)
//   "network": "model.onnx"  or  {"onnx": "model.onnx", "input_shape": [1, 28, 28]}
//   "network": {"input": [1, 28, 28], "layers": [
//       {"type": "conv2d", "out_channels": 6, "kernel": 5, "padding": 2},
//       {"type": "relu"}, {"type": "maxpool", "kernel": 2}, {"type": "flatten"},
//       {"type": "linear", "out_features": 10}]}
//
// Each layer reads the previous layer's output, or the layer named by
// "input" ("(input)": the network's input); layers that read several (add,
// mul, concat) name them all in "inputs" (or add's "input" and "from"). The layer kinds are in
// core/nn/layers/, one file each. An ONNX model brings its weights
// (Network::weights); a layer list's come from training or .npy files.
//
// Contract: parse() validates everything (unknown keys, shapes, names, an
// ONNX model's ops and values) before any work and throws ConfigError
// naming the JSON path.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/nn/layers/layer.h"

namespace xbarsim::nn {

struct Weights;

struct Network {
  std::string name;
  Shape input;
  std::vector<Layer> layers;               // in an order where every layer follows its inputs
  kit::Json resolved;                      // the network node as parsed (preset expanded)
  std::shared_ptr<const Weights> weights;  // the model's own (ONNX), or null

  // node: a preset name, an .onnx path or an object; path names it in errors.
  static Network parse(const kit::Json& node, const std::string& path);
  // A layer list (resolved has "input" and "layers"); the ONNX importer
  // builds its graph through this too.
  static Network from_layers(const kit::Json& node, const std::string& path);
  double macs() const;
  // Matrix layers only, in order.
  std::vector<std::size_t> matrix_layers() const;
  // Output of layer i (kNetworkInput: the network's input) is read by a
  // later layer for the last time at the returned index (0: never).
  std::vector<std::size_t> last_uses() const;
};

// A per-sample shape, [C, H, W] or [N], each dimension 1 to 2^24 (ConfigError
// at path otherwise).
Shape parse_sample_shape(const kit::Json& node, const std::string& path);

// The "network" node's schema: the layer kinds and each kind's keys.
kit::Json network_schema();

}  // namespace xbarsim::nn
