// The table of layer kinds, and what every layer and kind shares.
#include "core/nn/layers/kinds.h"

#include <fmt/format.h>

#include "core/kit/error.h"
#include "core/nn/layers/window.h"

namespace xbarsim::nn {

const std::vector<const LayerKind*>& layer_kinds() {
  // Stateless singletons, in the order `config schema` lists them.
  static const std::vector<const LayerKind*> table = {&conv2d_kind(),
                                                      &linear_kind(),
                                                      &activation_kind("relu"),
                                                      &activation_kind("sigmoid"),
                                                      &activation_kind("tanh"),
                                                      &activation_kind("gelu"),
                                                      &activation_kind("leaky_relu"),
                                                      &activation_kind("clip"),
                                                      &activation_kind("hard_sigmoid"),
                                                      &activation_kind("hard_swish"),
                                                      &pool_kind("maxpool"),
                                                      &pool_kind("avgpool"),
                                                      &global_avgpool_kind(),
                                                      &flatten_kind(),
                                                      &reshape_kind(),
                                                      &merge_kind("add"),
                                                      &merge_kind("mul"),
                                                      &concat_kind(),
                                                      &batchnorm_kind(),
                                                      &affine_kind(),
                                                      &pad_kind(),
                                                      &softmax_kind("softmax"),
                                                      &softmax_kind("log_softmax"),
                                                      &transpose_kind(),
                                                      &matmul_kind()};
  return table;
}

const LayerKind* find_layer_kind(std::string_view type) {
  for (const LayerKind* k : layer_kinds()) {
    if (k->type() == type) return k;
  }
  return nullptr;
}

std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (std::size_t k = 0; k < s.size(); ++k) out += (k ? ", " : "") + std::to_string(s[k]);
  return out + "]";
}

std::size_t elements(const Shape& s) {
  std::size_t n = 1;
  for (const auto d : s) n *= d;
  return n;
}

bool Layer::matrix() const { return kind != nullptr && kind->matrix(); }

std::size_t Layer::rows() const {
  return in_shape().size() == 3 ? window.taps() * (in_shape()[0] / groups) : in_shape().back();
}
std::size_t Layer::vectors() const {
  if (out_shape.size() == 3) return out_shape[1] * out_shape[2];
  return out_shape.size() == 2 ? out_shape[0] : 1;
}
std::size_t Layer::out_elements() const { return elements(out_shape); }
std::size_t Layer::in_elements() const { return elements(in_shape()); }

double Layer::macs_padded() const {
  if (!matrix()) return 0.0;
  return static_cast<double>(rows()) * static_cast<double>(group_cols()) *
         static_cast<double>(groups) * static_cast<double>(vectors());
}

double Layer::macs() const {
  if (!matrix()) return 0.0;
  if (in_shape().size() != 3) return macs_padded();
  // Kernel taps that land inside the input, summed over output positions;
  // separable in height and width.
  const Shape& s = in_shape();
  return taps_inside(window, 0, s[1], out_shape[1]) * taps_inside(window, 1, s[2], out_shape[2]) *
         static_cast<double>(s[0] / groups) * static_cast<double>(out_channels);
}

std::vector<RowMatrixF> LayerKind::backward(const Layer& l, std::span<const RowMatrixF* const>,
                                            const RowMatrixF&, const Saved&,
                                            const BackwardContext&) const {
  throw kit::ConfigError("network", fmt::format("the built-in trainer cannot train a {} layer "
                                                "(\"{}\"); train elsewhere and give the weights",
                                                l.type, l.name));
}

DigitalWork LayerKind::digital_work(const Layer&) const { return {}; }

bool LayerKind::nonnegative(const Layer&, const std::vector<bool>& inputs) const {
  for (const bool b : inputs) {
    if (!b) return false;
  }
  return true;
}

}  // namespace xbarsim::nn
