// pad: zeros around each channel plane, [C, H, W] to [C, H + top + bottom,
// W + left + right].
#include <fmt/format.h>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"

namespace xbarsim::nn {
namespace {

class Pad final : public LayerKind {
 public:
  std::string_view type() const override { return "pad"; }
  std::string doc() const override { return "zero padding around each channel plane"; }
  std::vector<kit::ParamInfo> params() const override {
    kit::ParamInfo p = kit::number_list_param("pads", {}, "", "[top, left, bottom, right]");
    p.default_value = nullptr;
    return {p};
  }
  void build(Layer& l, const kit::Json& keys, const std::string& path) const override {
    const Shape& s = l.in_shape();
    if (s.size() != 3) {
      throw kit::ConfigError(path, "pad needs a [C, H, W] input, got " + shape_text(s));
    }
    const kit::Json& p = keys.at("pads");
    const std::string here = kit::join_path(path, "pads");
    if (p.size() != 4) throw kit::ConfigError(here, "expected [top, left, bottom, right]");
    std::array<std::size_t, 4> v{};
    for (std::size_t k = 0; k < 4; ++k) {
      if (!p[k].is_number_integer() || p[k].get<long long>() < 0 || p[k].get<long long>() > 1024) {
        throw kit::ConfigError(here, "expected integers between 0 and 1024, got " + p.dump());
      }
      v[k] = p[k].get<std::size_t>();
    }
    l.window.pad_begin = {v[0], v[1]};
    l.window.pad_end = {v[2], v[3]};
    l.out_shape = {s[0], s[1] + v[0] + v[2], s[2] + v[1] + v[3]};
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    const RowMatrixF& x = *in[0];
    RowMatrixF out = RowMatrixF::Zero(x.rows(), static_cast<Eigen::Index>(l.out_elements()));
    each_row(
        l,
        [&](Eigen::Index b, std::size_t src, std::size_t dst, std::size_t n) {
          std::copy_n(x.data() + b * x.cols() + src, n, out.data() + b * out.cols() + dst);
        },
        x.rows());
    return out;
  }
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const> in,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    RowMatrixF gx(in[0]->rows(), in[0]->cols());
    each_row(
        l,
        [&](Eigen::Index b, std::size_t src, std::size_t dst, std::size_t n) {
          std::copy_n(g.data() + b * g.cols() + dst, n, gx.data() + b * gx.cols() + src);
        },
        g.rows());
    return {gx};
  }
  bool nonnegative(const Layer&, const std::vector<bool>& inputs) const override {
    return inputs[0];
  }

 private:
  // fn(sample, input offset, output offset, length) for every input row.
  template <typename Fn>
  static void each_row(const Layer& l, Fn&& fn, Eigen::Index batch) {
    const Shape& s = l.in_shape();
    const std::size_t ho = l.out_shape[1], wo = l.out_shape[2];
    for (Eigen::Index b = 0; b < batch; ++b) {
      for (std::size_t c = 0; c < s[0]; ++c) {
        for (std::size_t y = 0; y < s[1]; ++y) {
          fn(b, (c * s[1] + y) * s[2],
             (c * ho + y + l.window.pad_begin[0]) * wo + l.window.pad_begin[1], s[2]);
        }
      }
    }
  }
};

}  // namespace

const LayerKind& pad_kind() {
  static const Pad k;
  return k;
}

}  // namespace xbarsim::nn
