#pragma once
// One layer of a network graph, and the table of layer kinds.
//
// Every layer kind lives in one file of this folder and implements
// LayerKind: its JSON keys, its shape rule (build), its float forward pass,
// its backward pass for the trainer, what it costs on the tile's digital
// units, and whether it keeps its input's sign. The matrix kinds (conv2d,
// linear) are the ones mapped onto crossbars; their products come from a
// callback (ProductFn), so the float reference, the tiles and the trainer run
// the same code around them. Adding a kind is one file and one line in
// kinds.cpp.
//
// Shapes are per sample: [C, H, W] feature maps, [N] features, or [S, N]
// (a sequence of S tokens, which a linear layer maps token by token) and
// any rank the layout kinds (transpose, matmul) give; activations are batch x
// elements, row-major, each sample's elements in C order.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "peripherals/dac.h"

namespace xbarsim::nn {

using peripherals::RowMatrixF;
using Shape = std::vector<std::size_t>;

// Per-sample feature-map elements and per-layer weights a network may have.
inline constexpr double kMaxFeatureElements = 2147483648.0;  // 2^31
inline constexpr double kMaxWeights = 68719476736.0;         // 2^36
// Layer::inputs entry for the network's input.
inline constexpr std::size_t kNetworkInput = std::numeric_limits<std::size_t>::max();

// A sliding window over [C, H, W] (conv2d, pooling), per axis (height, width).
struct Window {
  std::array<std::size_t, 2> kernel{1, 1}, stride{1, 1}, dilation{1, 1};
  std::array<std::size_t, 2> pad_begin{0, 0}, pad_end{0, 0};  // top/left, bottom/right
  // Kernel taps, and the span a dilated kernel covers, on one axis.
  std::size_t taps() const { return kernel[0] * kernel[1]; }
  std::size_t extent(std::size_t axis) const { return dilation[axis] * (kernel[axis] - 1) + 1; }
};

class LayerKind;

struct Layer {
  std::string name, type;
  const LayerKind* kind = nullptr;
  std::vector<std::size_t> inputs;  // layer indices, or kNetworkInput
  std::vector<Shape> in_shapes;     // of each input
  Shape out_shape;
  // Matrix layers (conv2d, linear) and windows (conv2d, pools, pad).
  std::size_t out_channels = 0, groups = 1;
  bool bias = false;
  Window window;
  // Kind-specific settings: activation constants (leaky_relu alpha, clip
  // bounds, hard_sigmoid slope and offset), avgpool's count_include_pad,
  // affine's per-channel scale and shift.
  double alpha = 0, beta = 0;
  bool count_include_pad = true;
  std::vector<float> scale, shift;
  std::vector<std::size_t> perm;  // transpose: output axis a is input axis perm[a]

  const Shape& in_shape() const { return in_shapes.front(); }
  std::size_t input() const { return inputs.front(); }
  bool matrix() const;
  // Matrix layers: each group's unrolled weight matrix (im2col for conv2d:
  // kernel taps · in_channels / groups rows, out_channels / groups columns;
  // the groups side by side give rows() x cols()), and the input vectors it
  // reads per inference (one per output pixel, or per token of an [S, N]
  // input).
  std::size_t rows() const;
  std::size_t cols() const { return out_channels; }
  std::size_t group_cols() const { return out_channels / groups; }
  std::size_t vectors() const;
  // Multiply-accumulates per inference: those with a real input operand, and
  // those including the padded zeros a crossbar also reads.
  double macs() const;
  double macs_padded() const;
  std::size_t out_elements() const;
  std::size_t in_elements() const;
};

// The matrix product of layer `layer` for its input vectors (batch·P x
// groups·rows()): batch·P x cols(), group g's columns from its own rows.
using ProductFn = std::function<RowMatrixF(std::size_t layer, const RowMatrixF& vectors)>;

// What a kind's forward pass gets besides its inputs.
struct ForwardContext {
  std::size_t index = 0;                     // the layer's index in the network
  const Eigen::RowVectorXf* bias = nullptr;  // matrix layers: the bias (empty: none)
  const ProductFn* product = nullptr;        // matrix layers
};

// What the trainer keeps from a layer's forward pass for its backward pass.
struct Saved {
  RowMatrixF vectors;                // matrix layers: the im2col vectors
  std::vector<std::int32_t> argmax;  // max pooling: each output's input index
};

// What a kind's backward pass gets and gives: the gradient of the output,
// the matrix layers' weights as used forward, and the weight gradients.
struct BackwardContext {
  const RowMatrixF* weights = nullptr;   // matrix layers (as used in the forward pass)
  RowMatrixF* grad_w = nullptr;          // matrix layers: d loss / d W
  Eigen::RowVectorXf* grad_b = nullptr;  // matrix layers with a bias
  bool need_input_grad = true;           // false when the input is the network's
  // In-situ training (ungrouped matrix layers): the input vectors' gradient
  // g·Wᵀ read through the hardware instead of computed from `weights`, and
  // where the output vectors' gradient g (vectors x cols) goes.
  const std::function<RowMatrixF(const RowMatrixF&)>* transposed = nullptr;
  RowMatrixF* vector_grads = nullptr;
};

// Work a layer does on the tile's digital units per inference.
struct DigitalWork {
  double compares = 0;          // comparisons (ReLU, max pooling)
  double adds = 0;              // additions at the activation width (avg pooling, residual adds)
  double multiplies = 0;        // multiplications at the activation width (scales, gates)
  double lane_ops = 0;          // operations the lanes issue (sets the digital latency)
  double operand_elements = 0;  // elements of further operands fetched from the global buffer
  double macs = 0;              // multiply-accumulates of two activations (in adds and multiplies)
};

class LayerKind {
 public:
  virtual ~LayerKind() = default;
  virtual std::string_view type() const = 0;
  virtual std::string doc() const = 0;
  // The kind's own JSON keys (name and input are every layer's).
  virtual std::vector<kit::ParamInfo> params() const { return {}; }
  // Inputs the kind reads: min and max (a merge reads two or more).
  virtual std::size_t min_inputs() const { return 1; }
  virtual std::size_t max_inputs() const { return 1; }
  virtual bool matrix() const { return false; }
  // Whether backward() is implemented (the built-in trainer can train it).
  virtual bool trainable() const { return true; }
  // Sets the layer's settings and out_shape from its resolved keys and input
  // shapes; throws ConfigError at `path` (the layer's JSON path).
  virtual void build(Layer& l, const kit::Json& keys, const std::string& path) const = 0;
  // Checks against the layers before it (all of `earlier` is built).
  virtual void check_graph(const Layer&, std::span<const Layer> /*earlier*/,
                           const std::string& /*path*/) const {}
  // The float forward pass of a batch; saved (the trainer's) may be null.
  virtual RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in,
                             const ForwardContext& ctx, Saved* saved) const = 0;
  // Gradients of the inputs from the output's gradient g (one per input;
  // empty ones for inputs that need none). Kinds the trainer cannot train
  // throw.
  virtual std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const> in,
                                           const RowMatrixF& g, const Saved& saved,
                                           const BackwardContext& ctx) const;
  virtual DigitalWork digital_work(const Layer& l) const;
  // Whether the output is >= 0 when the inputs' signs are as given.
  virtual bool nonnegative(const Layer& l, const std::vector<bool>& inputs) const;
};

// v · W of a matrix layer in float, group by group.
RowMatrixF grouped_product(const Layer& l, const RowMatrixF& v, const RowMatrixF& w);

// The kind of a type name, or null; every kind in table order.
const LayerKind* find_layer_kind(std::string_view type);
const std::vector<const LayerKind*>& layer_kinds();

// "[C, H, W]" as the config writes it.
std::string shape_text(const Shape& s);
std::size_t elements(const Shape& s);

}  // namespace xbarsim::nn
