// batchnorm (folded into the conv2d or linear layer it reads, so it is the
// identity here and costs nothing) and affine (y = x · scale[c] + shift[c]
// per channel, or feature of an [N] input: a batch-norm that could not be
// folded, or a constant Mul/Add/Sub/Div of an imported graph).
#include <fmt/format.h>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"

namespace xbarsim::nn {
namespace {

using kit::ConfigError;

class BatchNorm final : public LayerKind {
 public:
  std::string_view type() const override { return "batchnorm"; }
  std::string doc() const override {
    return "batch normalisation, folded into the conv2d/linear layer it reads (no cost)";
  }
  void build(Layer& l, const kit::Json&, const std::string&) const override {
    l.out_shape = l.in_shape();
  }
  void check_graph(const Layer& l, std::span<const Layer> earlier,
                   const std::string& path) const override {
    if (l.input() == kNetworkInput || !earlier[l.input()].matrix()) {
      throw ConfigError(path,
                        "batchnorm is folded into a conv2d or linear layer, so it must read one "
                        "directly");
    }
  }
  RowMatrixF forward(const Layer&, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    return *in[0];
  }
  // The trainer trains the folded network: the identity.
  std::vector<RowMatrixF> backward(const Layer&, std::span<const RowMatrixF* const>,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    return {g};
  }
  bool nonnegative(const Layer&, const std::vector<bool>&) const override { return false; }
};

class Affine final : public LayerKind {
 public:
  std::string_view type() const override { return "affine"; }
  std::string doc() const override {
    return "x · scale + shift, one value per channel (or feature) or one for all";
  }
  std::vector<kit::ParamInfo> params() const override {
    using namespace kit;
    return {number_list_param("scale", {1.0}, "", "per channel, or one value"),
            number_list_param("shift", {0.0}, "", "per channel, or one value")};
  }
  void build(Layer& l, const kit::Json& keys, const std::string& path) const override {
    l.out_shape = l.in_shape();
    const std::size_t c = l.in_shape()[0];
    for (const char* key : {"scale", "shift"}) {
      const auto v = keys.at(key).get<std::vector<float>>();
      if (v.size() != 1 && v.size() != c) {
        throw ConfigError(kit::join_path(path, key),
                          fmt::format("expected 1 or {} values (the input {}), got {}", c,
                                      shape_text(l.in_shape()), v.size()));
      }
      (key[1] == 'c' ? l.scale : l.shift) = v.size() == c ? v : std::vector<float>(c, v[0]);
    }
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    RowMatrixF x = *in[0];
    const std::size_t per = l.in_elements() / l.scale.size();
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
      float* row = x.data() + b * x.cols();
      for (std::size_t e = 0; e < l.in_elements(); ++e) {
        row[e] = row[e] * l.scale[e / per] + l.shift[e / per];
      }
    }
    return x;
  }
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const>,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    RowMatrixF gx = g;
    const std::size_t per = l.in_elements() / l.scale.size();
    for (Eigen::Index b = 0; b < gx.rows(); ++b) {
      float* row = gx.data() + b * gx.cols();
      for (std::size_t e = 0; e < l.in_elements(); ++e) row[e] *= l.scale[e / per];
    }
    return {gx};
  }
  DigitalWork digital_work(const Layer& l) const override {
    const auto n = static_cast<double>(l.out_elements());
    return {.adds = n, .multiplies = n, .lane_ops = 2 * n};
  }
  bool nonnegative(const Layer& l, const std::vector<bool>& inputs) const override {
    for (std::size_t k = 0; k < l.scale.size(); ++k) {
      if (l.scale[k] < 0 || l.shift[k] < 0) return false;
    }
    return inputs[0];
  }
};

}  // namespace

const LayerKind& batchnorm_kind() {
  static const BatchNorm k;
  return k;
}
const LayerKind& affine_kind() {
  static const Affine k;
  return k;
}

}  // namespace xbarsim::nn
