// flatten and reshape: the same numbers under a new per-sample shape (C
// order is kept, so no data moves).
#include <fmt/format.h>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"

namespace xbarsim::nn {
namespace {

class Relabel : public LayerKind {
 public:
  RowMatrixF forward(const Layer&, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    return *in[0];
  }
  std::vector<RowMatrixF> backward(const Layer&, std::span<const RowMatrixF* const>,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    return {g};
  }
  bool nonnegative(const Layer&, const std::vector<bool>& inputs) const override {
    return inputs[0];
  }
};

class Flatten final : public Relabel {
 public:
  std::string_view type() const override { return "flatten"; }
  std::string doc() const override { return "[C, H, W] to [C·H·W]"; }
  void build(Layer& l, const kit::Json&, const std::string& path) const override {
    double e = 1;
    for (const auto d : l.in_shape()) e *= static_cast<double>(d);
    if (e > kMaxFeatureElements) {
      throw kit::ConfigError(path, fmt::format("flattening {} gives {:.3g} values; the limit is "
                                               "2^31",
                                               shape_text(l.in_shape()), e));
    }
    l.out_shape = {static_cast<std::size_t>(e)};
  }
};

class Reshape final : public Relabel {
 public:
  std::string_view type() const override { return "reshape"; }
  std::string doc() const override {
    return "a new per-sample shape ([C, H, W], [S, N] or [N]) of as many elements";
  }
  std::vector<kit::ParamInfo> params() const override {
    kit::ParamInfo s = kit::number_list_param("shape", {}, "", "[C, H, W], [S, N] or [N]");
    s.default_value = nullptr;
    return {s};
  }
  void build(Layer& l, const kit::Json& keys, const std::string& path) const override {
    const std::string here = kit::join_path(path, "shape");
    const kit::Json& s = keys.at("shape");
    if (s.empty() || s.size() > 3) {
      throw kit::ConfigError(here, "expected [C, H, W], [S, N] or [N], got " + s.dump());
    }
    for (const auto& d : s) {
      if (!d.is_number_integer() || d.get<long long>() < 1) {
        throw kit::ConfigError(here, "expected positive integers, got " + s.dump());
      }
      l.out_shape.push_back(d.get<std::size_t>());
    }
    if (elements(l.out_shape) != l.in_elements()) {
      throw kit::ConfigError(
          here, fmt::format("{} has {} elements, the input {} has {}", shape_text(l.out_shape),
                            elements(l.out_shape), shape_text(l.in_shape()), l.in_elements()));
    }
  }
};

}  // namespace

const LayerKind& flatten_kind() {
  static const Flatten k;
  return k;
}
const LayerKind& reshape_kind() {
  static const Reshape k;
  return k;
}

}  // namespace xbarsim::nn
