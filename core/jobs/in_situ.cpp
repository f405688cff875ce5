#include "core/jobs/in_situ.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/jobs/accuracy.h"
#include "core/jobs/in_situ_chip.h"
#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/nn/in_situ/in_situ.h"

namespace xbarsim::jobs {

kit::Json run_in_situ(const kit::Json& config, const kit::Registry& registry, bool progress) {
  if (!config.contains("network")) {
    throw kit::ConfigError("network", "in-situ training needs a network");
  }
  if (!config.contains("in_situ")) {
    throw kit::ConfigError("in_situ",
                           "missing: give the update law and rule, e.g. \"in_situ\": {\"update\": "
                           "{\"preset\": \"neurosim_ag_si\"}, \"scheme\": \"pulse_count\"} "
                           "(docs/in_situ.md)");
  }
  if (!config.contains("evaluation") || config.at("evaluation").is_null()) {
    throw kit::ConfigError("evaluation",
                           "in-situ training reads evaluation.dataset (training "
                           "and test images) and evaluation.test_samples");
  }
  if (config.at("evaluation").contains("snn")) {
    throw kit::ConfigError("evaluation.snn",
                           "in-situ training scores the network it trains as an ANN; remove "
                           "evaluation.snn (xbarsim run converts trained weights to an SNN)");
  }
  if (config.contains("snn")) {
    throw kit::ConfigError("snn",
                           "in-situ training runs on an ANN chip; remove the spiking chip's node "
                           "(xbarsim run prices the trained network on it)");
  }
  const PreparedJob job = prepare_job(config, registry);
  const nn::Network& net = *job.network;
  const AccuracySpec eval = AccuracySpec::parse(config.at("evaluation"), "evaluation");
  const nn::InSituSpec& spec = *job.in_situ;
  std::vector<std::string> warnings = job.warnings;
  if (spec.rule == nn::UpdateRule::kSign) {
    warnings.push_back(
        "in_situ.scheme \"sign\": each update is one device step; in_situ.learning_rate scales "
        "only the digital biases");
  }
  // The chip estimate prices the tile's converters; the training reads use
  // in_situ.forward's. Ideal converters would price quantized reads at 0.
  const tile::TileSpec& tile = job.layers->base();
  for (const auto& [node, bits, what] : {std::tuple{&tile.dac, spec.forward.inp_bits, "inputs"},
                                         std::tuple{&tile.adc, spec.forward.out_bits, "outputs"}}) {
    const std::string name = node == &tile.dac ? "dac" : "adc";
    if (node->value("impl", "ideal") == "ideal" && bits > 0) {
      warnings.push_back(fmt::format(
          "{}: \"ideal\" costs nothing in the chip estimate (the report's chip part), but "
          "in_situ.forward reads {}-bit {}: give the tile a {} (e.g. {}) to price them",
          name, bits, what, name,
          name == "dac" ? R"({"impl": "pwm", "bits": 7})" : R"({"impl": "sar", "bits": 9})"));
    }
  }
  const std::size_t classes = net.layers.back().out_shape.front();
  const std::size_t elements = nn::elements(net.input);
  const nn::Dataset train = nn::Dataset::load(eval.train_images, eval.train_labels, eval.pixels,
                                              elements, classes, 0, "evaluation.dataset.train");
  const nn::Dataset test =
      nn::Dataset::load(eval.test_images, eval.test_labels, eval.pixels, elements, classes,
                        eval.test_samples, "evaluation.dataset.test");
  const auto say = [&](std::size_t epoch, const kit::Json& e) {
    if (!progress) return;
    std::fprintf(stderr,
                 "xbarsim: in situ: epoch %zu/%zu: test %.2f %%, train %.2f %%, %.3g pulses, "
                 "%.3g uJ, %.1f s\n",
                 epoch, spec.epochs, 100 * e.at("test_accuracy").get<double>(),
                 100 * e.at("train_accuracy").get<double>(), e.at("pulses").get<double>(),
                 e.at("write_energy_pj").get<double>() * 1e-6, e.at("seconds").get<double>());
  };
  nn::InSituSpec run = spec;
  run.half_select = tile.array.cell == "1R";
  nn::InSituResult r = nn::train_in_situ(net, train, test, run, registry, say);
  kit::Json chip = training_chip_cost(job, r.report, registry);
  return {{"job", "in_situ: the network trained on its devices by programming pulses"},
          {"name", config.value("name", net.name)},
          {"network", net.name},
          {"config", job.resolved},
          {"in_situ", std::move(r.report)},
          {"chip", std::move(chip)},
          {"warnings", warnings}};
}

}  // namespace xbarsim::jobs
