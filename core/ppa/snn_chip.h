#pragma once
// The spiking chip (the config's top-level "snn" node): the network runs as
// the SNN of its conversion (core/nn/snn/convert.h) for `steps` time steps,
// and the performance model prices it statically from spike rates (per
// neuron per step) instead of from a functional run:
//
//   "snn": {"steps": 5, "coding": "rate", "rate": 0.1, "input_rate": 0.2,
//           "layer_rates": {"relu2": 0.05}, "neuron": {"impl": "digital_lif"}}
//
// (docs/snn.md, "The spiking chip"). Every matrix layer reading spikes
// drives its rows with 1-bit pulses (nn::spike_tile), a driven row per
// spike; every neuron steps each time step.
//
// `rate` is every neuron population's, `layer_rates` a population's own (by
// the name of its relu layer) or a max-pooling gate's (default: its input's),
// `input_rate` the rate-coded input's (default: `rate`). The functional run
// (evaluation.snn) measures them: its report's accuracy.snn.spikes gives
// rate_per_step per population and gate, and the input's spikes.
//
// Contract: parse() validates the node before work; check() refuses a
// network the converter cannot map and layer_rates naming no population,
// at the JSON path.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/registry.h"
#include "core/nn/network.h"
#include "core/nn/snn/convert.h"
#include "core/nn/snn/spec.h"

namespace xbarsim::ppa {

struct SnnChipSpec {
  std::size_t steps = 1;
  nn::SpikeCoding coding = nn::SpikeCoding::kRate;
  double rate = 0, input_rate = 0;
  bool signed_input = false;  // rate coding: negative inputs send -1 spikes (ternary rows)
  std::map<std::string, double> layer_rates;  // relu or maxpool name -> its spikes' rate
  kit::Json neuron;                           // resolved "neuron" node
  kit::Json resolved;

  static std::vector<kit::ParamInfo> params();
  static SnnChipSpec parse(const kit::Json& node, const kit::Registry& registry,
                           const std::string& path);
  // The conversion's roles of net's layers (after the checks).
  nn::SnnPlan check(const nn::Network& net, const std::string& path) const;
  // The spike rate layer_rates gives `layer` (a population or a gate), else
  // `otherwise`.
  double rate_of(const std::string& layer, double otherwise) const;
};

}  // namespace xbarsim::ppa
