#include "core/nn/onnx/importer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>
#include <set>

#include "core/kit/error.h"
#include "core/nn/onnx/translator.h"

namespace xbarsim::nn::onnx_import {

using kit::ConfigError;
using kit::Json;

Translator::Translator(Model& m, std::string path) : m_(m), path_(std::move(path)) {
  values_[m.input] = {nullptr, "", m.input_shape};
  for (const auto& [name, t] : m.constants) values_[name] = {&t, "", {}};
}

Imported Translator::run() {
  const auto& table = handlers();
  for (const auto& n : m_.proto.graph().node()) {
    const auto it = table.find(n.op_type());
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      refuse(n, "is in domain \"" + n.domain() + "\"; xbarsim imports the default ONNX ops");
    }
    if (it == table.end()) {
      refuse(n, fmt::format("is not an op xbarsim imports; it imports {}",
                            fmt::join(supported_ops(), ", ")));
    }
    (this->*(it->second))(n);
  }
  const auto& outs = m_.proto.graph().output();
  if (outs.size() != 1) {
    throw ConfigError(path_, fmt::format("the graph has {} outputs; xbarsim imports models with "
                                         "one (the classifier's)",
                                         outs.size()));
  }
  const auto v = values_.find(outs[0].name());
  if (v == values_.end() || v->second.constant() || v->second.layer.empty() ||
      v->second.layer != out_.layers.back().at("name").get<std::string>()) {
    throw ConfigError(path_, "the graph's output \"" + outs[0].name() +
                                 "\" is not computed by its last op; xbarsim imports graphs "
                                 "whose last node gives the output");
  }
  return std::move(out_);
}

void Translator::refuse(const onnx::NodeProto& n, const std::string& why) const {
  throw ConfigError(
      path_, fmt::format("node \"{}\" ({}, opset {}) {}", n.name(), n.op_type(), m_.opset, why));
}

const Value& Translator::value(const onnx::NodeProto& n, int k) const {
  if (k >= n.input_size() || n.input(k).empty()) refuse(n, fmt::format("lacks input {}", k));
  const auto it = values_.find(n.input(k));
  if (it == values_.end()) refuse(n, "reads \"" + n.input(k) + "\", which nothing computes");
  return it->second;
}

const Value& Translator::activation(const onnx::NodeProto& n, int k) const {
  const Value& v = value(n, k);
  if (v.constant()) {
    refuse(n, fmt::format("has a constant as input {}; xbarsim imports it with the activation "
                          "there (export with constant folding)",
                          k));
  }
  return v;
}

const Tensor* Translator::constant(const onnx::NodeProto& n, int k, const char* what) const {
  if (k >= n.input_size() || n.input(k).empty()) return nullptr;
  const Value& v = value(n, k);
  if (!v.constant()) {
    refuse(n, fmt::format("computes its {} (input {}) at run time; xbarsim needs it as an "
                          "initializer",
                          what, k));
  }
  return v.tensor;
}

const Tensor& Translator::required(const onnx::NodeProto& n, int k, const char* what) const {
  const Tensor* t = constant(n, k, what);
  if (t == nullptr) refuse(n, fmt::format("lacks its {} (input {})", what, k));
  return *t;
}

void Translator::release(const onnx::NodeProto& n, int k) {
  if (k >= n.input_size() || uses(n.input(k)) != 1) return;
  const auto it = m_.constants.find(n.input(k));
  if (it != m_.constants.end()) it->second = Tensor{};
}

double Translator::scalar(const onnx::NodeProto& n, const Tensor& t, const char* what) const {
  if (t.size() != 1) refuse(n, fmt::format("has a {} of {} values, not one", what, t.size()));
  return static_cast<double>(t.data[0]);
}

Shape Translator::out_shape(const onnx::NodeProto& n) const {
  const auto it = m_.shapes.find(n.output(0));
  if (it == m_.shapes.end()) {
    refuse(n, "has an output shape ONNX's shape inference leaves unknown");
  }
  const Shape& s = it->second;
  if (s.size() < 2 || s[0] != 1) {
    refuse(n, fmt::format("gives {}, which mixes the batch into the features; xbarsim imports "
                          "ops that keep the batch as the first dimension",
                          shape_text(s)));
  }
  Shape per(s.begin() + 1, s.end());
  if (per.size() > 3) {
    refuse(n, fmt::format("gives a per-sample shape {}; xbarsim's layers take [C, H, W], "
                          "[S, N] or [N]",
                          shape_text(per)));
  }
  return per;
}

std::string Translator::unique_name(const onnx::NodeProto& n) {
  std::string s;
  for (const char c : n.name())
    s += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
  while (!s.empty() && s.front() == '_') s.erase(s.begin());
  while (!s.empty() && s.back() == '_') s.pop_back();
  if (s.empty()) s = n.op_type() + "_" + std::to_string(out_.layers.size());
  std::string name = s;
  for (int k = 1; names_.count(name); ++k) name = s + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

std::string Translator::emit(const onnx::NodeProto& n, Json layer,
                             const std::vector<const Value*>& in) {
  const std::string name = unique_name(n);
  layer["name"] = name;
  auto ref = [](const Value* v) { return v->layer.empty() ? std::string("(input)") : v->layer; };
  if (in.size() == 1) {
    layer["input"] = ref(in[0]);
  } else {
    Json refs = Json::array();
    for (const Value* v : in) refs.push_back(ref(v));
    layer["inputs"] = refs;
  }
  const Shape shape = out_shape(n);
  index_[name] = out_.layers.size();
  out_.layers.push_back(std::move(layer));
  out_.shapes[name] = shape;
  values_[n.output(0)] = {nullptr, name, shape};
  layer_uses_[name] = uses(n.output(0));
  return name;
}

void Translator::alias(const onnx::NodeProto& n, const Value& v) {
  values_[n.output(0)] = v;
  if (!v.layer.empty()) layer_uses_[v.layer] += uses(n.output(0)) - 1;
}

int Translator::uses(const std::string& value) const {
  const auto it = m_.uses.find(value);
  return it == m_.uses.end() ? 0 : it->second;
}

bool Translator::foldable(const Value& v) const {
  return !v.constant() && !v.layer.empty() && out_.weights.count(v.layer) &&
         layer_uses_.at(v.layer) == 1;
}

void Translator::fold_affine(const onnx::NodeProto& n, const Value& x,
                             const std::vector<float>& scale, const std::vector<float>& shift) {
  LayerWeights& lw = out_.weights.at(x.layer);
  const auto cols = lw.w.cols();
  if (lw.b.size() == 0) lw.b = Eigen::RowVectorXf::Zero(cols);
  for (Eigen::Index o = 0; o < cols; ++o) {
    const auto k = static_cast<std::size_t>(scale.size() == 1 ? 0 : o);
    const auto j = static_cast<std::size_t>(shift.size() == 1 ? 0 : o);
    lw.w.col(o) *= scale[k];
    lw.b(o) = lw.b(o) * scale[k] + shift[j];
  }
  out_.layers[index_.at(x.layer)]["bias"] = true;
  alias(n, x);
}

std::vector<float> Translator::per_channel(const onnx::NodeProto& n, const Tensor& c,
                                           const Shape& x) const {
  std::vector<float> v(c.data.begin(), c.data.end());
  if (c.size() == 1) return v;
  std::vector<std::int64_t> d = c.dims;
  while (!d.empty() && d.front() == 1) d.erase(d.begin());
  const bool per_feature =
      x.size() == 1 && d.size() == 1 && d[0] == static_cast<std::int64_t>(x[0]);
  const bool per_token_feature =
      x.size() == 2 && d.size() == 1 && d[0] == static_cast<std::int64_t>(x[1]);
  const bool per_channel = x.size() == 3 && d.size() == 3 &&
                           d[0] == static_cast<std::int64_t>(x[0]) && d[1] == 1 && d[2] == 1;
  if (!per_feature && !per_token_feature && !per_channel) {
    refuse(n, fmt::format("has a constant operand of shape [{}] against an activation {}; xbarsim "
                          "imports one value, one per channel ([C, 1, 1]) or one per feature",
                          fmt::join(c.dims, ", "), shape_text(x)));
  }
  return v;
}

}  // namespace xbarsim::nn::onnx_import
