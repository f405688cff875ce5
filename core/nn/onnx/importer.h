#pragma once
// ONNX nodes to xbarsim layers: each supported op (with its attributes, as
// ONNX defines them in opsets 7-17) becomes a layer of the JSON layer list
// (core/nn/layers/), its initializers the matrix layers' weights. Batch
// normalisation and a bias Add fold into the conv2d/linear layer they follow
// when that layer feeds nothing else; Dropout and Identity vanish.
#include <map>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/nn/onnx/model.h"
#include "core/nn/weights.h"

namespace xbarsim::nn::onnx_import {

// The op types import() translates, sorted.
std::vector<std::string> supported_ops();

struct Imported {
  kit::Json layers = kit::Json::array();
  std::map<std::string, LayerWeights> weights;  // by layer name
  std::map<std::string, Shape> shapes;          // each layer's output as ONNX infers it
};

Imported translate(Model& m, const std::string& path);

}  // namespace xbarsim::nn::onnx_import
