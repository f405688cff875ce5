#include "core/arch/job.h"

#include <optional>

#include "core/arch/accuracy.h"
#include "core/arch/demo.h"
#include "core/arch/hardware.h"
#include "core/arch/network.h"
#include "core/arch/ppa.h"
#include "core/arch/tile_spec.h"
#include "core/arch/train.h"

namespace xbarsim::arch {

namespace {

// "evaluation": null (e.g. --set evaluation=null on the default config)
// runs the estimate alone.
std::optional<AccuracySpec> evaluation(const kit::Json& config) {
  if (!config.contains("evaluation") || config.at("evaluation").is_null()) return std::nullopt;
  return AccuracySpec::parse(config.at("evaluation"), "evaluation");
}

}  // namespace

kit::Json run_architecture(const kit::Json& config, const kit::Registry& registry, bool progress) {
  // Everything is parsed and checked before any estimate.
  const TileSpec tile = TileSpec::parse(config, registry);
  HardwareSpec hw = HardwareSpec::parse(config, registry);
  const Network net = Network::parse(config.at("network"), "network");
  const std::optional<AccuracySpec> eval = evaluation(config);
  kit::Json resolved = tile.resolved;
  for (const auto& [k, v] : hw.resolved.items()) resolved[k] = v;
  resolved["network"] = net.resolved;
  if (eval) resolved["evaluation"] = eval->resolved;
  const int in_bits = tile.dac.value("bits", 0), out_bits = tile.adc.value("bits", 0);
  const Accelerator acc(tile, std::move(hw), registry);
  kit::Json report = {
      {"job", eval ? "architecture: network mapped onto the chip (static "
                     "estimate) and run on the evaluation data"
                   : "architecture: network mapped onto the chip (static estimate)"},
      {"config", resolved},
      {"ppa", acc.estimate(net)}};
  if (config.contains("measured")) {
    // Published figures beside the simulated ones (at this config's
    // input/output bits when the figure depends on them).
    const kit::Json& m = config.at("measured");
    kit::Json cmp = {{"kind", m.value("kind", "measured")},
                     {"source", m.value("source", "")},
                     {"scope", m.value("scope", "")}};
    const double sim = report["ppa"]["totals"]["tops_per_w"].get<double>();
    if (m.contains("tops_per_w")) {
      const kit::Json& t = m.at("tops_per_w");
      std::optional<double> value;
      if (t.is_number()) value = t.get<double>();
      for (const auto& point : t.is_array() ? t : kit::Json::array()) {
        if (point.value("input_bits", -1) == in_bits &&
            point.value("output_bits", -1) == out_bits) {
          value = point.at("value").get<double>();
        }
      }
      if (value) {
        cmp["tops_per_w"] = {{"measured", *value}, {"simulated", sim}, {"ratio", sim / *value}};
      }
    }
    if (m.contains("energy_pj") && m.at("energy_pj").is_number()) {
      // Energy per inference, leakage included.
      const double e = m.at("energy_pj").get<double>();
      const double se = report["ppa"]["totals"]["energy_pj"]["total"].get<double>();
      cmp["energy_pj"] = {{"measured", e}, {"simulated", se}, {"ratio", se / e}};
    }
    report["measured"] = cmp;
  }
  if (eval) {
    report["accuracy"] = run_accuracy(config, tile, net, *eval, report["ppa"], registry, progress);
  }
  return report;
}

kit::Json check_config(const kit::Json& config, const kit::Registry& registry,
                       std::vector<std::string>* warnings) {
  TileSpec tile = TileSpec::parse(config, registry);
  if (warnings != nullptr) *warnings = tile.warnings;
  kit::Json resolved = tile.resolved;
  if (!config.contains("network")) {
    resolved["evaluation"] = plan_tile_demo(config, tile).eval;
    return resolved;
  }
  HardwareSpec hw = HardwareSpec::parse(config, registry);
  const Network net = Network::parse(config.at("network"), "network");
  for (const auto& [k, v] : hw.resolved.items()) resolved[k] = v;
  resolved["network"] = net.resolved;
  if (const auto eval = evaluation(config)) {
    if (eval->weights.empty()) check_trainable(net, "network");
    check_accuracy_inputs(tile, net, *eval);
    resolved["evaluation"] = eval->resolved;
  }
  Accelerator(std::move(tile), std::move(hw), registry).map(net);  // fits on the chip
  return resolved;
}

kit::Json run_job(const kit::Json& config, const kit::Registry& registry, bool progress) {
  std::vector<std::string> warnings;
  check_config(config, registry, &warnings);  // every check before any work
  kit::Json report = config.is_object() && config.contains("network")
                         ? run_architecture(config, registry, progress)
                         : run_tile_demo(config, registry);
  report["warnings"] = warnings;
  return report;
}

}  // namespace xbarsim::arch
