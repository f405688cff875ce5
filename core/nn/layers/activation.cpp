// Elementwise activations: relu, sigmoid, tanh, gelu, leaky_relu (alpha),
// clip (min, max: ReLU6 is clip 0..6), hard_sigmoid (max(0, min(1, αx + β)))
// and hard_swish (x · hard_sigmoid(x) with α = 1/6, β = 1/2, as ONNX).
#include <cmath>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"

namespace xbarsim::nn {
namespace {

enum class Fn { kRelu, kSigmoid, kTanh, kGelu, kLeakyRelu, kClip, kHardSigmoid, kHardSwish };

float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678f)); }
float gelu_grad(float x) {
  return 0.5f * (1.0f + std::erf(x * 0.70710678f)) + x * 0.39894228f * std::exp(-0.5f * x * x);
}

class Activation final : public LayerKind {
 public:
  Activation(std::string_view type, Fn fn, std::string doc)
      : type_(type), fn_(fn), doc_(std::move(doc)) {}
  std::string_view type() const override { return type_; }
  std::string doc() const override { return doc_; }
  std::vector<kit::ParamInfo> params() const override {
    using namespace kit;
    switch (fn_) {
      case Fn::kLeakyRelu:
        return {number_param("alpha", 0.01, "", "slope below zero")};
      case Fn::kClip:
        return {number_param("min", 0.0, "", "lower bound"),
                number_param("max", 6.0, "", "upper bound (6: ReLU6)")};
      case Fn::kHardSigmoid:
        return {number_param("alpha", 0.2, "", "slope"), number_param("beta", 0.5, "", "offset")};
      default:
        return {};
    }
  }
  void build(Layer& l, const kit::Json& keys, const std::string& path) const override {
    l.out_shape = l.in_shape();
    if (fn_ == Fn::kLeakyRelu) l.alpha = keys.at("alpha").get<double>();
    if (fn_ == Fn::kHardSigmoid) {
      l.alpha = keys.at("alpha").get<double>();
      l.beta = keys.at("beta").get<double>();
    }
    if (fn_ == Fn::kHardSwish) {
      l.alpha = 1.0 / 6.0;
      l.beta = 0.5;
    }
    if (fn_ == Fn::kClip) {
      l.alpha = keys.at("min").get<double>();
      l.beta = keys.at("max").get<double>();
      if (!(l.alpha <= l.beta)) {
        throw kit::ConfigError(kit::join_path(path, "max"), "must be >= min");
      }
    }
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    RowMatrixF x = *in[0];
    const auto a = static_cast<float>(l.alpha), b = static_cast<float>(l.beta);
    switch (fn_) {
      case Fn::kRelu:
        x = x.cwiseMax(0.0f);
        break;
      case Fn::kSigmoid:
        x = (1.0f + (-x.array()).exp()).inverse().matrix();
        break;
      case Fn::kTanh:
        x = x.array().tanh().matrix();
        break;
      case Fn::kGelu:
        x = x.unaryExpr(&gelu);
        break;
      case Fn::kLeakyRelu:
        x = x.unaryExpr([a](float v) { return v < 0.0f ? a * v : v; });
        break;
      case Fn::kClip:
        x = x.cwiseMax(a).cwiseMin(b);
        break;
      case Fn::kHardSigmoid:
        x = (a * x.array() + b).cwiseMax(0.0f).cwiseMin(1.0f).matrix();
        break;
      case Fn::kHardSwish:
        x = (x.array() * (a * x.array() + b).cwiseMax(0.0f).cwiseMin(1.0f)).matrix();
        break;
    }
    return x;
  }
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const> in,
                                   const RowMatrixF& g_out, const Saved&,
                                   const BackwardContext&) const override {
    const RowMatrixF& x = *in[0];
    RowMatrixF g = g_out;
    const auto a = static_cast<float>(l.alpha), b = static_cast<float>(l.beta);
    switch (fn_) {
      case Fn::kRelu:
        g.array() *= (x.array() > 0.0f).cast<float>();
        break;
      case Fn::kSigmoid: {
        const auto s = (1.0f + (-x.array()).exp()).inverse();
        g.array() *= s * (1.0f - s);
        break;
      }
      case Fn::kTanh:
        g.array() *= 1.0f - x.array().tanh().square();
        break;
      case Fn::kGelu:
        g.array() *= x.unaryExpr(&gelu_grad).array();
        break;
      case Fn::kLeakyRelu:
        g.array() *= x.unaryExpr([a](float v) { return v < 0.0f ? a : 1.0f; }).array();
        break;
      case Fn::kClip:
        g.array() *= (x.array() >= a && x.array() <= b).cast<float>();
        break;
      case Fn::kHardSigmoid:
        g.array() *= x.unaryExpr([a, b](float v) {
                        const float u = a * v + b;
                        return u > 0.0f && u < 1.0f ? a : 0.0f;
                      }).array();
        break;
      case Fn::kHardSwish:
        g.array() *= x.unaryExpr([a, b](float v) {
                        const float u = a * v + b;
                        return u <= 0.0f ? 0.0f : (u >= 1.0f ? 1.0f : u + a * v);
                      }).array();
        break;
    }
    return {g};
  }
  DigitalWork digital_work(const Layer& l) const override {
    // ReLU-like: a compare per element; smooth ones: a lookup of similar cost.
    const auto n = static_cast<double>(l.out_elements());
    return {.compares = n, .lane_ops = n};
  }
  bool nonnegative(const Layer& l, const std::vector<bool>& inputs) const override {
    switch (fn_) {
      case Fn::kRelu:
      case Fn::kSigmoid:
      case Fn::kHardSigmoid:
        return true;
      case Fn::kClip:
        return l.alpha >= 0.0;
      case Fn::kLeakyRelu:
        return inputs[0];
      default:
        return false;
    }
  }

 private:
  std::string type_;
  Fn fn_;
  std::string doc_;
};

}  // namespace

const LayerKind& activation_kind(std::string_view t) {
  static const Activation kinds[] = {
      {"relu", Fn::kRelu, "max(x, 0)"},
      {"sigmoid", Fn::kSigmoid, "1 / (1 + e^-x)"},
      {"tanh", Fn::kTanh, "tanh x"},
      {"gelu", Fn::kGelu, "x · Φ(x) (the exact, erf form)"},
      {"leaky_relu", Fn::kLeakyRelu, "x, or alpha · x below zero"},
      {"clip", Fn::kClip, "x clamped to [min, max] (ReLU6: 0, 6)"},
      {"hard_sigmoid", Fn::kHardSigmoid, "max(0, min(1, alpha · x + beta))"},
      {"hard_swish", Fn::kHardSwish, "x · max(0, min(1, x / 6 + 1/2))"}};
  for (const auto& k : kinds) {
    if (k.type() == t) return k;
  }
  throw kit::RuntimeError("activation_kind: no activation named \"" + std::string(t) + "\"");
}

}  // namespace xbarsim::nn
