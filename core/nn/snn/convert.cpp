#include "core/nn/snn/convert.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"
#include "core/nn/forward.h"

namespace xbarsim::nn {

namespace {

enum class Signal { kSpikes, kCurrent, kAnalog };

std::string where(std::size_t i) { return fmt::format("network.layers[{}]", i); }

[[noreturn]] void refuse(const Network& net, std::size_t i, const std::string& why) {
  const Layer& l = net.layers[i];
  throw kit::ConfigError(where(i),
                         fmt::format("layer \"{}\" ({}) cannot be converted to spiking neurons "
                                     "(evaluation.snn, snn): {}",
                                     l.name, l.type, why));
}

bool is_any(std::string_view t, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), t) != names.end();
}

// The p-th percentile of the positive entries of y (0 if none).
float positive_percentile(const RowMatrixF& y, double p) {
  std::vector<float> v;
  v.reserve(static_cast<std::size_t>(y.size()));
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    if (y.data()[k] > 0) v.push_back(y.data()[k]);
  }
  if (v.empty()) return 0;
  const auto at = static_cast<std::size_t>(
      std::min<double>(static_cast<double>(v.size() - 1),
                       std::ceil(p / 100.0 * static_cast<double>(v.size())) - 1.0));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
  return v[at];
}

}  // namespace

SnnPlan snn_roles(const Network& net, SpikeCoding coding) {
  const std::size_t n = net.layers.size();
  SnnPlan plan;
  plan.layers.resize(n);
  std::vector<Signal> out(n);
  const Signal input = coding == SpikeCoding::kRate ? Signal::kSpikes : Signal::kAnalog;
  for (std::size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    const std::string_view t = l.type;
    SnnLayer& s = plan.layers[i];
    std::vector<Signal> in;
    for (const auto src : l.inputs) in.push_back(src == kNetworkInput ? input : out[src]);
    const bool last = i + 1 == n;
    if (l.matrix()) {
      if (in[0] == Signal::kCurrent) {
        const std::size_t src = l.input();
        refuse(net, i,
               fmt::format("its crossbar rows would read currents from layer \"{}\" ({}), but "
                           "they take spikes: put a relu between them",
                           net.layers[src].name, net.layers[src].type));
      }
      s.role = SnnRole::kMatrix;
      s.reads_spikes = in[0] == Signal::kSpikes;
      out[i] = Signal::kCurrent;
    } else if (t == "relu") {
      if (in[0] == Signal::kAnalog) refuse(net, i, "it reads the analog input (direct coding)");
      s.role = in[0] == Signal::kCurrent ? SnnRole::kNeurons : SnnRole::kPass;
      out[i] = Signal::kSpikes;
    } else if (t == "maxpool") {
      if (in[0] != Signal::kSpikes) {
        refuse(net, i,
               "max pooling is converted by spike gating and must read spikes: put it "
               "after the relu");
      }
      s.role = SnnRole::kGate;
      out[i] = Signal::kSpikes;
    } else if (is_any(t, {"flatten", "reshape", "pad", "transpose"})) {
      s.role = SnnRole::kPass;
      out[i] = in[0];
    } else if (is_any(t, {"avgpool", "global_avgpool"}) && in[0] == Signal::kSpikes) {
      s.role = SnnRole::kNeurons;
      s.pools = true;
      out[i] = Signal::kSpikes;
    } else if (is_any(t, {"add", "affine", "batchnorm", "avgpool", "global_avgpool"})) {
      s.role = SnnRole::kLinear;
      out[i] = Signal::kCurrent;
    } else if (last && is_any(t, {"softmax", "log_softmax"})) {
      s.role = SnnRole::kReadout;
      out[i] = in[0];
    } else {
      refuse(net, i,
             last ? "the converter maps relu networks; give a softmax, log_softmax or a matrix "
                    "layer last"
                  : "the converter maps relu activations, max pooling, linear layers and "
                    "reshapes only");
    }
  }
  plan.readout = plan.layers.back().role == SnnRole::kReadout ? net.layers.back().input() : n - 1;
  if (plan.readout == kNetworkInput) refuse(net, n - 1, "it reads the network's input");
  return plan;
}

SnnPlan convert_to_snn(const Network& net, const Weights& w, const RowMatrixF& x,
                       const SnnSpec& spec) {
  SnnPlan plan = snn_roles(net, spec.coding);
  const std::size_t n = net.layers.size();
  // The float network on the calibration samples, every layer's output kept.
  const std::vector<RowMatrixF> outs = forward_all(net, w, x, float_product(net, w));
  // Input: the percentile of |x| fires every step.
  if (spec.coding == SpikeCoding::kRate) {
    plan.input_scale = positive_percentile(x.cwiseAbs(), spec.threshold_percentile);
    plan.signed_input = x.size() > 0 && x.minCoeff() < 0;
    if (!(plan.input_scale > 0)) plan.input_scale = 1;
  }
  // Spike scales along the graph: each neuron layer's own, passed on by
  // gates and reshapes; a matrix layer takes its input's.
  std::vector<float> scale(n, 0.0f);
  std::vector<bool> signed_spikes(n, false);
  const auto src_scale = [&](std::size_t src) {
    return src == kNetworkInput ? (spec.coding == SpikeCoding::kRate ? plan.input_scale : 0.0f)
                                : scale[src];
  };
  const auto src_signed = [&](std::size_t src) {
    return src == kNetworkInput ? plan.signed_input : signed_spikes[src];
  };
  for (std::size_t i = 0; i < n; ++i) {
    SnnLayer& s = plan.layers[i];
    const Layer& l = net.layers[i];
    switch (s.role) {
      case SnnRole::kMatrix:
        s.scale = src_scale(l.input());
        s.signed_spikes = src_signed(l.input());
        break;
      case SnnRole::kNeurons: {
        if (s.pools) {
          // The mean of spikes of scale λ, in λ's units: fires at the mean rate.
          s.scale = src_scale(l.input());
          if (src_signed(l.input())) {
            plan.warnings.push_back(fmt::format(
                "layer \"{}\" ({}): it pools signed spikes, and its neurons fire only for a "
                "positive mean",
                l.name, where(i)));
          }
          scale[i] = s.scale;
          break;
        }
        s.scale = positive_percentile(outs[i], spec.threshold_percentile);
        if (!(s.scale > 0)) {
          plan.warnings.push_back(fmt::format(
              "layer \"{}\" ({}): its ReLU is never positive on the calibration samples, so its "
              "neurons get threshold 1 and may never fire",
              l.name, where(i)));
          s.scale = 1;
        }
        scale[i] = s.scale;
        break;
      }
      case SnnRole::kGate:
      case SnnRole::kPass:
        scale[i] = src_scale(l.input());
        signed_spikes[i] = l.type != "relu" && src_signed(l.input());
        break;
      default:
        break;
    }
  }
  return plan;
}

}  // namespace xbarsim::nn
