// One handler per ONNX op type: the op's inputs and attributes (opsets
// 7-17, the opset-11/13 moves of attributes to inputs included) to a layer.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/kit/error.h"
#include "core/kit/memory.h"
#include "core/nn/onnx/translator.h"

namespace xbarsim::nn::onnx_import {
namespace {

using kit::Json;

// A constant's values as a row-major matrix.
using RowMajor = Eigen::Map<const RowMatrixF>;

// A constant's r x c row-major values transposed (c x r), tile by tile so
// the strided side stays in cache.
RowMatrixF transposed(const float* src, Eigen::Index r, Eigen::Index c) {
  const RowMajor a(src, r, c);
  RowMatrixF out(c, r);
  kit::advise_huge_pages(out.data(), static_cast<std::size_t>(out.size()) * sizeof(float));
  constexpr Eigen::Index kTile = 64;
  for (Eigen::Index i = 0; i < r; i += kTile) {
    for (Eigen::Index j = 0; j < c; j += kTile) {
      const Eigen::Index h = std::min(kTile, r - i), w = std::min(kTile, c - j);
      out.block(j, i, w, h) = a.block(i, j, h, w).transpose();
    }
  }
  return out;
}

// A constant's r x c row-major values as a matrix.
RowMatrixF copied(const float* src, Eigen::Index r, Eigen::Index c) {
  RowMatrixF out(r, c);
  kit::advise_huge_pages(out.data(), static_cast<std::size_t>(out.size()) * sizeof(float));
  out = RowMajor(src, r, c);
  return out;
}

std::vector<std::size_t> to_sizes(const std::vector<std::int64_t>& v) {
  return {v.begin(), v.end()};
}

// Axis of an input of `rank` dimensions, negatives counted from the end.
std::int64_t axis_of(std::int64_t axis, std::size_t rank) {
  return axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis;
}

}  // namespace

const std::map<std::string, Translator::Handler>& Translator::handlers() {
  static const std::map<std::string, Handler> table = {
      {"Conv", &Translator::conv},
      {"Gemm", &Translator::gemm},
      {"MatMul", &Translator::matmul},
      {"Add", &Translator::binary},
      {"Sub", &Translator::binary},
      {"Mul", &Translator::binary},
      {"Div", &Translator::binary},
      {"BatchNormalization", &Translator::batchnorm},
      {"Relu", &Translator::elementwise},
      {"Sigmoid", &Translator::elementwise},
      {"Tanh", &Translator::elementwise},
      {"LeakyRelu", &Translator::elementwise},
      {"HardSigmoid", &Translator::elementwise},
      {"HardSwish", &Translator::elementwise},
      {"Clip", &Translator::clip},
      {"MaxPool", &Translator::pool},
      {"AveragePool", &Translator::pool},
      {"GlobalAveragePool", &Translator::global_pool},
      {"Pad", &Translator::pad},
      {"Flatten", &Translator::flatten},
      {"Reshape", &Translator::relabel},
      {"Squeeze", &Translator::relabel},
      {"Unsqueeze", &Translator::relabel},
      {"Transpose", &Translator::relabel},
      {"Concat", &Translator::concat},
      {"Softmax", &Translator::softmax},
      {"LogSoftmax", &Translator::softmax},
      {"Dropout", &Translator::identity},
      {"Identity", &Translator::identity},
      {"Constant", &Translator::constant_node},
  };
  return table;
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> out;
  for (const auto& [op, h] : Translator::handlers()) out.push_back(op);
  return out;
}

Imported translate(Model& m, const std::string& path) { return Translator(m, path).run(); }

Json Translator::window(const onnx::NodeProto& n, const Shape& x,
                        std::array<std::size_t, 2> kernel) const {
  auto pair = [&](const char* key) {
    const auto v = attr_ints(n, key);
    if (v.empty()) return std::vector<std::int64_t>{1, 1};
    if (v.size() != 2)
      refuse(n, fmt::format("has {} = [{}]; xbarsim imports 2-D windows", key, fmt::join(v, ", ")));
    return v;
  };
  const auto strides = pair("strides"), dil = pair("dilations");
  std::vector<std::int64_t> pads = attr_ints(n, "pads");
  if (pads.empty()) pads = {0, 0, 0, 0};
  if (pads.size() != 4) refuse(n, "has pads for other than two spatial axes");
  const std::string autopad = attr_string(n, "auto_pad", "NOTSET");
  if (autopad == "VALID") pads = {0, 0, 0, 0};
  if (autopad == "SAME_UPPER" || autopad == "SAME_LOWER") {
    for (int a = 0; a < 2; ++a) {
      const auto in = static_cast<std::int64_t>(x[static_cast<std::size_t>(1 + a)]);
      const std::int64_t s = strides[static_cast<std::size_t>(a)];
      const std::int64_t extent =
          dil[static_cast<std::size_t>(a)] *
              (static_cast<std::int64_t>(kernel[static_cast<std::size_t>(a)]) - 1) +
          1;
      const std::int64_t total =
          std::max<std::int64_t>(0, ((in + s - 1) / s - 1) * s + extent - in);
      const std::int64_t small = total / 2;
      pads[static_cast<std::size_t>(a)] = autopad == "SAME_UPPER" ? small : total - small;
      pads[static_cast<std::size_t>(a + 2)] = total - pads[static_cast<std::size_t>(a)];
    }
  } else if (autopad != "NOTSET" && autopad != "VALID") {
    refuse(n, "has auto_pad \"" + autopad + "\"");
  }
  for (const auto p : pads) {
    if (p < 0) refuse(n, "has negative pads");
  }
  return {{"kernel_shape", kernel},
          {"strides", to_sizes(strides)},
          {"pads", to_sizes(pads)},
          {"dilations", to_sizes(dil)}};
}

void Translator::conv(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  const Tensor& w = required(n, 1, "weight");
  if (x.shape.size() != 3 || w.dims.size() != 4) {
    refuse(n, "is not a 2-D convolution; xbarsim imports Conv on [N, C, H, W] inputs");
  }
  const auto m = static_cast<std::size_t>(w.dims[0]), cg = static_cast<std::size_t>(w.dims[1]);
  const std::array<std::size_t, 2> k{static_cast<std::size_t>(w.dims[2]),
                                     static_cast<std::size_t>(w.dims[3])};
  const auto group = static_cast<std::size_t>(attr_int(n, "group", 1));
  if (group == 0 || cg * group != x.shape[0]) {
    refuse(n, fmt::format("has {} groups of {} input channels for an input of {}", group, cg,
                          x.shape[0]));
  }
  const Tensor* b = constant(n, 2, "bias");
  Json layer = window(n, x.shape, k);
  layer.update(
      {{"type", "conv2d"}, {"out_channels", m}, {"groups", group}, {"bias", b != nullptr}});
  const std::size_t rows = cg * k[0] * k[1];
  LayerWeights lw;
  // ONNX's (M, C/group, kh, kw) is M rows of weight[o].flatten(): transposed.
  lw.w = transposed(w.data.data(), static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(rows));
  if (b != nullptr) {
    if (b->size() != m) refuse(n, fmt::format("has {} biases for {} channels", b->size(), m));
    lw.b = Eigen::Map<const Eigen::RowVectorXf>(b->data.data(), static_cast<Eigen::Index>(m));
  }
  out_.weights[emit(n, layer, {&x})] = std::move(lw);
  release(n, 1);
  release(n, 2);
}

void Translator::gemm(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  const Tensor& bt = required(n, 1, "weight (B)");
  if (attr_int(n, "transA", 0) != 0) refuse(n, "has transA = 1 (the batch along columns)");
  if (x.shape.size() != 1 || bt.dims.size() != 2) refuse(n, "is not a [N, K] x [K, M] product");
  const bool tb = attr_int(n, "transB", 0) != 0;
  const auto alpha = attr_float(n, "alpha", 1.0), beta = attr_float(n, "beta", 1.0);
  const auto kk = static_cast<std::size_t>(tb ? bt.dims[1] : bt.dims[0]);
  const auto mm = static_cast<std::size_t>(tb ? bt.dims[0] : bt.dims[1]);
  if (kk != x.shape[0])
    refuse(n, fmt::format("multiplies {} features by a {}-row matrix", x.shape[0], kk));
  LayerWeights lw;
  lw.w = tb ? transposed(bt.data.data(), bt.dims[0], bt.dims[1])
            : copied(bt.data.data(), bt.dims[0], bt.dims[1]);
  if (alpha != 1.0) lw.w *= static_cast<float>(alpha);
  const Tensor* c = constant(n, 2, "bias (C)");
  if (c != nullptr && beta != 0.0) {
    if (c->size() != mm && c->size() != 1) refuse(n, "has a C that is not one value per output");
    lw.b.resize(static_cast<Eigen::Index>(mm));
    for (std::size_t o = 0; o < mm; ++o) {
      lw.b(static_cast<Eigen::Index>(o)) =
          static_cast<float>(beta * static_cast<double>(c->data[c->size() == 1 ? 0 : o]));
    }
  }
  const Json layer = {{"type", "linear"}, {"out_features", mm}, {"bias", lw.b.size() > 0}};
  out_.weights[emit(n, layer, {&x})] = std::move(lw);
  release(n, 1);
  release(n, 2);
}

void Translator::matmul(const onnx::NodeProto& n) {
  const Value& a = value(n, 0);
  const Value& b = value(n, 1);
  if (!a.constant() && !b.constant()) {
    // Two activations (attention): digital work, no crossbar.
    if (a.shape.size() < 2 || b.shape.size() != a.shape.size()) {
      refuse(n, fmt::format("multiplies {} by {}; xbarsim imports products of two activations "
                            "[N, ..., n, k] x [N, ..., k, m] of the same rank",
                            shape_text(a.shape), shape_text(b.shape)));
    }
    emit(n, {{"type", "matmul"}}, {&a, &b});
    return;
  }
  if (a.constant() || b.tensor->dims.size() != 2 || a.shape.size() > 2) {
    refuse(n, "is not an activation [N, K] or [N, S, K] times a constant [K, M]");
  }
  const auto kk = static_cast<std::size_t>(b.tensor->dims[0]),
             mm = static_cast<std::size_t>(b.tensor->dims[1]);
  if (kk != a.shape.back()) refuse(n, "has mismatched inner dimensions");
  LayerWeights lw;
  lw.w =
      copied(b.tensor->data.data(), static_cast<Eigen::Index>(kk), static_cast<Eigen::Index>(mm));
  const Json layer = {{"type", "linear"}, {"out_features", mm}, {"bias", false}};
  out_.weights[emit(n, layer, {&a})] = std::move(lw);
  release(n, 1);
}

void Translator::affine(const onnx::NodeProto& n, const Value& x, std::vector<float> scale,
                        std::vector<float> shift) {
  if (foldable(x)) return fold_affine(n, x, scale, shift);
  if (x.shape.size() == 2 && (scale.size() > 1 || shift.size() > 1)) {
    refuse(n,
           "has one constant per feature of [S, N] tokens, and no linear layer before it "
           "to fold it into");
  }
  emit(n, {{"type", "affine"}, {"scale", scale}, {"shift", shift}}, {&x});
}

void Translator::binary(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  const Value* a = &value(n, 0);
  const Value* b = &value(n, 1);
  if (a->constant() && b->constant())
    refuse(n, "computes on two constants (export with constant folding)");
  if (!a->constant() && !b->constant()) {
    if (op == "Sub" || op == "Div")
      refuse(n, "takes two activations; xbarsim imports Add and Mul of two");
    if (elements(a->shape) < elements(b->shape)) std::swap(a, b);  // the broadcast operand second
    emit(n, {{"type", op == "Add" ? "add" : "mul"}}, {a, b});
    return;
  }
  const bool first = !a->constant();
  const Value& x = first ? *a : *b;
  std::vector<float> c = per_channel(n, first ? *b->tensor : *a->tensor, x.shape);
  std::vector<float> one(1, 1.0f), zero(1, 0.0f);
  if (op == "Add") return affine(n, x, one, c);
  if (op == "Mul") return affine(n, x, c, zero);
  if (op == "Sub") {
    if (!first) return affine(n, x, {-1.0f}, c);  // c - x
    for (auto& v : c) v = -v;
    return affine(n, x, one, c);
  }
  if (!first) refuse(n, "divides a constant by an activation");
  for (auto& v : c) {
    if (v == 0.0f) refuse(n, "divides by a constant zero");
    v = 1.0f / v;
  }
  affine(n, x, c, zero);
}

void Translator::batchnorm(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  if (attr_int(n, "training_mode", 0) != 0) refuse(n, "is in training mode");
  for (int k = 1; k < n.output_size(); ++k) {
    if (uses(n.output(k)) > 0) refuse(n, "has its running statistics read (training mode)");
  }
  const Tensor& g = required(n, 1, "scale");
  const Tensor& beta = required(n, 2, "bias");
  const Tensor& mean = required(n, 3, "mean");
  const Tensor& var = required(n, 4, "variance");
  const std::size_t c = x.shape[0];
  if (g.size() != c || beta.size() != c || mean.size() != c || var.size() != c) {
    refuse(n, fmt::format("has statistics that are not one per channel ({})", c));
  }
  const double eps = attr_float(n, "epsilon", 1e-5);
  std::vector<float> s(c), t(c);
  for (std::size_t k = 0; k < c; ++k) {
    const auto at = [k](const Tensor& v) { return static_cast<double>(v.data[k]); };
    const double sk = at(g) / std::sqrt(at(var) + eps);
    s[k] = static_cast<float>(sk);
    t[k] = static_cast<float>(at(beta) - at(mean) * sk);
  }
  affine(n, x, s, t);
}

void Translator::elementwise(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  const std::string& op = n.op_type();
  Json layer;
  if (op == "Relu") layer = {{"type", "relu"}};
  if (op == "Sigmoid") layer = {{"type", "sigmoid"}};
  if (op == "Tanh") layer = {{"type", "tanh"}};
  if (op == "HardSwish") layer = {{"type", "hard_swish"}};
  if (op == "LeakyRelu") layer = {{"type", "leaky_relu"}, {"alpha", attr_float(n, "alpha", 0.01)}};
  if (op == "HardSigmoid") {
    layer = {{"type", "hard_sigmoid"},
             {"alpha", attr_float(n, "alpha", 0.2)},
             {"beta", attr_float(n, "beta", 0.5)}};
  }
  emit(n, layer, {&x});
}

void Translator::clip(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  const double big = std::numeric_limits<float>::max();
  double lo = -big, hi = big;
  if (m_.opset < 11) {
    lo = attr_float(n, "min", lo);
    hi = attr_float(n, "max", hi);
  } else {
    if (const Tensor* t = constant(n, 1, "min")) lo = scalar(n, *t, "min");
    if (const Tensor* t = constant(n, 2, "max")) hi = scalar(n, *t, "max");
  }
  emit(n, {{"type", "clip"}, {"min", lo}, {"max", hi}}, {&x});
}

void Translator::pool(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  const auto k = attr_ints(n, "kernel_shape");
  if (x.shape.size() != 3 || k.size() != 2) refuse(n, "is not a 2-D pooling of [N, C, H, W]");
  if (n.output_size() > 1 && uses(n.output(1)) > 0) refuse(n, "has its indices read");
  Json layer = window(n, x.shape, {static_cast<std::size_t>(k[0]), static_cast<std::size_t>(k[1])});
  const bool max = n.op_type() == "MaxPool";
  layer["type"] = max ? "maxpool" : "avgpool";
  layer["ceil_mode"] = attr_int(n, "ceil_mode", 0) != 0;
  if (!max) layer["count_include_pad"] = attr_int(n, "count_include_pad", 0) != 0;
  emit(n, layer, {&x});
}

void Translator::global_pool(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  if (x.shape.size() != 3) refuse(n, "needs an [N, C, H, W] input");
  emit(n, {{"type", "global_avgpool"}}, {&x});
}

void Translator::pad(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  if (attr_string(n, "mode", "constant") != "constant")
    refuse(n, "pads other than with a constant");
  std::vector<double> p;
  double fill = 0;
  if (m_.opset < 11) {
    for (const auto v : attr_ints(n, "pads")) p.push_back(static_cast<double>(v));
    fill = attr_float(n, "value", 0.0);
  } else {
    for (const float v : required(n, 1, "pads").data) p.push_back(static_cast<double>(v));
    if (const Tensor* t = constant(n, 2, "constant_value")) fill = scalar(n, *t, "constant_value");
    if (n.input_size() > 3 && !n.input(3).empty()) refuse(n, "pads selected axes only");
  }
  if (x.shape.size() != 3 || p.size() != 8) refuse(n, "is not a padding of [N, C, H, W]");
  if (fill != 0.0) refuse(n, fmt::format("pads with {}; xbarsim imports zero padding", fill));
  if (p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0) refuse(n, "pads the batch or channels");
  for (const double v : p) {
    if (v < 0) refuse(n, "has negative pads (a crop)");
  }
  const auto at = [&](std::size_t k) { return static_cast<std::size_t>(p[k]); };
  emit(n, {{"type", "pad"}, {"pads", {at(2), at(3), at(6), at(7)}}}, {&x});
}

void Translator::flatten(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  if (axis_of(attr_int(n, "axis", 1), x.shape.size() + 1) != 1) {
    refuse(n, "flattens at an axis other than 1 (after the batch)");
  }
  if (x.shape.size() == 1) return alias(n, x);
  emit(n, {{"type", "flatten"}}, {&x});
}

void Translator::relabel(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  const std::string& op = n.op_type();
  const std::size_t rank = x.shape.size() + 1;
  if (op == "Transpose") {
    auto perm = attr_ints(n, "perm");
    if (perm.empty()) refuse(n, "reverses every axis, the batch's too");
    if (perm[0] != 0) refuse(n, "moves the batch axis");
    Shape full = {1};
    full.insert(full.end(), x.shape.begin(), x.shape.end());
    std::int64_t last = -1;
    bool moves = false;  // whether data moves, or only axes of one element
    for (const auto p : perm) {
      if (p < 0 || static_cast<std::size_t>(p) >= rank) refuse(n, "has an invalid perm");
      if (full[static_cast<std::size_t>(p)] == 1) continue;
      moves = moves || p < last;
      last = p;
    }
    if (moves) {
      Json per = Json::array();
      for (std::size_t a = 1; a < perm.size(); ++a) per.push_back(perm[a] - 1);
      emit(n, {{"type", "transpose"}, {"perm", per}}, {&x});
      return;
    }
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    auto axes = attr_ints(n, "axes");
    if (axes.empty() && n.input_size() > 1) {
      for (const float v : required(n, 1, "axes").data)
        axes.push_back(static_cast<std::int64_t>(v));
    }
    for (const auto a : axes) {
      if (axis_of(a, op == "Squeeze" ? rank : rank + axes.size()) == 0)
        refuse(n, "moves the batch axis");
    }
  }
  if (op == "Reshape") {
    const Tensor& s = required(n, 1, "shape");
    if (s.size() == 0 || (s.data[0] != 0 && s.data[0] != 1 && s.data[0] != -1)) {
      refuse(n, "reshapes the batch dimension");
    }
  }
  const Shape out = out_shape(n);
  if (out == x.shape) return alias(n, x);
  emit(n, out.size() == 1 ? Json{{"type", "flatten"}} : Json{{"type", "reshape"}, {"shape", out}},
       {&x});
}

void Translator::concat(const onnx::NodeProto& n) {
  std::vector<const Value*> in;
  for (int k = 0; k < n.input_size(); ++k) in.push_back(&activation(n, k));
  if (axis_of(attr_int(n, "axis", 1), in[0]->shape.size() + 1) != 1) {
    refuse(n, "concatenates along an axis other than channels/features");
  }
  if (in.size() == 1) return alias(n, *in[0]);
  emit(n, {{"type", "concat"}}, in);
}

void Translator::softmax(const onnx::NodeProto& n) {
  const Value& x = activation(n, 0);
  const std::size_t rank = x.shape.size() + 1;
  const auto axis = axis_of(attr_int(n, "axis", m_.opset < 13 ? 1 : -1), rank);
  // Before opset 13 the axis splits the input into [outer, inner] and the
  // softmax runs over inner: the last axis when the axes between are 1.
  bool last = axis == static_cast<std::int64_t>(rank) - 1;
  if (m_.opset < 13 && axis >= 1 && axis < static_cast<std::int64_t>(rank)) {
    last = elements(Shape(x.shape.begin() + axis - 1, x.shape.end() - 1)) == 1;
  }
  if (!last) refuse(n, "is not over the last axis");
  emit(n, {{"type", n.op_type() == "Softmax" ? "softmax" : "log_softmax"}}, {&x});
}

void Translator::identity(const onnx::NodeProto& n) {
  if (n.op_type() == "Dropout" && n.output_size() > 1 && uses(n.output(1)) > 0) {
    refuse(n, "has its mask read");
  }
  alias(n, value(n, 0));
}

void Translator::constant_node(const onnx::NodeProto& n) {
  Tensor t;
  for (const auto& a : n.attribute()) {
    if (a.name() == "value") {
      t = read_tensor(a.t(), "Constant \"" + n.output(0) + "\"", path_);
    } else if (a.name() == "value_float" || a.name() == "value_int") {
      t.assign({a.name() == "value_float" ? a.f() : static_cast<float>(a.i())});
    } else if (a.name() == "value_floats" || a.name() == "value_ints") {
      std::vector<float> v(a.floats().begin(), a.floats().end());
      for (const auto i : a.ints()) v.push_back(static_cast<float>(i));
      t.dims = {static_cast<std::int64_t>(v.size())};
      t.assign(std::move(v));
    } else {
      refuse(n, "holds a " + a.name() + " (xbarsim reads tensors and numbers)");
    }
  }
  node_constants_.push_back(std::move(t));
  values_[n.output(0)] = {&node_constants_.back(), "", {}};
}

}  // namespace xbarsim::nn::onnx_import
