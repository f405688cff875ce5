#pragma once
// ONNX models as networks: "network": "model.onnx" or {"onnx": PATH,
// "input_shape": [C, H, W], "name": ...}. The graph becomes a layer list
// (core/nn/onnx/: the file read and checked, then each op translated) and
// its initializers the network's weights. docs/onnx.md lists the ops.
#include <string>

#include "core/kit/json.h"
#include "core/nn/network.h"

namespace xbarsim::nn {

// node: the network node with "onnx"; path names it in errors.
Network import_onnx(const kit::Json& node, const std::string& path);

}  // namespace xbarsim::nn
