#pragma once
// The layer kinds, one file each in this folder; layer_kinds() lists them.
#include <string_view>

#include "core/nn/layers/layer.h"

namespace xbarsim::nn {

const LayerKind& conv2d_kind();                        // matrix.cpp
const LayerKind& linear_kind();                        // matrix.cpp
const LayerKind& activation_kind(std::string_view t);  // activation.cpp
const LayerKind& pool_kind(std::string_view t);        // pool.cpp: maxpool, avgpool
const LayerKind& global_avgpool_kind();                // pool.cpp
const LayerKind& flatten_kind();                       // reshape.cpp
const LayerKind& reshape_kind();                       // reshape.cpp
const LayerKind& merge_kind(std::string_view t);       // merge.cpp: add, mul
const LayerKind& concat_kind();                        // merge.cpp
const LayerKind& batchnorm_kind();                     // affine.cpp
const LayerKind& affine_kind();                        // affine.cpp
const LayerKind& pad_kind();                           // pad.cpp
const LayerKind& softmax_kind(std::string_view t);     // softmax.cpp: softmax, log_softmax
const LayerKind& transpose_kind();                     // transpose.cpp
const LayerKind& matmul_kind();                        // matmul.cpp

}  // namespace xbarsim::nn
