// conv2d and linear: the matrix layers, mapped onto crossbars. A conv2d
// reads its input as im2col vectors (one per output pixel, zero padding
// included); with groups, group g's vectors are its own input channels and
// its products fill its own output channels.
#include <fmt/format.h>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/nn/layers/kinds.h"
#include "core/nn/layers/window.h"

namespace xbarsim::nn {
namespace {

using kit::ConfigError;
using kit::Json;

// A conv2d's input as im2col vectors: (batch·P) x (groups·rows()).
RowMatrixF im2col(const Layer& l, const RowMatrixF& x) {
  const Shape& s = l.in_shape();
  const Window& w = l.window;
  const std::size_t c = s[0], h = s[1], wd = s[2], wo = l.out_shape[2];
  const std::size_t p = l.vectors(), kh = w.kernel[0], kw = w.kernel[1];
  const auto batch = static_cast<std::size_t>(x.rows());
  RowMatrixF v(static_cast<Eigen::Index>(batch * p), static_cast<Eigen::Index>(c * kh * kw));
#pragma omp parallel for schedule(static) if (batch * p > 4096)
  for (std::ptrdiff_t bp = 0; bp < static_cast<std::ptrdiff_t>(batch * p); ++bp) {
    const auto b = static_cast<std::size_t>(bp) / p, pix = static_cast<std::size_t>(bp) % p;
    const auto oy = static_cast<std::ptrdiff_t>((pix / wo) * w.stride[0]) -
                    static_cast<std::ptrdiff_t>(w.pad_begin[0]);
    const auto ox = static_cast<std::ptrdiff_t>((pix % wo) * w.stride[1]) -
                    static_cast<std::ptrdiff_t>(w.pad_begin[1]);
    const float* src = x.data() + b * c * h * wd;
    float* dst = v.data() + bp * v.cols();
    for (std::size_t ch = 0; ch < c; ++ch) {
      for (std::size_t ky = 0; ky < kh; ++ky) {
        const std::ptrdiff_t y = oy + static_cast<std::ptrdiff_t>(ky * w.dilation[0]);
        const bool row_in = y >= 0 && y < static_cast<std::ptrdiff_t>(h);
        for (std::size_t kx = 0; kx < kw; ++kx) {
          const std::ptrdiff_t xx = ox + static_cast<std::ptrdiff_t>(kx * w.dilation[1]);
          *dst++ =
              row_in && xx >= 0 && xx < static_cast<std::ptrdiff_t>(wd)
                  ? src[(ch * h + static_cast<std::size_t>(y)) * wd + static_cast<std::size_t>(xx)]
                  : 0.0f;
        }
      }
    }
  }
  return v;
}

// im2col-shaped gradients back onto the input (overlaps summed).
RowMatrixF col2im(const Layer& l, const RowMatrixF& gv) {
  const Shape& s = l.in_shape();
  const Window& w = l.window;
  const std::size_t c = s[0], h = s[1], wd = s[2], wo = l.out_shape[2];
  const std::size_t p = l.vectors(), kh = w.kernel[0], kw = w.kernel[1];
  const std::size_t batch = static_cast<std::size_t>(gv.rows()) / p;
  RowMatrixF gx =
      RowMatrixF::Zero(static_cast<Eigen::Index>(batch), static_cast<Eigen::Index>(c * h * wd));
  for (std::size_t b = 0; b < batch; ++b) {
    float* dst = gx.data() + b * c * h * wd;
    for (std::size_t pix = 0; pix < p; ++pix) {
      const auto oy = static_cast<std::ptrdiff_t>((pix / wo) * w.stride[0]) -
                      static_cast<std::ptrdiff_t>(w.pad_begin[0]);
      const auto ox = static_cast<std::ptrdiff_t>((pix % wo) * w.stride[1]) -
                      static_cast<std::ptrdiff_t>(w.pad_begin[1]);
      const float* src = gv.data() + (b * p + pix) * static_cast<std::size_t>(gv.cols());
      for (std::size_t ch = 0; ch < c; ++ch) {
        for (std::size_t ky = 0; ky < kh; ++ky) {
          const std::ptrdiff_t y = oy + static_cast<std::ptrdiff_t>(ky * w.dilation[0]);
          for (std::size_t kx = 0; kx < kw; ++kx, ++src) {
            const std::ptrdiff_t xx = ox + static_cast<std::ptrdiff_t>(kx * w.dilation[1]);
            if (y >= 0 && y < static_cast<std::ptrdiff_t>(h) && xx >= 0 &&
                xx < static_cast<std::ptrdiff_t>(wd)) {
              dst[(ch * h + static_cast<std::size_t>(y)) * wd + static_cast<std::size_t>(xx)] +=
                  *src;
            }
          }
        }
      }
    }
  }
  return gx;
}

// A batch of [S, N] inputs as its S tokens per sample, (batch·S) x N, and
// back: the same row-major numbers.
RowMatrixF regroup(const RowMatrixF& x, Eigen::Index per_row) {
  return Eigen::Map<const RowMatrixF>(x.data(), x.size() / per_row, per_row);
}

// Products (batch·P) x cols() as the layer's output, batch x (cols()·P), in
// [C, H, W] order (a linear layer's in token order), the bias added.
RowMatrixF to_output(const Layer& l, const RowMatrixF& y, const Eigen::RowVectorXf& bias) {
  if (l.out_shape.size() != 3) {
    RowMatrixF out = y;
    if (bias.size() != 0) out.rowwise() += bias;
    return l.vectors() == 1 ? out : regroup(out, static_cast<Eigen::Index>(l.out_elements()));
  }
  const std::size_t p = l.vectors(), o = l.cols();
  const std::size_t batch = static_cast<std::size_t>(y.rows()) / p;
  RowMatrixF out(static_cast<Eigen::Index>(batch), static_cast<Eigen::Index>(o * p));
  for (std::size_t b = 0; b < batch; ++b) {
    float* dst = out.data() + b * o * p;
    for (std::size_t pix = 0; pix < p; ++pix) {
      const float* src = y.data() + (b * p + pix) * o;
      for (std::size_t c = 0; c < o; ++c) {
        dst[c * p + pix] = src[c] + (bias.size() ? bias(static_cast<Eigen::Index>(c)) : 0.0f);
      }
    }
  }
  return out;
}

// The reverse of to_output for gradients.
RowMatrixF to_vectors(const Layer& l, const RowMatrixF& g) {
  if (l.out_shape.size() != 3) return regroup(g, static_cast<Eigen::Index>(l.cols()));
  const std::size_t p = l.vectors(), o = l.cols();
  const auto batch = static_cast<std::size_t>(g.rows());
  RowMatrixF v(static_cast<Eigen::Index>(batch * p), static_cast<Eigen::Index>(o));
  for (std::size_t b = 0; b < batch; ++b) {
    const float* src = g.data() + b * o * p;
    for (std::size_t pix = 0; pix < p; ++pix) {
      float* dst = v.data() + (b * p + pix) * o;
      for (std::size_t c = 0; c < o; ++c) dst[c] = src[c * p + pix];
    }
  }
  return v;
}

class MatrixKind : public LayerKind {
 public:
  bool matrix() const override { return true; }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in,
                     const ForwardContext& ctx, Saved* saved) const override {
    RowMatrixF v = l.in_shape().size() == 3 ? im2col(l, *in[0])
                                            : regroup(*in[0], static_cast<Eigen::Index>(l.rows()));
    RowMatrixF out = to_output(l, (*ctx.product)(ctx.index, v), *ctx.bias);
    if (saved != nullptr) saved->vectors = std::move(v);
    return out;
  }
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const>,
                                   const RowMatrixF& g, const Saved& saved,
                                   const BackwardContext& ctx) const override {
    const RowMatrixF gv = to_vectors(l, g);
    RowMatrixF gx;
    if (ctx.vector_grads != nullptr) *ctx.vector_grads = gv;
    if (l.groups == 1) {
      kit::gemm(*ctx.grad_w, saved.vectors.transpose(), gv);
      if (ctx.need_input_grad) {
        if (ctx.transposed != nullptr) {
          gx = (*ctx.transposed)(gv);
        } else {
          kit::gemm(gx, gv, ctx.weights->transpose());
        }
      }
    } else {
      if (ctx.transposed != nullptr) {
        throw kit::RuntimeError("a grouped matrix layer cannot be read transposed in situ");
      }
      const auto r = static_cast<Eigen::Index>(l.rows()),
                 cg = static_cast<Eigen::Index>(l.group_cols());
      ctx.grad_w->resize(r, static_cast<Eigen::Index>(l.cols()));
      if (ctx.need_input_grad) gx.resize(gv.rows(), r * static_cast<Eigen::Index>(l.groups));
      for (Eigen::Index k = 0; k < static_cast<Eigen::Index>(l.groups); ++k) {
        const RowMatrixF vk = saved.vectors.middleCols(k * r, r), gk = gv.middleCols(k * cg, cg);
        RowMatrixF part;
        kit::gemm(part, vk.transpose(), gk);
        ctx.grad_w->middleCols(k * cg, cg) = part;
        if (ctx.need_input_grad) {
          kit::gemm(part, gk, RowMatrixF(ctx.weights->middleCols(k * cg, cg)).transpose());
          gx.middleCols(k * r, r) = part;
        }
      }
    }
    if (ctx.grad_b != nullptr) *ctx.grad_b = gv.colwise().sum();
    if (!ctx.need_input_grad) return {RowMatrixF()};
    if (l.in_shape().size() == 3) return {col2im(l, gx)};
    return {regroup(gx, static_cast<Eigen::Index>(l.in_elements()))};
  }
  DigitalWork digital_work(const Layer&) const override { return {}; }  // counted with the arrays
  bool nonnegative(const Layer&, const std::vector<bool>&) const override { return false; }
};

class Conv2d final : public MatrixKind {
 public:
  std::string_view type() const override { return "conv2d"; }
  std::string doc() const override {
    return "2-D convolution (im2col onto crossbars); groups = in_channels is depthwise";
  }
  std::vector<kit::ParamInfo> params() const override {
    using namespace kit;
    ParamInfo oc = int_param("out_channels", 1, 1, 1 << 20, "output channels");
    oc.default_value = nullptr;  // required
    std::vector<ParamInfo> p = {oc};
    for (auto& w : window_params(3, 1, false)) p.push_back(std::move(w));
    p.push_back(int_param("groups", 1, 1, 1 << 20,
                          "channel groups, each its own block of arrays (in_channels: depthwise)"));
    p.push_back(bool_param("bias", true, "bias added digitally after the crossbar"));
    return p;
  }
  void build(Layer& l, const Json& keys, const std::string& path) const override {
    const auto hw = build_window(l, keys, path);
    l.out_channels = keys.at("out_channels").get<std::size_t>();
    l.groups = keys.at("groups").get<std::size_t>();
    l.bias = keys.at("bias").get<bool>();
    const std::size_t c = l.in_shape()[0];
    if (c % l.groups != 0 || l.out_channels % l.groups != 0) {
      throw ConfigError(kit::join_path(path, "groups"),
                        fmt::format("{} groups must divide both the {} input channels and the {} "
                                    "output channels",
                                    l.groups, c, l.out_channels));
    }
    l.out_shape = {l.out_channels, hw[0], hw[1]};
  }
};

class Linear final : public MatrixKind {
 public:
  std::string_view type() const override { return "linear"; }
  std::string doc() const override {
    return "fully connected layer on crossbars ([S, N] inputs: token by token)";
  }
  std::vector<kit::ParamInfo> params() const override {
    using namespace kit;
    ParamInfo of = int_param("out_features", 1, 1, 1 << 24, "output features");
    of.default_value = nullptr;
    return {of, bool_param("bias", true, "bias added digitally after the crossbar")};
  }
  void build(Layer& l, const Json& keys, const std::string& path) const override {
    if (l.in_shape().size() > 2) {
      throw ConfigError(path, fmt::format("linear needs [N] features or [S, N] tokens, got {}; "
                                          "add a flatten layer before it",
                                          shape_text(l.in_shape())));
    }
    l.out_channels = keys.at("out_features").get<std::size_t>();
    l.bias = keys.at("bias").get<bool>();
    l.out_shape = l.in_shape();
    l.out_shape.back() = l.out_channels;
  }
};

}  // namespace

const LayerKind& conv2d_kind() {
  static const Conv2d k;
  return k;
}
const LayerKind& linear_kind() {
  static const Linear k;
  return k;
}

RowMatrixF grouped_product(const Layer& l, const RowMatrixF& v, const RowMatrixF& w) {
  RowMatrixF y;
  if (l.groups == 1) {
    kit::gemm(y, v, w);
    return y;
  }
  const auto r = static_cast<Eigen::Index>(l.rows()),
             cg = static_cast<Eigen::Index>(l.group_cols());
  y.resize(v.rows(), static_cast<Eigen::Index>(l.cols()));
  RowMatrixF part;
  for (Eigen::Index k = 0; k < static_cast<Eigen::Index>(l.groups); ++k) {
    kit::gemm(part, RowMatrixF(v.middleCols(k * r, r)), RowMatrixF(w.middleCols(k * cg, cg)));
    y.middleCols(k * cg, cg) = part;
  }
  return y;
}

}  // namespace xbarsim::nn
