#pragma once
// The sliding window of conv2d and the pools: its JSON keys, the output size
// it gives, and the walk over each output's input taps (padding skipped).
//
// Keys: "kernel", "stride", "padding" (square, symmetric: the hand-written
// form), or ONNX's per-axis lists "kernel_shape" [kh, kw], "strides"
// [sh, sw], "pads" [top, left, bottom, right], "dilations" [dh, dw]; and
// "ceil_mode" (the pools: the last partial window counts).
#include <cstddef>
#include <string>
#include <vector>

#include "core/nn/layers/layer.h"

namespace xbarsim::nn {

// The window keys: defaults kernel k, stride s (0 = the kernel), ceil_mode
// offered (pools) or not (conv2d).
std::vector<kit::ParamInfo> window_params(long long kernel, long long stride, bool ceil_mode);
// Reads the keys into l.window and returns the output's height and width
// for the input [C, H, W]; throws ConfigError at path when the window does
// not fit.
std::array<std::size_t, 2> build_window(Layer& l, const kit::Json& keys, const std::string& path);

// Calls fn(o, ky, kx, idx) for every output position o of one channel plane
// (row-major over the output's height and width) and every tap (ky, kx)
// inside the input, idx the tap's input position in the plane.
template <typename Fn>
void for_each_tap(const Window& w, std::size_t h, std::size_t wd, std::size_t ho, std::size_t wo,
                  Fn&& fn) {
  for (std::size_t oy = 0; oy < ho; ++oy) {
    for (std::size_t ky = 0; ky < w.kernel[0]; ++ky) {
      const auto y = static_cast<std::ptrdiff_t>(oy * w.stride[0] + ky * w.dilation[0]) -
                     static_cast<std::ptrdiff_t>(w.pad_begin[0]);
      if (y < 0 || y >= static_cast<std::ptrdiff_t>(h)) continue;
      for (std::size_t ox = 0; ox < wo; ++ox) {
        for (std::size_t kx = 0; kx < w.kernel[1]; ++kx) {
          const auto x = static_cast<std::ptrdiff_t>(ox * w.stride[1] + kx * w.dilation[1]) -
                         static_cast<std::ptrdiff_t>(w.pad_begin[1]);
          if (x < 0 || x >= static_cast<std::ptrdiff_t>(wd)) continue;
          fn(oy * wo + ox, ky, kx, static_cast<std::size_t>(y) * wd + static_cast<std::size_t>(x));
        }
      }
    }
  }
}

// Taps of the window that land inside an input of n positions, summed over
// the `out` output positions of one axis.
double taps_inside(const Window& w, std::size_t axis, std::size_t n, std::size_t out);

}  // namespace xbarsim::nn
