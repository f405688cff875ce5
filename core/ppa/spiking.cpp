// A spiking chip in the performance model (the config's "snn" node): the
// network as the SNN of its conversion, each matrix layer on its spike tile,
// the spike rates of what each layer reads and fires.
#include <fmt/format.h>

#include <stdexcept>

#include "core/kit/error.h"
#include "core/nn/snn/spike_tile.h"
#include "core/ppa/performance.h"

namespace xbarsim::ppa {

void Accelerator::plan_snn(const nn::Network& net, const kit::Registry& registry) {
  const SnnChipSpec& s = *hw_.snn;
  const nn::SnnPlan plan = s.check(net, "snn");
  const std::size_t n = net.layers.size();
  if (layers_.size() == 0) layers_ = nn::LayerHardware(layers_.base(), n);
  if (layers_.size() != n) {
    throw std::logic_error("Accelerator: the layer hardware was parsed for another network");
  }
  snn_.assign(n, SnnLayerRate{});
  // The rate each layer's output carries: a population's own, passed on by
  // reshapes; a gate's own (max pooling passes the most active input's
  // spikes of each window: more than its input's rate, which is its default);
  // 0 for currents.
  std::vector<double> out_rate(n, 0.0);
  std::vector<bool> out_signed(n, false);  // signed spikes (the rate-coded input's, passed on)
  const double input_rate = s.coding == nn::SpikeCoding::kRate ? s.input_rate : 0.0;
  const auto rate_from = [&](std::size_t src) {
    return src == nn::kNetworkInput ? input_rate : out_rate[src];
  };
  const auto signed_from = [&](std::size_t src) {
    return src == nn::kNetworkInput ? s.coding == nn::SpikeCoding::kRate && s.signed_input
                                    : static_cast<bool>(out_signed[src]);
  };
  nn::SnnPlan signs = plan;
  for (std::size_t i = 0; i < n; ++i) {
    const nn::Layer& l = net.layers[i];
    SnnLayerRate& r = snn_[i];
    r.role = plan.layers[i].role;
    r.readout = i == plan.readout;
    switch (r.role) {
      case nn::SnnRole::kMatrix:
        if (layers_.digital(i)) {
          throw kit::ConfigError(
              "snn", fmt::format("layer \"{}\" is set digital (layers); a spiking chip reads "
                                 "every crossbar layer on its crossbars",
                                 l.name));
        }
        r.reads_spikes = plan.layers[i].reads_spikes;
        r.signed_spikes = r.reads_spikes && signed_from(l.input());
        r.rate = r.reads_spikes ? rate_from(l.input()) : 0.0;
        signs.layers[i].signed_spikes = r.signed_spikes;
        break;
      case nn::SnnRole::kNeurons:
        // A pooling population fires at its window's mean rate: its input's.
        r.pools = plan.layers[i].pools;
        r.rate = s.rate_of(l.name, r.pools ? rate_from(l.input()) : s.rate);
        break;
      case nn::SnnRole::kGate:
        r.rate = s.rate_of(l.name, rate_from(l.input()));
        out_signed[i] = signed_from(l.input());
        break;
      case nn::SnnRole::kPass:
        // A relu reading spikes passes the positive ones only.
        r.rate = rate_from(l.input());
        out_signed[i] = l.type != "relu" && signed_from(l.input());
        break;
      default:
        break;
    }
    out_rate[i] = r.role == nn::SnnRole::kMatrix ? 0.0 : r.rate;
    if (r.role == nn::SnnRole::kNeurons || r.readout) {
      snn_neurons_ += static_cast<double>(l.out_elements());
    }
  }
  const auto neuron = registry.build<peripherals::Neuron>("neuron", s.neuron);
  neuron_cost_ = neuron->cost(layers_.base().node_nm);
  layers_ = nn::spiking_hardware(layers_, net, signs, neuron->reads_adc(), registry);
}

kit::Json Accelerator::snn_json(const nn::Network& net) const {
  const SnnChipSpec& s = *hw_.snn;
  kit::Json layers = kit::Json::array();
  for (std::size_t i = 0; i < snn_.size(); ++i) {
    const SnnLayerRate& r = snn_[i];
    const nn::Layer& l = net.layers[i];
    if (r.role == nn::SnnRole::kMatrix) {
      layers.push_back({{"layer", l.name},
                        {"reads", r.reads_spikes ? "spikes" : "the analog input"},
                        {"input_rate_per_step", r.rate}});
    } else if (r.role == nn::SnnRole::kNeurons) {
      layers.push_back(
          {{"layer", l.name}, {"neurons", l.out_elements()}, {"rate_per_step", r.rate}});
    } else if (r.role == nn::SnnRole::kGate) {
      layers.push_back({{"layer", l.name}, {"gate", l.type}, {"rate_per_step", r.rate}});
    }
  }
  return {{"steps", s.steps},
          {"coding", s.coding == nn::SpikeCoding::kRate ? "rate" : "direct"},
          {"neuron", s.neuron},
          {"neurons", snn_neurons_},
          {"layers", layers},
          {"note",
           "static estimate at the configured spike rates (snn.rate, snn.layer_rates, "
           "snn.input_rate; evaluation.snn measures them): each step every crossbar layer "
           "reads its input, a driven row per spike (1-bit pulses), every neuron integrates "
           "and the readout accumulates; counts, energy and latency are per inference of "
           "snn.steps steps; TOPS count the network's MACs once per inference"}};
}

}  // namespace xbarsim::ppa
