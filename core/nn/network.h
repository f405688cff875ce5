#pragma once
// A network as a JSON layer list, with shapes inferred and checked.
//
//   "network": {"preset": "lenet5"}                  (configs/networks/lenet5.json)
//   "network": {"input": [1, 28, 28], "layers": [
//       {"type": "conv2d", "out_channels": 6, "kernel": 5, "padding": 2},
//       {"type": "relu"}, {"type": "maxpool", "kernel": 2}, {"type": "flatten"},
//       {"type": "linear", "out_features": 10}]}
//
// Layer types: conv2d, linear (the matrix layers, mapped onto crossbars);
// relu, sigmoid, tanh, gelu (elementwise); maxpool, avgpool; flatten; add
// (residual: adds the output of layer "from" to its input); batchnorm (folded
// into the matrix layer before it: no cost, no separate weights). Each layer
// reads the previous layer's output, or the layer named by "input". Shapes
// are [C, H, W] or [N].
//
// Contract: parse() validates everything (unknown keys, shapes, names)
// before any work and throws ConfigError naming the JSON path.
#include <cstddef>
#include <string>
#include <vector>

#include "core/kit/json.h"

namespace xbarsim::nn {

// Per-sample feature-map elements and per-layer weights a network may have.
inline constexpr double kMaxFeatureElements = 2147483648.0;  // 2^31
inline constexpr double kMaxWeights = 68719476736.0;         // 2^36

enum class LayerKind {
  kConv2d,
  kLinear,
  kActivation,
  kMaxPool,
  kAvgPool,
  kFlatten,
  kAdd,
  kBatchNorm
};

struct Layer {
  std::string name, type;
  LayerKind kind = LayerKind::kActivation;
  std::size_t input = 0;  // index of the layer whose output this reads (layers.size() = the input)
  std::size_t from = 0;   // add: the other operand's layer index
  std::vector<std::size_t> in_shape, out_shape;
  // conv2d / linear / pools
  std::size_t out_channels = 0, kernel = 1, stride = 1, padding = 0;
  bool bias = false;

  bool matrix() const { return kind == LayerKind::kConv2d || kind == LayerKind::kLinear; }
  // Matrix layers: the unrolled weight matrix (im2col for conv2d: kernel² ·
  // in_channels rows, out_channels columns) and the input vectors it reads
  // per inference (one per output pixel).
  std::size_t rows() const;
  std::size_t cols() const;
  std::size_t vectors() const;
  // Multiply-accumulates per inference: those with a real input operand, and
  // those including the padded zeros a crossbar also reads.
  double macs() const;
  double macs_padded() const;
  std::size_t out_elements() const;
  std::size_t in_elements() const;
};

struct Network {
  std::string name;
  std::vector<std::size_t> input;
  std::vector<Layer> layers;
  kit::Json resolved;  // the network node as parsed (preset expanded)

  // node: an object (inline, or {"preset": NAME}); path names it in errors.
  static Network parse(const kit::Json& node, const std::string& path);
  double macs() const;
  // Matrix layers only, in order.
  std::vector<std::size_t> matrix_layers() const;
};

// The "network" node's schema: the layer kinds and each kind's keys.
kit::Json network_schema();

}  // namespace xbarsim::nn
