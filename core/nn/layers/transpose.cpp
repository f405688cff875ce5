// transpose: the per-sample axes in a new order (an attention block's keys
// turned for Q·Kᵀ, heads moved ahead of tokens). The batch stays first.
#include <fmt/format.h>

#include <algorithm>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"

namespace xbarsim::nn {
namespace {

// For each output element (C order), the input element it copies.
std::vector<std::size_t> gather_index(const Shape& in, const std::vector<std::size_t>& perm) {
  const std::size_t r = in.size();
  std::vector<std::size_t> in_stride(r, 1), out_shape(r);
  for (std::size_t a = r - 1; a > 0; --a) in_stride[a - 1] = in_stride[a] * in[a];
  for (std::size_t a = 0; a < r; ++a) out_shape[a] = in[perm[a]];
  std::vector<std::size_t> idx(elements(in)), pos(r, 0);
  for (std::size_t e = 0; e < idx.size(); ++e) {
    std::size_t src = 0;
    for (std::size_t a = 0; a < r; ++a) src += pos[a] * in_stride[perm[a]];
    idx[e] = src;
    for (std::size_t a = r; a-- > 0;) {  // the next output position, last axis fastest
      if (++pos[a] < out_shape[a]) break;
      pos[a] = 0;
    }
  }
  return idx;
}

class Transpose final : public LayerKind {
 public:
  std::string_view type() const override { return "transpose"; }
  std::string doc() const override {
    return "the per-sample axes reordered (perm, as numpy's transpose without the batch)";
  }
  std::vector<kit::ParamInfo> params() const override {
    kit::ParamInfo p = kit::number_list_param("perm", {}, "", "a permutation of 0 .. rank-1");
    p.default_value = nullptr;
    return {p};
  }
  void build(Layer& l, const kit::Json& keys, const std::string& path) const override {
    const std::string here = kit::join_path(path, "perm");
    const kit::Json& p = keys.at("perm");
    const std::size_t r = l.in_shape().size();
    std::vector<bool> seen(r, false);
    for (std::size_t k = 0; k < std::max(r, p.size()); ++k) {
      const kit::Json& v = k < p.size() ? p[k] : kit::Json();
      const bool ok = p.size() == r && v.is_number_integer() && v.get<long long>() >= 0 &&
                      v.get<std::size_t>() < r && !seen[v.get<std::size_t>()];
      if (!ok) {
        throw kit::ConfigError(here, fmt::format("expected a permutation of 0 .. {} (the axes of "
                                                 "the input {}, without the batch), got {}",
                                                 r - 1, shape_text(l.in_shape()), p.dump()));
      }
      seen[v.get<std::size_t>()] = true;
      l.perm.push_back(v.get<std::size_t>());
    }
    for (const auto a : l.perm) l.out_shape.push_back(l.in_shape()[a]);
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    return permute(*in[0], gather_index(l.in_shape(), l.perm), false);
  }
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const>,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    return {permute(g, gather_index(l.in_shape(), l.perm), true)};
  }
  // A reordering is addressing in the buffer the output is written to.
  DigitalWork digital_work(const Layer&) const override { return {}; }
  bool nonnegative(const Layer&, const std::vector<bool>& inputs) const override {
    return inputs[0];
  }

 private:
  // out[e] = x[idx[e]] per sample, or (scatter, the gradient) out[idx[e]] = x[e].
  static RowMatrixF permute(const RowMatrixF& x, const std::vector<std::size_t>& idx,
                            bool scatter) {
    RowMatrixF out(x.rows(), x.cols());
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
      const float* src = x.data() + b * x.cols();
      float* dst = out.data() + b * x.cols();
      for (std::size_t e = 0; e < idx.size(); ++e) {
        if (scatter) {
          dst[idx[e]] = src[e];
        } else {
          dst[e] = src[idx[e]];
        }
      }
    }
    return out;
  }
};

}  // namespace

const LayerKind& transpose_kind() {
  static const Transpose k;
  return k;
}

}  // namespace xbarsim::nn
