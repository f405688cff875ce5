#pragma once
// The float arithmetic every path shares: im2col, pooling, activations and
// the forward pass. The matrix products come from a callback, so the float
// reference, the crossbar tiles and the trainer run the same code around
// them.
//
// Contract: activations are batch x elements, row-major, each sample's
// elements in C order ([C, H, W] or [N]).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/nn/network.h"
#include "core/nn/weights.h"

namespace xbarsim::nn {

// A conv2d layer's input as im2col vectors: (batch·P) x rows(), P output pixels
// per sample, zero padding included. A linear layer's vectors are its input.
RowMatrixF layer_vectors(const Layer& l, const RowMatrixF& x);
// The products of those vectors ((batch·P) x cols()) as the layer's output,
// batch x (cols()·P), with the bias (if any) added.
RowMatrixF layer_output(const Layer& l, const RowMatrixF& y, const Eigen::RowVectorXf& bias);
// The reverse maps, for gradients: output-shaped to vector-shaped, and
// im2col-shaped back onto the input (overlaps summed).
RowMatrixF output_to_vectors(const Layer& l, const RowMatrixF& g);
RowMatrixF vectors_to_input(const Layer& l, const RowMatrixF& g);

// Max or average pooling (average counts padded zeros, max ignores them).
// argmax (max pooling, optional) receives each output's input index.
RowMatrixF pool(const Layer& l, const RowMatrixF& x, std::vector<std::int32_t>* argmax);
RowMatrixF pool_backward(const Layer& l, const RowMatrixF& g,
                         const std::vector<std::int32_t>& argmax);
// Elementwise activations by layer type (relu, sigmoid, tanh, gelu), and
// g *= f'(x) for the trainer.
void activate(const std::string& type, RowMatrixF& x);
void activate_backward(const std::string& type, const RowMatrixF& x, RowMatrixF& g);

// The matrix product of layer `layer` for its input vectors.
using ProductFn = std::function<RowMatrixF(std::size_t layer, const RowMatrixF& vectors)>;
// Runs the network on x (batch x input elements); returns the last layer's
// output. Biases, activations, pooling and residual adds are float.
RowMatrixF forward(const Network& net, const Weights& w, const RowMatrixF& x,
                   const ProductFn& product);
// The float product vectors · W.
ProductFn float_product(const Weights& w);

// Index of the largest entry of each row.
std::vector<int> argmax_rows(const RowMatrixF& y);

}  // namespace xbarsim::nn
