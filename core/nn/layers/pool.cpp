// Pooling: maxpool and avgpool over a window (padding never wins a max;
// avgpool divides by the window's taps inside the padded input, or inside
// the input alone without count_include_pad), and global_avgpool
// ([C, H, W] to [C, 1, 1]).
#include <algorithm>
#include <limits>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"
#include "core/nn/layers/window.h"

namespace xbarsim::nn {
namespace {

// Taps of output position o on one axis inside [lo, hi) of input positions.
std::size_t taps_within(const Window& w, std::size_t axis, std::size_t o, long long lo,
                        long long hi) {
  std::size_t n = 0;
  for (std::size_t k = 0; k < w.kernel[axis]; ++k) {
    const auto pos = static_cast<long long>(o * w.stride[axis] + k * w.dilation[axis]) -
                     static_cast<long long>(w.pad_begin[axis]);
    n += pos >= lo && pos < hi;
  }
  return n;
}

class Pool final : public LayerKind {
 public:
  explicit Pool(bool max) : max_(max) {}
  std::string_view type() const override { return max_ ? "maxpool" : "avgpool"; }
  std::string doc() const override {
    return max_ ? "maximum over each window" : "mean over each window";
  }
  std::vector<kit::ParamInfo> params() const override {
    auto p = window_params(2, 0, true);
    if (!max_) {
      p.push_back(kit::bool_param("count_include_pad", true,
                                  "padded zeros count in the mean (ONNX's default is false)"));
    }
    return p;
  }
  void build(Layer& l, const kit::Json& keys, const std::string& path) const override {
    const auto hw = build_window(l, keys, path);
    if (!max_) l.count_include_pad = keys.at("count_include_pad").get<bool>();
    l.out_shape = {l.in_shape()[0], hw[0], hw[1]};
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved* saved) const override {
    const RowMatrixF& x = *in[0];
    const Shape& s = l.in_shape();
    const std::size_t c = s[0], h = s[1], wd = s[2], ho = l.out_shape[1], wo = l.out_shape[2];
    const auto batch = static_cast<std::size_t>(x.rows());
    const std::size_t plane = h * wd, oplane = ho * wo, in_n = c * plane, out_n = c * oplane;
    RowMatrixF out(static_cast<Eigen::Index>(batch), static_cast<Eigen::Index>(out_n));
    std::vector<std::int32_t> at(oplane);
    if (saved != nullptr && max_) saved->argmax.assign(batch * out_n, -1);
    const std::vector<float> inv = max_ ? std::vector<float>() : divisors(l);
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t ch = 0; ch < c; ++ch) {
        const float* src = x.data() + b * in_n + ch * plane;
        float* dst = out.data() + b * out_n + ch * oplane;
        std::fill_n(dst, oplane, max_ ? -std::numeric_limits<float>::infinity() : 0.0f);
        std::fill(at.begin(), at.end(), -1);
        for_each_tap(l.window, h, wd, ho, wo,
                     [&](std::size_t o, std::size_t, std::size_t, std::size_t idx) {
                       if (!max_) {
                         dst[o] += src[idx];
                       } else if (src[idx] > dst[o] || at[o] < 0) {
                         dst[o] = src[idx];
                         at[o] = static_cast<std::int32_t>(ch * plane + idx);
                       }
                     });
        if (!max_) {
          for (std::size_t o = 0; o < oplane; ++o) dst[o] *= inv[o];
        }
        if (saved != nullptr && max_) {
          std::copy(at.begin(), at.end(),
                    saved->argmax.begin() + static_cast<std::ptrdiff_t>(b * out_n + ch * oplane));
        }
      }
    }
    return out;
  }
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const>,
                                   const RowMatrixF& g, const Saved& saved,
                                   const BackwardContext&) const override {
    const Shape& s = l.in_shape();
    const std::size_t c = s[0], h = s[1], wd = s[2], ho = l.out_shape[1], wo = l.out_shape[2];
    const auto batch = static_cast<std::size_t>(g.rows());
    const std::size_t plane = h * wd, oplane = ho * wo, in_n = c * plane, out_n = c * oplane;
    RowMatrixF gx =
        RowMatrixF::Zero(static_cast<Eigen::Index>(batch), static_cast<Eigen::Index>(in_n));
    const std::vector<float> inv = max_ ? std::vector<float>() : divisors(l);
    for (std::size_t b = 0; b < batch; ++b) {
      const float* src = g.data() + b * out_n;
      float* dst = gx.data() + b * in_n;
      if (max_) {
        for (std::size_t o = 0; o < out_n; ++o) {
          const std::int32_t at = saved.argmax[b * out_n + o];
          if (at >= 0) dst[at] += src[o];
        }
        continue;
      }
      for (std::size_t ch = 0; ch < c; ++ch) {
        for_each_tap(l.window, h, wd, ho, wo,
                     [&](std::size_t o, std::size_t, std::size_t, std::size_t idx) {
                       dst[ch * plane + idx] += src[ch * oplane + o] * inv[o];
                     });
      }
    }
    return {gx};
  }
  DigitalWork digital_work(const Layer& l) const override {
    const auto out = static_cast<double>(l.out_elements());
    const auto taps = static_cast<double>(l.window.taps());
    if (max_) return {.compares = out * (taps - 1), .lane_ops = out * taps};
    return {.adds = out * taps, .lane_ops = out * taps};
  }

 private:
  // avgpool: 1 / (the taps each output position averages).
  static std::vector<float> divisors(const Layer& l) {
    const Shape& s = l.in_shape();
    const std::size_t ho = l.out_shape[1], wo = l.out_shape[2];
    std::vector<float> inv(ho * wo);
    for (std::size_t oy = 0; oy < ho; ++oy) {
      for (std::size_t ox = 0; ox < wo; ++ox) {
        std::array<std::size_t, 2> n{};
        for (std::size_t a = 0; a < 2; ++a) {
          const auto size = static_cast<long long>(s[1 + a]);
          const long long lo =
              l.count_include_pad ? -static_cast<long long>(l.window.pad_begin[a]) : 0;
          const long long hi =
              l.count_include_pad ? size + static_cast<long long>(l.window.pad_end[a]) : size;
          n[a] = taps_within(l.window, a, a == 0 ? oy : ox, lo, hi);
        }
        inv[oy * wo + ox] = 1.0f / static_cast<float>(std::max<std::size_t>(1, n[0] * n[1]));
      }
    }
    return inv;
  }
  bool max_;
};

class GlobalAvgPool final : public LayerKind {
 public:
  std::string_view type() const override { return "global_avgpool"; }
  std::string doc() const override { return "mean of each channel: [C, H, W] to [C, 1, 1]"; }
  void build(Layer& l, const kit::Json&, const std::string& path) const override {
    if (l.in_shape().size() != 3) {
      throw kit::ConfigError(
          path, "global_avgpool needs a [C, H, W] input, got " + shape_text(l.in_shape()));
    }
    l.out_shape = {l.in_shape()[0], 1, 1};
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    const RowMatrixF& x = *in[0];
    const auto c = static_cast<Eigen::Index>(l.in_shape()[0]);
    const auto plane = static_cast<Eigen::Index>(l.in_shape()[1] * l.in_shape()[2]);
    RowMatrixF out(x.rows(), c);
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
      for (Eigen::Index ch = 0; ch < c; ++ch) {
        out(b, ch) = x.row(b).segment(ch * plane, plane).sum() / static_cast<float>(plane);
      }
    }
    return out;
  }
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const> in,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    const auto c = static_cast<Eigen::Index>(l.in_shape()[0]);
    const auto plane = static_cast<Eigen::Index>(l.in_shape()[1] * l.in_shape()[2]);
    RowMatrixF gx(in[0]->rows(), in[0]->cols());
    for (Eigen::Index b = 0; b < gx.rows(); ++b) {
      for (Eigen::Index ch = 0; ch < c; ++ch) {
        gx.row(b).segment(ch * plane, plane).setConstant(g(b, ch) / static_cast<float>(plane));
      }
    }
    return {gx};
  }
  DigitalWork digital_work(const Layer& l) const override {
    const auto n = static_cast<double>(l.in_elements());
    return {.adds = n, .lane_ops = n};
  }
};

}  // namespace

const LayerKind& pool_kind(std::string_view t) {
  static const Pool max(true), avg(false);
  if (t == "maxpool") return max;
  if (t == "avgpool") return avg;
  throw kit::RuntimeError("pool_kind: no pooling named \"" + std::string(t) + "\"");
}

const LayerKind& global_avgpool_kind() {
  static const GlobalAvgPool k;
  return k;
}

}  // namespace xbarsim::nn
