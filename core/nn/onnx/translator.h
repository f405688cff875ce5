#pragma once
// The importer's state while it walks an ONNX graph (importer.cpp: values,
// names, folding; ops.cpp: one handler per op type).
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/nn/onnx/importer.h"

namespace xbarsim::nn::onnx_import {

// An ONNX value: a constant tensor, or an activation computed by a layer
// ("" = the network's input) with its per-sample shape.
struct Value {
  const Tensor* tensor = nullptr;  // a constant's values (owned by the Model or the Translator)
  std::string layer;
  Shape shape;
  bool constant() const { return tensor != nullptr; }
};

class Translator {
 public:
  Translator(Model& m, std::string path);
  Imported run();

  using Handler = void (Translator::*)(const onnx::NodeProto&);
  static const std::map<std::string, Handler>& handlers();

 private:
  [[noreturn]] void refuse(const onnx::NodeProto& n, const std::string& why) const;
  const Value& value(const onnx::NodeProto& n, int k) const;
  const Value& activation(const onnx::NodeProto& n, int k) const;
  // Input k as a constant, or null when the optional input is absent.
  const Tensor* constant(const onnx::NodeProto& n, int k, const char* what) const;
  const Tensor& required(const onnx::NodeProto& n, int k, const char* what) const;
  // Frees input k's values once a layer's weights hold them, when no other
  // node reads them (a large model's weights are not held twice).
  void release(const onnx::NodeProto& n, int k);
  // A one-value constant (Clip's bounds, Pad's fill).
  double scalar(const onnx::NodeProto& n, const Tensor& t, const char* what) const;
  // The node's first output, per sample, as ONNX infers it.
  Shape out_shape(const onnx::NodeProto& n) const;
  std::string unique_name(const onnx::NodeProto& n);
  // Appends a layer computing the node's first output from `in`; returns its name.
  std::string emit(const onnx::NodeProto& n, kit::Json layer, const std::vector<const Value*>& in);
  // The node's first output is v (Identity, Dropout, a folded op).
  void alias(const onnx::NodeProto& n, const Value& v);
  int uses(const std::string& value) const;
  // Whether v is the output of a matrix layer nothing else reads.
  bool foldable(const Value& v) const;
  // x · scale + shift folded into the matrix layer computing x.
  void fold_affine(const onnx::NodeProto& n, const Value& x, const std::vector<float>& scale,
                   const std::vector<float>& shift);
  std::vector<float> per_channel(const onnx::NodeProto& n, const Tensor& c, const Shape& x) const;
  kit::Json window(const onnx::NodeProto& n, const Shape& x,
                   std::array<std::size_t, 2> kernel) const;
  void affine(const onnx::NodeProto& n, const Value& x, std::vector<float> scale,
              std::vector<float> shift);

  // ops.cpp
  void conv(const onnx::NodeProto& n);
  void gemm(const onnx::NodeProto& n);
  void matmul(const onnx::NodeProto& n);
  void binary(const onnx::NodeProto& n);
  void batchnorm(const onnx::NodeProto& n);
  void elementwise(const onnx::NodeProto& n);
  void clip(const onnx::NodeProto& n);
  void pool(const onnx::NodeProto& n);
  void global_pool(const onnx::NodeProto& n);
  void pad(const onnx::NodeProto& n);
  void flatten(const onnx::NodeProto& n);
  void relabel(const onnx::NodeProto& n);
  void concat(const onnx::NodeProto& n);
  void softmax(const onnx::NodeProto& n);
  void identity(const onnx::NodeProto& n);
  void constant_node(const onnx::NodeProto& n);

  Model& m_;
  std::string path_;
  std::map<std::string, Value> values_;       // by ONNX value name
  std::map<std::string, std::size_t> index_;  // layer name -> index in out_.layers
  std::map<std::string, int> layer_uses_;     // readers of a layer's output (aliases too)
  std::set<std::string> names_;
  std::deque<Tensor> node_constants_;  // of Constant nodes (stable addresses)
  Imported out_;
};

}  // namespace xbarsim::nn::onnx_import
