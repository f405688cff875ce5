// Layers that read two or more others: add and mul (elementwise; an operand
// may also be one value per channel, [C, 1, 1] or [1], broadcast over the
// first input, as a squeeze-excite gate is), and concat (along channels, or
// features for [N] inputs).
#include <fmt/format.h>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"

namespace xbarsim::nn {
namespace {

using kit::ConfigError;

// Per sample, operand k's value for element e of the first input: its own
// element (same shape), its channel's (per channel) or its only value.
struct Broadcast {
  std::size_t div = 1, mod = 0;  // index = (e / div) % mod, mod 0 = e
  std::size_t at(std::size_t e) const { return mod == 0 ? e : (e / div) % mod; }
};

Broadcast broadcast(const Shape& first, const Shape& other, const std::string& what,
                    const std::string& path) {
  if (other == first) return {};
  const std::size_t n = elements(other);
  if (n == 1) return {1, 1};
  if (first.size() == 3 && n == first[0] && (other.size() == 1 || other[1] * other[2] == 1)) {
    return {first[1] * first[2], first[0]};
  }
  throw ConfigError(path, fmt::format("{} needs operands of the first input's shape {}, one value "
                                      "per channel or one value; got {}",
                                      what, shape_text(first), shape_text(other)));
}

class Merge final : public LayerKind {
 public:
  explicit Merge(bool mul) : mul_(mul) {}
  std::string_view type() const override { return mul_ ? "mul" : "add"; }
  std::string doc() const override {
    return mul_ ? "elementwise product of its inputs (a gate per channel broadcasts)"
                : "elementwise sum of its inputs (residual: input + from)";
  }
  std::size_t min_inputs() const override { return 2; }
  std::size_t max_inputs() const override { return 2; }
  void build(Layer& l, const kit::Json&, const std::string& path) const override {
    l.out_shape = l.in_shape();
    broadcast(l.in_shapes[0], l.in_shapes[1], std::string(type()), path);
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    if (l.in_shapes[1] == l.in_shapes[0]) {
      if (!mul_) return *in[0] + *in[1];
      return in[0]->cwiseProduct(*in[1]);
    }
    const Broadcast bc = broadcast(l.in_shapes[0], l.in_shapes[1], "", "");
    RowMatrixF out = *in[0];
    for (Eigen::Index b = 0; b < out.rows(); ++b) {
      for (Eigen::Index e = 0; e < out.cols(); ++e) {
        const float v = (*in[1])(b, static_cast<Eigen::Index>(bc.at(static_cast<std::size_t>(e))));
        out(b, e) = mul_ ? out(b, e) * v : out(b, e) + v;
      }
    }
    return out;
  }
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const> in,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    if (l.in_shapes[1] == l.in_shapes[0]) {
      if (!mul_) return {g, g};
      return {g.cwiseProduct(*in[1]), g.cwiseProduct(*in[0])};
    }
    const Broadcast bc = broadcast(l.in_shapes[0], l.in_shapes[1], "", "");
    RowMatrixF g0 = g, g1 = RowMatrixF::Zero(in[1]->rows(), in[1]->cols());
    for (Eigen::Index b = 0; b < g.rows(); ++b) {
      for (Eigen::Index e = 0; e < g.cols(); ++e) {
        const auto k = static_cast<Eigen::Index>(bc.at(static_cast<std::size_t>(e)));
        if (mul_) {
          g0(b, e) = g(b, e) * (*in[1])(b, k);
          g1(b, k) += g(b, e) * (*in[0])(b, e);
        } else {
          g1(b, k) += g(b, e);
        }
      }
    }
    return {g0, g1};
  }
  DigitalWork digital_work(const Layer& l) const override {
    const auto n = static_cast<double>(l.out_elements());
    DigitalWork w{.lane_ops = n, .operand_elements = static_cast<double>(elements(l.in_shapes[1]))};
    (mul_ ? w.multiplies : w.adds) = n;
    return w;
  }

 private:
  bool mul_;
};

class Concat final : public LayerKind {
 public:
  std::string_view type() const override { return "concat"; }
  std::string doc() const override {
    return "its inputs one after another along channels ([C, H, W]) or features ([N])";
  }
  std::size_t min_inputs() const override { return 2; }
  std::size_t max_inputs() const override { return 64; }
  void build(Layer& l, const kit::Json&, const std::string& path) const override {
    l.out_shape = l.in_shape();
    l.out_shape[0] = 0;
    for (const Shape& s : l.in_shapes) {
      if (s.size() != l.in_shape().size() ||
          !std::equal(s.begin() + 1, s.end(), l.in_shape().begin() + 1)) {
        throw ConfigError(path, fmt::format("concat joins inputs along their first axis; {} and "
                                            "{} differ in the others",
                                            shape_text(l.in_shape()), shape_text(s)));
      }
      l.out_shape[0] += s[0];
    }
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    RowMatrixF out(in[0]->rows(), static_cast<Eigen::Index>(l.out_elements()));
    Eigen::Index at = 0;
    for (const RowMatrixF* x : in) {
      out.middleCols(at, x->cols()) = *x;
      at += x->cols();
    }
    return out;
  }
  std::vector<RowMatrixF> backward(const Layer&, std::span<const RowMatrixF* const> in,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    std::vector<RowMatrixF> out;
    Eigen::Index at = 0;
    for (const RowMatrixF* x : in) {
      out.emplace_back(g.middleCols(at, x->cols()));
      at += x->cols();
    }
    return out;
  }
  DigitalWork digital_work(const Layer& l) const override {
    double rest = 0;
    for (std::size_t k = 1; k < l.in_shapes.size(); ++k)
      rest += static_cast<double>(elements(l.in_shapes[k]));
    return {.operand_elements = rest};
  }
};

}  // namespace

const LayerKind& merge_kind(std::string_view t) {
  static const Merge add(false), mul(true);
  if (t == "add") return add;
  if (t == "mul") return mul;
  throw kit::RuntimeError("merge_kind: no merge named \"" + std::string(t) + "\"");
}

const LayerKind& concat_kind() {
  static const Concat k;
  return k;
}

}  // namespace xbarsim::nn
