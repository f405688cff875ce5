#include "core/jobs/run.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "core/jobs/accuracy.h"
#include "core/jobs/snn.h"
#include "core/jobs/tile_job.h"
#include "core/nn/network.h"
#include "core/nn/train.h"
#include "core/ppa/hardware.h"
#include "core/ppa/performance.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::jobs {

namespace {

// "evaluation": null (e.g. --set evaluation=null on the default config)
// runs the estimate alone.
std::optional<AccuracySpec> evaluation(const kit::Json& config) {
  if (!config.contains("evaluation") || config.at("evaluation").is_null()) return std::nullopt;
  return AccuracySpec::parse(config.at("evaluation"), "evaluation");
}

// The path of the first number in a report that is not finite, or "".
std::string first_nonfinite(const kit::Json& v, const std::string& path) {
  if (v.is_number_float() && !std::isfinite(v.get<double>())) return path;
  if (v.is_object()) {
    for (const auto& [k, child] : v.items()) {
      const auto p = first_nonfinite(child, kit::join_path(path, k));
      if (!p.empty()) return p;
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      const auto p = first_nonfinite(v[i], path + "[" + std::to_string(i) + "]");
      if (!p.empty()) return p;
    }
  }
  return "";
}

// Published figures divide the simulated ones: they must be positive numbers.
void check_measured(const kit::Json& config) {
  if (!config.contains("measured")) return;
  const kit::Json& m = config.at("measured");
  if (!m.is_object()) throw kit::ConfigError("measured", "expected an object");
  for (const char* k : {"kind", "source", "scope"}) {
    if (m.contains(k) && !m.at(k).is_string()) {
      throw kit::ConfigError(std::string("measured.") + k,
                             "expected a string, got " + kit::type_name(m.at(k)));
    }
  }
  const auto positive = [](const kit::Json& v, const std::string& path) {
    if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>())) {
      throw kit::ConfigError(path, "a published figure must be a number > 0, got " + v.dump());
    }
  };
  if (m.contains("energy_pj")) positive(m.at("energy_pj"), "measured.energy_pj");
  if (m.contains("tops_per_w")) {
    const kit::Json& t = m.at("tops_per_w");
    if (t.is_array()) {
      for (std::size_t i = 0; i < t.size(); ++i) {
        const std::string p = "measured.tops_per_w[" + std::to_string(i) + "]";
        if (!t[i].is_object() || !t[i].contains("value")) {
          throw kit::ConfigError(p, "expected {\"input_bits\", \"output_bits\", \"value\"}");
        }
        positive(t[i].at("value"), p + ".value");
        for (const char* k : {"input_bits", "output_bits"}) {
          if (t[i].contains(k) && !t[i].at(k).is_number_integer()) {
            throw kit::ConfigError(p + "." + k, "expected an integer, got " + t[i].at(k).dump());
          }
        }
      }
    } else {
      positive(t, "measured.tops_per_w");
    }
  }
}

// A spiking chip (config "snn") evaluated: its accuracy is the SNN's, of the
// same neurons and coding.
void check_spiking_chip(const ppa::SnnChipSpec& chip, const kit::Json& config,
                        const kit::Registry& registry) {
  const kit::Json eval = config.value("evaluation", kit::Json());
  if (eval.is_null()) return;
  if (!eval.contains("snn")) {
    throw kit::ConfigError("evaluation.snn",
                           "missing: the chip is spiking (config \"snn\"), so its accuracy is "
                           "the SNN's; add evaluation.snn (docs/snn.md) or remove evaluation");
  }
  const nn::SnnSpec run = nn::SnnSpec::parse(eval.at("snn"), registry, "evaluation.snn");
  if (run.neuron != chip.neuron) {
    throw kit::ConfigError("evaluation.snn.neuron",
                           fmt::format("the evaluation's neurons {} are not the chip's snn.neuron "
                                       "{}; give both the same",
                                       run.neuron.dump(), chip.neuron.dump()));
  }
  if (run.coding != chip.coding) {
    throw kit::ConfigError("evaluation.snn.coding",
                           "the evaluation's input coding is not the chip's snn.coding");
  }
}

}  // namespace

// The architecture job on a network parsed and checked by prepare_job.
kit::Json run_architecture(const PreparedJob& job, const kit::Registry& registry, bool progress) {
  const kit::Json& config = job.config;
  const nn::Network& net = *job.network;
  const nn::LayerHardware& layers = *job.layers;
  const tile::TileSpec& tile = layers.base();
  const std::optional<AccuracySpec> eval = evaluation(config);
  const int in_bits = tile.dac.value("bits", 0), out_bits = tile.adc.value("bits", 0);
  const ppa::Accelerator acc(layers, *job.hw, net, registry);
  kit::Json report = {
      {"job", eval ? "architecture: network mapped onto the chip (static "
                     "estimate) and run on the evaluation data"
                   : "architecture: network mapped onto the chip (static estimate)"},
      {"config", job.resolved},
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
    report["accuracy"] = run_accuracy(layers, net, *eval, report["ppa"], registry, progress);
  }
  return report;
}

PreparedJob prepare_job(const kit::Json& config, const kit::Registry& registry) {
  PreparedJob job;
  job.config = config;
  tile::TileSpec tile = tile::TileSpec::parse(config, registry);
  job.warnings = tile.warnings;
  job.resolved = tile.resolved;
  if (!config.contains("network")) {
    if (config.contains("snn")) {
      throw kit::ConfigError("snn",
                             "a spiking chip prices a network: add \"network\" (a zoo name, an "
                             ".onnx path or a layer list), or remove snn");
    }
    job.resolved["evaluation"] = plan_tile_demo(config, tile).eval;
    return job;
  }
  job.hw = ppa::HardwareSpec::parse(config, registry);
  job.network = nn::Network::parse(config.at("network"), "network");
  const nn::Network& net = *job.network;
  job.layers = nn::LayerHardware::parse(config, std::move(tile), net, registry);
  const nn::LayerHardware& layers = *job.layers;
  for (const auto& [k, v] : job.hw->resolved.items()) job.resolved[k] = v;
  job.resolved["network"] = net.resolved;
  if (!layers.resolved().empty()) job.resolved["layers"] = layers.resolved();
  // The in_situ node (`xbarsim train`) is checked before the data files.
  if (config.contains("in_situ")) {
    job.in_situ = nn::InSituSpec::parse(config.at("in_situ"), registry, "in_situ");
    job.in_situ->check(net, "in_situ");
    job.resolved["in_situ"] = job.in_situ->resolved;
  }
  if (job.hw->snn) check_spiking_chip(*job.hw->snn, config, registry);
  if (const auto eval = evaluation(config)) {
    // A network trained in situ (`xbarsim train`) need not suit the float trainer.
    if (eval->weights.empty() && !net.weights && !config.contains("in_situ")) {
      nn::check_trainable(net, "network");
    }
    // The SNN node and the network's conversion are checked before the files.
    const kit::Json snn =
        eval->snn.is_null() ? kit::Json() : check_snn(eval->snn, net, registry).resolved;
    check_accuracy_inputs(layers, net, *eval);
    job.resolved["evaluation"] = eval->resolved;
    if (!snn.is_null()) job.resolved["evaluation"]["snn"] = snn;
  }
  check_measured(config);
  ppa::Accelerator(layers, *job.hw, net, registry).map(net);  // converts, fits on the chip
  return job;
}

kit::Json check_config(const kit::Json& config, const kit::Registry& registry,
                       std::vector<std::string>* warnings) {
  PreparedJob job = prepare_job(config, registry);
  if (warnings != nullptr) *warnings = job.warnings;
  return std::move(job.resolved);
}

kit::Json run_prepared(const PreparedJob& job, const kit::Registry& registry, bool progress) {
  kit::Json report =
      job.network ? run_architecture(job, registry, progress) : run_tile_demo(job.config, registry);
  std::vector<std::string> warnings = job.warnings;
  if (job.config.contains("in_situ")) {
    warnings.push_back(
        "in_situ: `xbarsim run` does not train on the devices; `xbarsim train` does "
        "(docs/in_situ.md)");
  }
  report["warnings"] = warnings;
  // No silent NaN or inf: a model pushed out of its range by extreme (but
  // valid) config values fails here, naming the number, not in a table.
  if (const auto path = first_nonfinite(report, ""); !path.empty()) {
    throw kit::InputError(fmt::format(
        "the report's {} is not finite: config values this extreme put the model out of its "
        "range (check the magnitudes of voltages, conductances, times and frequencies)",
        path));
  }
  return report;
}

kit::Json run_job(const kit::Json& config, const kit::Registry& registry, bool progress) {
  return run_prepared(prepare_job(config, registry), registry, progress);  // every check first
}

}  // namespace xbarsim::jobs
