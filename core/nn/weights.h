#pragma once
// A network's weights: the unrolled matrices and biases of its matrix layers.
//
// Weight layout: a matrix layer's unrolled weights are rows() x cols() (see
// Layer). Row r of a conv2d is input channel c, kernel row ky and column kx
// with r = (c·k + ky)·k + kx, PyTorch's weight[o].flatten() order; column o
// is output channel (feature) o.
//
// Files (Weights::load / save), one pair per matrix layer, PyTorch's layout:
//   <dir>/<layer name>.weight.npy  (out_channels, in_channels / groups, kh, kw) for conv2d,
//                                  (out_features, in_features) for linear
//   <dir>/<layer name>.bias.npy    (out,) when the layer has a bias
// A batchnorm layer is folded into these weights before saving. load()
// checks every file's shape and values and names the file in errors.
#include <cstdint>
#include <string>
#include <vector>

#include "core/nn/network.h"

namespace xbarsim::nn {

struct LayerWeights {
  RowMatrixF w;          // rows() x cols() of the layer
  Eigen::RowVectorXf b;  // cols(), or empty without a bias
};

struct Weights {
  std::vector<LayerWeights> layers;  // indexed like Network::layers (empty for non-matrix ones)

  // He-normal weights (σ = sqrt(2 / fan_in)) from the seed, zero biases.
  static Weights init(const Network& net, std::uint64_t seed);
  static Weights load(const Network& net, const std::string& dir);
  void save(const Network& net, const std::string& dir) const;
};

}  // namespace xbarsim::nn
