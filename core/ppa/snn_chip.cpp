#include "core/ppa/snn_chip.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/kit/error.h"
#include "core/nn/snn/convert.h"

namespace xbarsim::ppa {

namespace {

kit::ParamInfo required(kit::ParamInfo p) {
  p.default_value = nullptr;
  return p;
}

// The node's values (its nested nodes are parsed on their own).
std::vector<kit::ParamInfo> value_params() {
  using namespace kit;
  return {
      int_param("steps", 1, 1, 1 << 16, "time steps T per inference"),
      choice_param("coding", "rate", {"rate", "direct"},
                   "input coding: rate (input spikes at input_rate) or direct (the analog input "
                   "every step through the first layer's DAC)"),
      required(number_param("rate", 0, "",
                            "spikes per neuron per step of every neuron population (measure it: "
                            "evaluation.snn reports rate_per_step per layer)",
                            0.0, 1.0)),
      number_param("input_rate", -1, "",
                   "spikes per input per step of the rate-coded input (-1: rate)", -1.0, 1.0),
      bool_param("signed_input", false,
                 "rate coding: negative inputs send -1 spikes (ternary row pulses; evaluation.snn "
                 "finds it from the data)"),
  };
}

}  // namespace

std::vector<kit::ParamInfo> SnnChipSpec::params() {
  using namespace kit;
  std::vector<ParamInfo> all = value_params();
  all.insert(
      all.end(),
      {
          object_param("layer_rates", "{} (every population at rate)",
                       "{layer name: spikes per element per step} of single neuron populations "
                       "(relus) and gates (max pooling: default, its input's rate)"),
          object_param("neuron", "{\"impl\": \"digital_lif\"}",
                       "the neurons (component \"neuron\")"),
      });
  return all;
}

SnnChipSpec SnnChipSpec::parse(const kit::Json& node, const kit::Registry& registry,
                               const std::string& path) {
  if (!node.is_object()) throw kit::ConfigError(path, "expected an object");
  static const std::vector<std::string> nested = {"neuron", "layer_rates"};
  SnnChipSpec s;
  s.resolved = kit::resolve_params(node, path, value_params(), nested);
  const kit::Json& r = s.resolved;
  s.steps = r.at("steps").get<std::size_t>();
  s.coding = r.at("coding").get<std::string>() == "direct" ? nn::SpikeCoding::kDirect
                                                           : nn::SpikeCoding::kRate;
  s.signed_input = r.at("signed_input").get<bool>();
  s.rate = r.at("rate").get<double>();
  s.input_rate = r.at("input_rate").get<double>();
  if (s.input_rate < 0 && s.input_rate != -1.0) {
    throw kit::ConfigError(kit::join_path(path, "input_rate"),
                           "a spike rate per input per step is a number from 0 to 1 (or -1: "
                           "snn.rate), got " +
                               r.at("input_rate").dump());
  }
  if (s.input_rate < 0) s.input_rate = s.rate;
  s.resolved["input_rate"] = s.input_rate;
  const kit::Json rates = node.value("layer_rates", kit::Json::object());
  const std::string at = kit::join_path(path, "layer_rates");
  if (!rates.is_object()) throw kit::ConfigError(at, "expected {\"relu layer name\": rate}");
  for (const auto& [name, v] : rates.items()) {
    const std::string p = kit::join_path(at, name);
    if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= 1)) {
      throw kit::ConfigError(
          p, "a spike rate per neuron per step is a number from 0 to 1, got " + v.dump());
    }
    s.layer_rates[name] = v.get<double>();
  }
  s.resolved["layer_rates"] = rates;
  s.neuron = registry.resolve("neuron", node.value("neuron", kit::Json::object()),
                              kit::join_path(path, "neuron"));
  s.resolved["neuron"] = s.neuron;
  return s;
}

nn::SnnPlan SnnChipSpec::check(const nn::Network& net, const std::string& path) const {
  const nn::SnnPlan plan = nn::snn_roles(net, coding);
  std::vector<std::string> populations;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const nn::SnnRole r = plan.layers[i].role;
    if (r == nn::SnnRole::kNeurons || r == nn::SnnRole::kGate) {
      populations.push_back(net.layers[i].name);
    }
  }
  for (const auto& [name, r] : layer_rates) {
    if (std::find(populations.begin(), populations.end(), name) == populations.end()) {
      throw kit::ConfigError(
          kit::join_path(kit::join_path(path, "layer_rates"), name),
          fmt::format("\"{}\" is not a neuron population or a gate of network \"{}\"; its "
                      "populations (the relus after a crossbar layer, average poolings of "
                      "spikes) and gates (max pooling) are: {}",
                      name, net.name, fmt::join(populations, ", ")));
    }
  }
  return plan;
}

double SnnChipSpec::rate_of(const std::string& layer, double otherwise) const {
  const auto it = layer_rates.find(layer);
  return it == layer_rates.end() ? otherwise : it->second;
}

}  // namespace xbarsim::ppa
