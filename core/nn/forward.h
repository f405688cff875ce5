#pragma once
// The forward pass every path shares: the graph walked in order, each layer
// by its kind (core/nn/layers/). The matrix products come from a callback,
// so the float reference, the crossbar tiles and the trainer run the same
// code around them.
//
// Contract: activations are batch x elements, row-major, each sample's
// elements in C order ([C, H, W] or [N]).
#include <vector>

#include "core/nn/network.h"
#include "core/nn/weights.h"

namespace xbarsim::nn {

// Runs the network on x (batch x input elements); returns the last layer's
// output. Everything but the matrix products is float.
RowMatrixF forward(const Network& net, const Weights& w, const RowMatrixF& x,
                   const ProductFn& product);
// The same pass keeping every layer's output (index i: layer i's), for
// callers that read the inner layers (calibration statistics).
std::vector<RowMatrixF> forward_all(const Network& net, const Weights& w, const RowMatrixF& x,
                                    const ProductFn& product);
// The float product vectors · W (group by group).
ProductFn float_product(const Network& net, const Weights& w);

// Index of the largest entry of each row.
std::vector<int> argmax_rows(const RowMatrixF& y);

}  // namespace xbarsim::nn
