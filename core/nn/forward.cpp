#include "core/nn/forward.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/kit/error.h"
#include "core/kit/gemm.h"

namespace xbarsim::nn {
namespace {

struct Geometry {  // a conv2d or pooling layer's spatial sizes
  std::size_t c, h, w, ho, wo, k, s, pad;
  std::size_t pixels() const { return ho * wo; }
};

Geometry geometry(const Layer& l) {
  return {l.in_shape[0],  l.in_shape[1], l.in_shape[2], l.out_shape[1],
          l.out_shape[2], l.kernel,      l.stride,      l.padding};
}

}  // namespace

RowMatrixF layer_vectors(const Layer& l, const RowMatrixF& x) {
  if (l.kind == LayerKind::kLinear) return x;
  const Geometry g = geometry(l);
  const auto batch = static_cast<std::size_t>(x.rows());
  const std::size_t p = g.pixels(), k = g.k;
  RowMatrixF v(static_cast<Eigen::Index>(batch * p), static_cast<Eigen::Index>(g.c * k * k));
  const auto pad = static_cast<std::ptrdiff_t>(g.pad);
#pragma omp parallel for schedule(static) if (batch * p > 4096)
  for (std::ptrdiff_t bp = 0; bp < static_cast<std::ptrdiff_t>(batch * p); ++bp) {
    const auto b = static_cast<std::size_t>(bp) / p, pix = static_cast<std::size_t>(bp) % p;
    const auto oy = static_cast<std::ptrdiff_t>((pix / g.wo) * g.s);
    const auto ox = static_cast<std::ptrdiff_t>((pix % g.wo) * g.s);
    const float* src = x.data() + b * g.c * g.h * g.w;
    float* dst = v.data() + bp * v.cols();
    for (std::size_t c = 0; c < g.c; ++c) {
      for (std::size_t ky = 0; ky < k; ++ky) {
        const std::ptrdiff_t y = oy + static_cast<std::ptrdiff_t>(ky) - pad;
        const bool row_in = y >= 0 && y < static_cast<std::ptrdiff_t>(g.h);
        for (std::size_t kx = 0; kx < k; ++kx) {
          const std::ptrdiff_t xx = ox + static_cast<std::ptrdiff_t>(kx) - pad;
          *dst++ = row_in && xx >= 0 && xx < static_cast<std::ptrdiff_t>(g.w)
                       ? src[(c * g.h + static_cast<std::size_t>(y)) * g.w +
                             static_cast<std::size_t>(xx)]
                       : 0.0f;
        }
      }
    }
  }
  return v;
}

RowMatrixF layer_output(const Layer& l, const RowMatrixF& y, const Eigen::RowVectorXf& bias) {
  if (l.kind == LayerKind::kLinear) {
    if (bias.size() == 0) return y;
    RowMatrixF out = y;
    out.rowwise() += bias;
    return out;
  }
  const std::size_t p = l.out_shape[1] * l.out_shape[2], o = l.cols();
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

RowMatrixF output_to_vectors(const Layer& l, const RowMatrixF& g) {
  if (l.kind == LayerKind::kLinear) return g;
  const std::size_t p = l.out_shape[1] * l.out_shape[2], o = l.cols();
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

RowMatrixF vectors_to_input(const Layer& l, const RowMatrixF& gv) {
  if (l.kind == LayerKind::kLinear) return gv;
  const Geometry g = geometry(l);
  const std::size_t p = g.pixels(), k = g.k;
  const std::size_t batch = static_cast<std::size_t>(gv.rows()) / p;
  RowMatrixF gx = RowMatrixF::Zero(static_cast<Eigen::Index>(batch),
                                   static_cast<Eigen::Index>(g.c * g.h * g.w));
  const auto pad = static_cast<std::ptrdiff_t>(g.pad);
  for (std::size_t b = 0; b < batch; ++b) {
    float* dst = gx.data() + b * g.c * g.h * g.w;
    for (std::size_t pix = 0; pix < p; ++pix) {
      const auto oy = static_cast<std::ptrdiff_t>((pix / g.wo) * g.s);
      const auto ox = static_cast<std::ptrdiff_t>((pix % g.wo) * g.s);
      const float* src = gv.data() + (b * p + pix) * static_cast<std::size_t>(gv.cols());
      for (std::size_t c = 0; c < g.c; ++c) {
        for (std::size_t ky = 0; ky < k; ++ky) {
          const std::ptrdiff_t y = oy + static_cast<std::ptrdiff_t>(ky) - pad;
          for (std::size_t kx = 0; kx < k; ++kx, ++src) {
            const std::ptrdiff_t xx = ox + static_cast<std::ptrdiff_t>(kx) - pad;
            if (y >= 0 && y < static_cast<std::ptrdiff_t>(g.h) && xx >= 0 &&
                xx < static_cast<std::ptrdiff_t>(g.w)) {
              dst[(c * g.h + static_cast<std::size_t>(y)) * g.w + static_cast<std::size_t>(xx)] +=
                  *src;
            }
          }
        }
      }
    }
  }
  return gx;
}

namespace {

// Calls fn(o, idx) for every output o of one sample (C order over channel,
// row, column) and every input idx inside its window, padding skipped.
template <typename Fn>
void for_each_window(const Geometry& g, Fn&& fn) {
  const auto pad = static_cast<std::ptrdiff_t>(g.pad);
  for (std::size_t c = 0; c < g.c; ++c) {
    for (std::size_t oy = 0; oy < g.ho; ++oy) {
      for (std::size_t ox = 0; ox < g.wo; ++ox) {
        const std::size_t o = (c * g.ho + oy) * g.wo + ox;
        for (std::size_t ky = 0; ky < g.k; ++ky) {
          const std::ptrdiff_t y = static_cast<std::ptrdiff_t>(oy * g.s + ky) - pad;
          if (y < 0 || y >= static_cast<std::ptrdiff_t>(g.h)) continue;
          for (std::size_t kx = 0; kx < g.k; ++kx) {
            const std::ptrdiff_t xx = static_cast<std::ptrdiff_t>(ox * g.s + kx) - pad;
            if (xx < 0 || xx >= static_cast<std::ptrdiff_t>(g.w)) continue;
            fn(o, (c * g.h + static_cast<std::size_t>(y)) * g.w + static_cast<std::size_t>(xx));
          }
        }
      }
    }
  }
}

}  // namespace

RowMatrixF pool(const Layer& l, const RowMatrixF& x, std::vector<std::int32_t>* argmax) {
  const Geometry g = geometry(l);
  const bool max = l.kind == LayerKind::kMaxPool;
  const auto batch = static_cast<std::size_t>(x.rows());
  const std::size_t in_n = g.c * g.h * g.w, out_n = g.c * g.ho * g.wo;
  RowMatrixF out(static_cast<Eigen::Index>(batch), static_cast<Eigen::Index>(out_n));
  if (argmax) argmax->assign(batch * out_n, -1);
  std::vector<std::int32_t> at(out_n);
  const float inv = 1.0f / static_cast<float>(g.k * g.k);
  for (std::size_t b = 0; b < batch; ++b) {
    const float* src = x.data() + b * in_n;
    float* dst = out.data() + b * out_n;
    std::fill_n(dst, out_n, max ? -std::numeric_limits<float>::infinity() : 0.0f);
    std::fill(at.begin(), at.end(), -1);
    for_each_window(g, [&](std::size_t o, std::size_t idx) {
      if (!max) {
        dst[o] += src[idx];
      } else if (src[idx] > dst[o] || at[o] < 0) {
        dst[o] = src[idx];
        at[o] = static_cast<std::int32_t>(idx);
      }
    });
    if (!max) {
      for (std::size_t o = 0; o < out_n; ++o) dst[o] *= inv;
    }
    if (argmax)
      std::copy(at.begin(), at.end(), argmax->begin() + static_cast<std::ptrdiff_t>(b * out_n));
  }
  return out;
}

RowMatrixF pool_backward(const Layer& l, const RowMatrixF& gout,
                         const std::vector<std::int32_t>& argmax) {
  const Geometry g = geometry(l);
  const auto batch = static_cast<std::size_t>(gout.rows());
  const std::size_t in_n = g.c * g.h * g.w, out_n = g.c * g.ho * g.wo;
  RowMatrixF gx =
      RowMatrixF::Zero(static_cast<Eigen::Index>(batch), static_cast<Eigen::Index>(in_n));
  const float inv = 1.0f / static_cast<float>(g.k * g.k);
  for (std::size_t b = 0; b < batch; ++b) {
    const float* src = gout.data() + b * out_n;
    float* dst = gx.data() + b * in_n;
    if (l.kind == LayerKind::kMaxPool) {
      for (std::size_t o = 0; o < out_n; ++o) {
        const std::int32_t at = argmax[b * out_n + o];
        if (at >= 0) dst[at] += src[o];
      }
    } else {
      for_each_window(g, [&](std::size_t o, std::size_t idx) { dst[idx] += src[o] * inv; });
    }
  }
  return gx;
}

namespace {

float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678f)); }
float gelu_grad(float x) {
  return 0.5f * (1.0f + std::erf(x * 0.70710678f)) + x * 0.39894228f * std::exp(-0.5f * x * x);
}

}  // namespace

void activate(const std::string& type, RowMatrixF& x) {
  if (type == "relu") {
    x = x.cwiseMax(0.0f);
  } else if (type == "sigmoid") {
    x = (1.0f + (-x.array()).exp()).inverse().matrix();
  } else if (type == "tanh") {
    x = x.array().tanh().matrix();
  } else if (type == "gelu") {
    x = x.unaryExpr(&gelu);
  } else {
    throw kit::RuntimeError("activate: no activation named \"" + type + "\"");
  }
}

void activate_backward(const std::string& type, const RowMatrixF& x, RowMatrixF& g) {
  if (type == "relu") {
    g.array() *= (x.array() > 0.0f).cast<float>();
  } else if (type == "sigmoid") {
    const auto s = (1.0f + (-x.array()).exp()).inverse();
    g.array() *= s * (1.0f - s);
  } else if (type == "tanh") {
    g.array() *= 1.0f - x.array().tanh().square();
  } else if (type == "gelu") {
    g.array() *= x.unaryExpr(&gelu_grad).array();
  } else {
    throw kit::RuntimeError("activate_backward: no activation named \"" + type + "\"");
  }
}

RowMatrixF forward(const Network& net, const Weights& w, const RowMatrixF& x,
                   const ProductFn& product) {
  const std::size_t n = net.layers.size();
  std::vector<RowMatrixF> outs(n);
  // Each output is freed once no later layer reads it.
  std::vector<std::size_t> last_use(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    if (l.input < n) last_use[l.input] = i;
    if (l.kind == LayerKind::kAdd) last_use[l.from] = i;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    const RowMatrixF& in = l.input == n ? x : outs[l.input];
    switch (l.kind) {
      case LayerKind::kConv2d:
      case LayerKind::kLinear:
        outs[i] = layer_output(l, product(i, layer_vectors(l, in)), w.layers[i].b);
        break;
      case LayerKind::kActivation:
        outs[i] = in;
        activate(l.type, outs[i]);
        break;
      case LayerKind::kMaxPool:
      case LayerKind::kAvgPool:
        outs[i] = pool(l, in, nullptr);
        break;
      case LayerKind::kAdd:
        outs[i] = in + outs[l.from];
        break;
      case LayerKind::kFlatten:
      case LayerKind::kBatchNorm:  // folded into the matrix layer's weights
        outs[i] = in;
        break;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (last_use[j] == i) outs[j] = RowMatrixF();
    }
  }
  return outs.back();
}

ProductFn float_product(const Weights& w) {
  return [&w](std::size_t layer, const RowMatrixF& v) -> RowMatrixF {
    RowMatrixF y;
    kit::gemm(y, v, w.layers[layer].w);
    return y;
  };
}

std::vector<int> argmax_rows(const RowMatrixF& y) {
  std::vector<int> out(static_cast<std::size_t>(y.rows()));
  for (Eigen::Index b = 0; b < y.rows(); ++b) {
    Eigen::Index at = 0;
    y.row(b).maxCoeff(&at);
    out[static_cast<std::size_t>(b)] = static_cast<int>(at);
  }
  return out;
}

}  // namespace xbarsim::nn
