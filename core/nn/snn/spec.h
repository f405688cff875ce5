#pragma once
// What an SNN evaluation runs (evaluation.snn): the trained network converted
// to integrate-and-fire neurons and read step by step on the same tiles.
//
//   "snn": {"steps": [8, 16, 32, 64], "coding": "rate",
//           "neuron": {"impl": "digital_lif"}, "threshold_percentile": 99.9,
//           "gain_calibration": true, "trials": 1, "times_s": [1]}
//
// Contract: parse() validates the node (unknown keys, ranges, steps
// ascending) before work and throws ConfigError naming the JSON path.
#include <cstddef>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/registry.h"

namespace xbarsim::nn {

// How the network's input becomes what the first layer reads each step:
// spikes drawn with probability |x|/x_max (rate), or the analog values
// themselves through the first layer's own DAC (direct; spikes after it).
enum class SpikeCoding { kRate, kDirect };

struct SnnSpec {
  std::vector<std::size_t> steps;  // checkpoints T, ascending; the run lasts the last
  SpikeCoding coding = SpikeCoding::kRate;
  double threshold_percentile = 99.9;
  bool gain_calibration = true;
  kit::Json neuron;  // resolved "neuron" node (registry component)
  std::size_t trials = 1;
  std::vector<double> times_s;
  std::uint64_t seed = 1;  // the rate coding's draws
  kit::Json resolved;

  static std::vector<kit::ParamInfo> params();
  static SnnSpec parse(const kit::Json& node, const kit::Registry& registry,
                       const std::string& path);
  std::size_t max_steps() const { return steps.back(); }
};

}  // namespace xbarsim::nn
