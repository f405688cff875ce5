#pragma once
// `xbarsim sensitivity`: which matrix layers need the configured hardware and
// which can live with less, measured on the evaluation data.
//
// For each matrix layer (not those set digital): the accuracy with only that
// layer nonideal (every other layer ideal) and with every layer nonideal but
// that one, beside its share of the energy and area of the configured chip.
// "Ideal" turns off the chosen effects in a layer's tile through the
// "layers" overrides (nn::LayerHardware):
//
//   adc     adc impl "ideal" (no quantization, no errors)
//   dac     dac impl "ideal"
//   device  an ideal device over the same window and levels, no read noise
//   wires   solver "ideal" (no line resistance)
//
// Accuracy is the mean over evaluation.trials device draws and over the
// evaluation.times_s reads (with drift compensation). Every layer's draws
// come from the same streams in every configuration (keyed by layer and
// block), so the comparisons are paired.
//
// Suggestion (when ADC precisions are given): starting from the configured
// chip, greedily lower one layer's ADC to the next precision in the list,
// each step taking the change that saves the most energy among those whose
// measured accuracy stays within max_drop of the configured chip's; a layer
// whose next precision failed is not tried again. Beside it, every uniform
// setting (all layers at one precision) measured the same way, and the best
// of them that meets the same target.
//
// Contract: every check of `xbarsim run` runs first (the config must have a
// network and an evaluation); deterministic for a seed whatever the thread
// count.
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/registry.h"

namespace xbarsim::jobs {

struct SensitivitySpec {
  std::vector<std::string> effects = {"adc", "dac", "device", "wires"};
  std::vector<int> adc_bits;  // precisions the suggestion may give a layer (empty: none)
  double max_drop = 0.01;     // accuracy the suggestion may lose (fraction, 0.01 = 1 point)

  static const std::vector<std::string>& known_effects();
  // Checks the effects (known, no repeats), the precisions (2 to 16 bits)
  // and max_drop (0 to 1): InputError naming the option.
  void check() const;
};

// What the study needs of a config beyond `run`'s checks: a network and an
// evaluation, without an SNN node (it studies the ANN); ConfigError at the path.
void check_sensitivity_config(const kit::Json& config);

kit::Json run_sensitivity(const kit::Json& config, const SensitivitySpec& spec,
                          const kit::Registry& registry, bool progress);

}  // namespace xbarsim::jobs
