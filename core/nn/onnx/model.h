#pragma once
// An ONNX model file read for import: parsed, checked by ONNX's own checker,
// its input fixed to one sample and its shapes inferred by ONNX's shape
// inference; its constants (initializers and Constant nodes) as tensors.
//
// Contract: every failure is a ConfigError at `path` that says what is
// wrong with the file (not an ONNX model, truncated, an opset outside 7-17,
// a symbolic input without input_shape, shapes left unknown, NaN weights).
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/nn/layers/layer.h"

namespace xbarsim::nn::onnx_import {

inline constexpr int kMinOpset = 7, kMaxOpset = 17;

// Values in float32, as xbarsim's weights are (integer tensors, shapes and
// axes, are exact to 2^24). A large float32 initializer's values are read in
// place from the mapped file (model_file.h), which `keep` holds; others are
// converted into `owned`. Movable, not copyable: `data` views `owned` or the
// mapping, whose bytes a move keeps in place.
struct Tensor {
  std::vector<std::int64_t> dims;
  std::span<const float> data;  // row-major
  std::vector<float> owned;
  std::shared_ptr<const void> keep;
  std::size_t size() const { return data.size(); }
  void assign(std::vector<float> v) {
    owned = std::move(v);
    data = owned;
  }
};

struct Model {
  onnx::ModelProto proto;
  int opset = 0;
  std::string input;                        // the graph's input value
  Shape input_shape;                        // per sample
  std::map<std::string, Tensor> constants;  // initializers
  std::map<std::string, Shape> shapes;      // every value's inferred shape, batch 1 first
  std::map<std::string, int> uses;          // nodes (and graph outputs) reading each value
};

// Reads and checks file; input_shape (optional) replaces a symbolic input.
Model load_model(const std::string& file, const std::optional<Shape>& input_shape,
                 const std::string& path);
// A TensorProto's values; throws ConfigError (at path) naming `what` (a
// value that is not finite in float32 among them).
Tensor read_tensor(const onnx::TensorProto& t, const std::string& what, const std::string& path);

// Node attributes, with defaults.
std::int64_t attr_int(const onnx::NodeProto& n, const char* name, std::int64_t def);
double attr_float(const onnx::NodeProto& n, const char* name, double def);
std::string attr_string(const onnx::NodeProto& n, const char* name, const std::string& def);
std::vector<std::int64_t> attr_ints(const onnx::NodeProto& n, const char* name);
bool has_attr(const onnx::NodeProto& n, const char* name);

}  // namespace xbarsim::nn::onnx_import
