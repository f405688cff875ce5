// softmax and log_softmax over the last axis: the features of an [N] input
// (an imported classifier's last layer; the class is the same argmax as the
// logits'), or each row of attention scores.
#include <cmath>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"

namespace xbarsim::nn {
namespace {

class Softmax final : public LayerKind {
 public:
  explicit Softmax(bool log) : log_(log) {}
  std::string_view type() const override { return log_ ? "log_softmax" : "softmax"; }
  std::string doc() const override {
    return log_ ? "log of the softmax over the last axis" : "e^x / Σ e^x over the last axis";
  }
  bool trainable() const override { return false; }  // the trainer's loss has its own
  void build(Layer& l, const kit::Json&, const std::string&) const override {
    l.out_shape = l.in_shape();
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    // Each sample's rows along the last axis, one row at a time.
    const auto last = static_cast<Eigen::Index>(l.in_shape().back());
    RowMatrixF z = Eigen::Map<const RowMatrixF>(in[0]->data(), in[0]->size() / last, last);
    for (Eigen::Index b = 0; b < z.rows(); ++b) {
      z.row(b).array() -= z.row(b).maxCoeff();
      const float sum = z.row(b).array().exp().sum();
      if (log_) {
        z.row(b).array() -= std::log(sum);
      } else {
        z.row(b) = z.row(b).array().exp().matrix() / sum;
      }
    }
    return Eigen::Map<const RowMatrixF>(z.data(), in[0]->rows(), in[0]->cols());
  }
  DigitalWork digital_work(const Layer& l) const override {
    const auto n = static_cast<double>(l.out_elements());
    return {.adds = n, .multiplies = n, .lane_ops = 2 * n};  // an exponent lookup and a divide each
  }
  bool nonnegative(const Layer&, const std::vector<bool>&) const override { return !log_; }

 private:
  bool log_;
};

}  // namespace

const LayerKind& softmax_kind(std::string_view t) {
  static const Softmax soft(false), log(true);
  if (t == "softmax") return soft;
  if (t == "log_softmax") return log;
  throw kit::RuntimeError("softmax_kind: no softmax named \"" + std::string(t) + "\"");
}

}  // namespace xbarsim::nn
