#include "core/nn/snn/spec.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/kit/error.h"

namespace xbarsim::nn {

namespace {
constexpr std::size_t kMaxSteps = 1 << 16;
}

std::vector<kit::ParamInfo> SnnSpec::params() {
  using namespace kit;
  return {
      number_list_param("steps", {8, 16, 32, 64, 128}, "",
                        "time steps T at which accuracy and energy are reported, ascending; the "
                        "run lasts the last"),
      choice_param("coding", "rate", {"rate", "direct"},
                   "input coding: rate (a spike with probability |x|/x_max each step) or direct "
                   "(the analog input every step through the first layer's DAC; spikes after)"),
      number_param("threshold_percentile", 99.9, "%",
                   "each neuron layer's threshold: this percentile of its ReLU's positive "
                   "outputs on the calibration samples (Rueckauer et al. 2017)",
                   50.0, 100.0),
      bool_param("gain_calibration", true,
                 "divide each crossbar layer's output by its gain on the calibration spikes "
                 "(the tiles against the float product: line resistance and conductance "
                 "errors shrink currents, which an SNN's fixed thresholds turn into lost "
                 "spikes)"),
      int_param("trials", 1, 1, 10000, "Monte Carlo device draws (each reprograms every tile)"),
      number_list_param("times_s", {1.0}, "s", "read times after programming (drift)"),
      int_param("seed", 1, 0, std::numeric_limits<std::int32_t>::max(),
                "the rate coding's spike draws"),
  };
}

SnnSpec SnnSpec::parse(const kit::Json& node, const kit::Registry& registry,
                       const std::string& path) {
  if (!node.is_object()) throw kit::ConfigError(path, "expected an object");
  static const std::vector<std::string> nested = {"neuron"};
  SnnSpec s;
  s.resolved = kit::resolve_params(node, path, params(), nested);
  const kit::Json& r = s.resolved;
  const auto steps = r.at("steps").get<std::vector<double>>();
  if (steps.empty()) throw kit::ConfigError(path + ".steps", "give at least one number of steps");
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const double t = steps[k];
    const std::string at = fmt::format("{}.steps[{}]", path, k);
    if (!(t >= 1) || t != std::floor(t) || t > static_cast<double>(kMaxSteps)) {
      throw kit::ConfigError(at, fmt::format("{:g} is not a number of time steps: give a whole "
                                             "number from 1 to {}",
                                             t, kMaxSteps));
    }
    if (k > 0 && t <= steps[k - 1]) {
      throw kit::ConfigError(at, "steps must be ascending (each a checkpoint of one run)");
    }
    s.steps.push_back(static_cast<std::size_t>(t));
  }
  s.coding =
      r.at("coding").get<std::string>() == "direct" ? SpikeCoding::kDirect : SpikeCoding::kRate;
  s.threshold_percentile = r.at("threshold_percentile").get<double>();
  s.gain_calibration = r.at("gain_calibration").get<bool>();
  s.neuron = registry.resolve("neuron", node.value("neuron", kit::Json::object()),
                              kit::join_path(path, "neuron"));
  s.resolved["neuron"] = s.neuron;
  s.trials = r.at("trials").get<std::size_t>();
  s.times_s = r.at("times_s").get<std::vector<double>>();
  if (s.times_s.empty()) throw kit::ConfigError(path + ".times_s", "give at least one read time");
  for (std::size_t k = 0; k < s.times_s.size(); ++k) {
    if (!(s.times_s[k] >= 0) || !std::isfinite(s.times_s[k])) {
      throw kit::ConfigError(fmt::format("{}.times_s[{}]", path, k),
                             "must be a finite time >= 0 s");
    }
  }
  s.seed = r.at("seed").get<std::uint64_t>();
  return s;
}

}  // namespace xbarsim::nn
