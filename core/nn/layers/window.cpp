#include "core/nn/layers/window.h"

#include <fmt/format.h>

#include "core/kit/error.h"

namespace xbarsim::nn {
namespace {

using kit::ConfigError;
using kit::Json;

// An integer list of `n` entries in [lo, hi] at keys[key], or empty when absent.
std::vector<std::size_t> int_list(const Json& keys, const char* key, std::size_t n, double lo,
                                  double hi, const std::string& path) {
  if (!keys.contains(key) || keys.at(key).is_null() ||
      (keys.at(key).is_array() && keys.at(key).empty())) {
    return {};
  }
  const Json& v = keys.at(key);
  const std::string here = kit::join_path(path, key);
  if (v.size() != n) {
    throw ConfigError(here, fmt::format("expected {} integers, got {}", n, v.dump()));
  }
  std::vector<std::size_t> out;
  for (const auto& d : v) {
    if (!d.is_number() ||
        d.get<double>() != static_cast<double>(static_cast<long long>(d.get<double>())) ||
        d.get<double>() < lo || d.get<double>() > hi) {
      throw ConfigError(
          here, fmt::format("expected integers between {:g} and {:g}, got {}", lo, hi, v.dump()));
    }
    out.push_back(static_cast<std::size_t>(d.get<double>()));
  }
  return out;
}

}  // namespace

std::vector<kit::ParamInfo> window_params(long long kernel, long long stride, bool ceil_mode) {
  using namespace kit;
  std::vector<ParamInfo> p = {
      int_param("kernel", kernel, 1, 1024, "square kernel (or kernel_shape [kh, kw])"),
      int_param("stride", stride, stride == 0 ? 0 : 1, 1024,
                stride == 0 ? "stride (0 = the kernel; or strides [sh, sw])"
                            : "stride (or strides [sh, sw])"),
      int_param("padding", 0, 0, 1024,
                "zero padding on each side (or pads [top, left, bottom, right])"),
      number_list_param("kernel_shape", {}, "", "[kh, kw] (in place of kernel)"),
      number_list_param("strides", {}, "", "[sh, sw] (in place of stride)"),
      number_list_param("pads", {}, "", "[top, left, bottom, right] (in place of padding)"),
      number_list_param("dilations", {}, "", "[dh, dw] (default [1, 1])"),
  };
  if (ceil_mode) {
    p.push_back(
        bool_param("ceil_mode", false, "output size rounded up: a last partial window counts"));
  }
  return p;
}

std::array<std::size_t, 2> build_window(Layer& l, const Json& keys, const std::string& path) {
  const Shape& s = l.in_shape();
  if (s.size() != 3) {
    throw ConfigError(path,
                      fmt::format("{} needs a [C, H, W] input, got {}", l.type, shape_text(s)));
  }
  Window& w = l.window;
  const auto k = keys.at("kernel").get<std::size_t>();
  const auto st = keys.at("stride").get<std::size_t>();
  const auto pad = keys.at("padding").get<std::size_t>();
  w.kernel = {k, k};
  w.stride = {st == 0 ? k : st, st == 0 ? k : st};
  w.pad_begin = w.pad_end = {pad, pad};
  if (const auto v = int_list(keys, "kernel_shape", 2, 1, 1024, path); !v.empty()) {
    w.kernel = {v[0], v[1]};
    if (st == 0) w.stride = w.kernel;
  }
  if (const auto v = int_list(keys, "strides", 2, 1, 1024, path); !v.empty()) {
    w.stride = {v[0], v[1]};
  }
  if (const auto v = int_list(keys, "pads", 4, 0, 1024, path); !v.empty()) {
    w.pad_begin = {v[0], v[1]};
    w.pad_end = {v[2], v[3]};
  }
  if (const auto v = int_list(keys, "dilations", 2, 1, 1024, path); !v.empty()) {
    w.dilation = {v[0], v[1]};
  }
  const bool ceil = keys.value("ceil_mode", false);
  std::array<std::size_t, 2> out{};
  for (std::size_t a = 0; a < 2; ++a) {
    const std::size_t padded = s[1 + a] + w.pad_begin[a] + w.pad_end[a];
    if (w.extent(a) > padded) {
      throw ConfigError(kit::join_path(path, "kernel"),
                        fmt::format("the window ({}x{}, dilation {}x{}) is larger than the padded "
                                    "input {}x{} (input {})",
                                    w.kernel[0], w.kernel[1], w.dilation[0], w.dilation[1],
                                    s[1] + w.pad_begin[0] + w.pad_end[0],
                                    s[2] + w.pad_begin[1] + w.pad_end[1], shape_text(s)));
    }
    const std::size_t span = padded - w.extent(a);
    out[a] = (ceil ? (span + w.stride[a] - 1) / w.stride[a] : span / w.stride[a]) + 1;
    // As PyTorch and ONNX Runtime: a last window must start inside the
    // input or its leading padding.
    if (ceil && (out[a] - 1) * w.stride[a] >= s[1 + a] + w.pad_begin[a]) --out[a];
  }
  return out;
}

double taps_inside(const Window& w, std::size_t axis, std::size_t n, std::size_t out) {
  double sum = 0;
  for (std::size_t o = 0; o < out; ++o) {
    for (std::size_t k = 0; k < w.kernel[axis]; ++k) {
      const auto pos = static_cast<long long>(o * w.stride[axis] + k * w.dilation[axis]) -
                       static_cast<long long>(w.pad_begin[axis]);
      if (pos >= 0 && pos < static_cast<long long>(n)) sum += 1;
    }
  }
  return sum;
}

}  // namespace xbarsim::nn
