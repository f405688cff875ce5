#include "core/jobs/sensitivity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "core/jobs/accuracy.h"
#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/nn/forward.h"
#include "core/nn/layer_hardware.h"
#include "core/ppa/hardware.h"
#include "core/ppa/performance.h"

namespace xbarsim::jobs {

const std::vector<std::string>& SensitivitySpec::known_effects() {
  static const std::vector<std::string> effects = {"adc", "dac", "device", "wires"};
  return effects;
}

void SensitivitySpec::check() const {
  const auto& known = known_effects();
  if (effects.empty())
    throw kit::InputError("--effects: give at least one of adc,dac,device,wires");
  for (std::size_t i = 0; i < effects.size(); ++i) {
    if (std::find(known.begin(), known.end(), effects[i]) == known.end()) {
      throw kit::InputError(
          fmt::format("--effects: unknown effect \"{}\"; {}the effects are "
                      "adc, dac, device and wires",
                      effects[i], kit::did_you_mean(effects[i], known)));
    }
    if (std::find(effects.begin(), effects.begin() + static_cast<long>(i), effects[i]) !=
        effects.begin() + static_cast<long>(i)) {
      throw kit::InputError(fmt::format("--effects: \"{}\" is given twice", effects[i]));
    }
  }
  for (const int b : adc_bits) {
    if (b < 2 || b > 16) {
      throw kit::InputError(fmt::format("--adc-bits: {} bits is outside 2 to 16", b));
    }
  }
  if (!(max_drop >= 0 && max_drop <= 1)) {
    throw kit::InputError(fmt::format(
        "--max-drop: {:g} points is outside 0 to 100 (accuracy points the suggestion may lose)",
        100 * max_drop));
  }
}

namespace {

// One measured configuration: accuracy (mean over trials and times), the
// per-time means, and the chip's energy per inference.
struct Point {
  double accuracy = 0, energy_pj = 0;
  std::vector<double> per_time;
  kit::Json to_json() const {
    return {{"accuracy", accuracy}, {"accuracy_per_time", per_time}, {"energy_pj", energy_pj}};
  }
};

// The matrix layers a study measures (not the digital ones), refused before
// any work when there are none, or when the suggestion has no ADC to vary.
std::vector<std::size_t> studied_layers(const nn::Network& net, const nn::LayerHardware& tiles,
                                        const SensitivitySpec& spec) {
  std::vector<std::size_t> out;
  bool adjustable = false;
  for (const auto i : net.matrix_layers()) {
    if (tiles.digital(i)) continue;
    out.push_back(i);
    adjustable |= tiles.spec(i).adc.contains("bits");
  }
  if (out.empty())
    throw kit::ConfigError("layers", "every matrix layer is digital: nothing to study");
  if (!spec.adc_bits.empty() && !adjustable) {
    throw kit::InputError(
        "--adc-bits: no studied layer has an ADC with bits (adc.impl \"ideal\"?); configure one, "
        "e.g. --set adc.impl=sar --set adc.bits=8");
  }
  return out;
}

class Study {
 public:
  Study(const kit::Json& config, const SensitivitySpec& spec, const kit::Registry& registry,
        std::function<void(const std::string&)> say)
      : config_(config),
        spec_(spec),
        registry_(registry),
        say_(std::move(say)),
        job_(prepare_job(config, registry)),
        net_(*job_.network),
        tile_(job_.layers->base()),
        hw_(*job_.hw),
        eval_(AccuracySpec::parse(config.at("evaluation"), "evaluation")),
        configured_(*job_.layers),
        studied_(studied_layers(net_, configured_, spec)),
        data_(load_evaluation(net_, eval_, say_)) {}

  const nn::Network& net() const { return net_; }
  const std::vector<std::size_t>& studied() const { return studied_; }
  const nn::LayerHardware& configured() const { return configured_; }
  const std::vector<std::string>& warnings() const { return job_.warnings; }

  double float_accuracy() const {
    const nn::ProductFn product = nn::float_product(net_, data_.weights);
    return data_.test.accuracy(in_batches(
        data_.test.x, eval_.batch, data_.classes,
        [&](const nn::RowMatrixF& x) { return nn::forward(net_, data_.weights, x, product); }));
  }

  // Layer `i` with the chosen effects off.
  kit::Json ideal_override(std::size_t i) const {
    const tile::TileSpec& s = configured_.spec(i);
    kit::Json o = kit::Json::object();
    for (const auto& e : spec_.effects) {
      if (e == "adc") o["adc"] = {{"impl", "ideal"}};
      if (e == "dac") o["dac"] = {{"impl", "ideal"}};
      if (e == "wires") o["solver"] = {{"impl", "ideal"}};
      if (e == "device") {
        o["device"] = {{"impl", "ideal"},
                       {"g_min_us", s.device.at("g_min_us")},
                       {"g_max_us", s.device.at("g_max_us")},
                       {"levels", s.device.at("levels")}};
        o["read_noise"] = {{"mode", "off"}};
      }
    }
    return o;
  }

  // The config with `extra` ({layer name: tile nodes}) laid over its own
  // "layers" node, each node by nn::overlay_node.
  kit::Json config_with(const kit::Json& extra) const {
    kit::Json c = config_;
    kit::Json layers =
        c.contains("layers") && c.at("layers").is_object() ? c.at("layers") : kit::Json::object();
    for (const auto& [name, node] : extra.items()) {
      kit::Json& l = layers[name];
      if (!l.is_object()) l = kit::Json::object();
      for (const auto& [k, v] : node.items()) l[k] = nn::overlay_node(l.value(k, kit::Json()), v);
    }
    c["layers"] = layers;
    return c;
  }

  Point measure(const kit::Json& extra, const std::string& what) const {
    say_(what);
    const kit::Json cfg = config_with(extra);
    const nn::LayerHardware tiles = nn::LayerHardware::parse(cfg, tile_, net_, registry_);
    const auto trials =
        nonideal_trials(tiles, net_, data_, eval_, registry_, false, [](const std::string&) {});
    Point p;
    for (std::size_t k = 0; k < eval_.times_s.size(); ++k) {
      double sum = 0;
      for (const auto& t : trials) sum += t.compensated[k];
      p.per_time.push_back(sum / static_cast<double>(trials.size()));
      p.accuracy += p.per_time.back() / static_cast<double>(eval_.times_s.size());
    }
    p.energy_pj = estimate(tiles).at("totals").at("energy_pj").at("total").get<double>();
    return p;
  }

  kit::Json estimate(const nn::LayerHardware& tiles) const {
    return ppa::Accelerator(tiles, hw_, registry_).estimate(net_);
  }

 private:
  const kit::Json& config_;
  const SensitivitySpec& spec_;
  const kit::Registry& registry_;
  std::function<void(const std::string&)> say_;
  PreparedJob job_;
  const nn::Network& net_;
  const tile::TileSpec& tile_;
  const ppa::HardwareSpec& hw_;
  AccuracySpec eval_;
  const nn::LayerHardware& configured_;
  std::vector<std::size_t> studied_;
  EvaluationData data_;
};

kit::Json bits_override(const nn::Network& net, const std::vector<std::size_t>& layers,
                        const std::vector<int>& bits) {
  kit::Json o = kit::Json::object();
  for (std::size_t k = 0; k < layers.size(); ++k) {
    o[net.layers[layers[k]].name] = {{"adc", {{"bits", bits[k]}}}};
  }
  return o;
}

kit::Json suggestion(const Study& s, const SensitivitySpec& spec, const Point& configured) {
  std::vector<int> levels = spec.adc_bits;
  std::sort(levels.rbegin(), levels.rend());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  const double target = configured.accuracy - spec.max_drop;
  // The layers whose ADC has bits (studied_layers made sure there is one).
  std::vector<std::size_t> layers;
  std::vector<int> bits;
  for (const auto i : s.studied()) {
    const kit::Json& adc = s.configured().spec(i).adc;
    if (!adc.contains("bits")) continue;
    layers.push_back(i);
    bits.push_back(adc.at("bits").get<int>());
  }
  const nn::Network& net = s.net();
  // Uniform settings.
  kit::Json uniform = kit::Json::array();
  kit::Json best_uniform = {{"adc_bits", "configured"}};
  best_uniform.update(configured.to_json());
  for (const int b : levels) {
    const Point p = s.measure(bits_override(net, layers, std::vector<int>(layers.size(), b)),
                              fmt::format("sensitivity: every layer's ADC at {} bits", b));
    kit::Json row = {{"adc_bits", b}, {"meets_target", p.accuracy >= target}};
    row.update(p.to_json());
    uniform.push_back(row);
    if (p.accuracy >= target && p.energy_pj < best_uniform.at("energy_pj").get<double>()) {
      best_uniform = row;
    }
  }
  // Greedy per-layer steps.
  Point current = configured;
  std::vector<bool> stuck(layers.size(), false);
  kit::Json steps = kit::Json::array();
  for (;;) {
    std::size_t best = layers.size();
    Point best_point;
    for (std::size_t k = 0; k < layers.size(); ++k) {
      if (stuck[k]) continue;
      const auto next =
          std::find_if(levels.begin(), levels.end(), [&](int b) { return b < bits[k]; });
      if (next == levels.end()) continue;
      std::vector<int> trial = bits;
      trial[k] = *next;
      const Point p = s.measure(
          bits_override(net, layers, trial),
          fmt::format("sensitivity: {} at {} ADC bits", net.layers[layers[k]].name, *next));
      if (p.accuracy < target) {
        stuck[k] = true;
        continue;
      }
      if (best == layers.size() || p.energy_pj < best_point.energy_pj) {
        best = k;
        best_point = p;
      }
    }
    if (best == layers.size()) break;
    bits[best] = *std::find_if(levels.begin(), levels.end(), [&](int b) { return b < bits[best]; });
    current = best_point;
    kit::Json step = {{"layer", net.layers[layers[best]].name}, {"adc_bits", bits[best]}};
    step.update(current.to_json());
    steps.push_back(step);
  }
  kit::Json assignment = kit::Json::object();
  for (std::size_t k = 0; k < layers.size(); ++k) {
    assignment[net.layers[layers[k]].name] = bits[k];
  }
  const double e_uniform = best_uniform.at("energy_pj").get<double>();
  kit::Json out = {{"target_accuracy", target},
                   {"max_drop", spec.max_drop},
                   {"adc_bits", levels},
                   {"assignment", assignment},
                   {"layers", bits_override(net, layers, bits)},
                   {"steps", steps}};
  out.update(current.to_json());
  out["uniform"] = uniform;
  out["best_uniform"] = best_uniform;
  out["energy_saving_vs_best_uniform"] = 1.0 - current.energy_pj / e_uniform;
  return out;
}

}  // namespace

void check_sensitivity_config(const kit::Json& config) {
  if (!config.contains("network")) {
    throw kit::ConfigError("network", "the sensitivity study needs a network (and an evaluation)");
  }
  if (!config.contains("evaluation") || config.at("evaluation").is_null()) {
    throw kit::ConfigError("evaluation",
                           "the sensitivity study measures accuracy: it needs an evaluation "
                           "node (the default config has one)");
  }
  if (config.at("evaluation").contains("snn")) {
    throw kit::ConfigError("evaluation.snn",
                           "the sensitivity study measures the ANN; remove evaluation.snn (xbarsim "
                           "run evaluates the SNN)");
  }
  if (config.contains("snn")) {
    throw kit::ConfigError("snn",
                           "the sensitivity study prices and measures the ANN chip; remove the "
                           "spiking chip's node (xbarsim run prices it)");
  }
}

kit::Json run_sensitivity(const kit::Json& config, const SensitivitySpec& spec,
                          const kit::Registry& registry, bool progress) {
  spec.check();
  check_sensitivity_config(config);
  const auto say = [progress](const std::string& line) {
    if (progress) std::fprintf(stderr, "xbarsim: %s\n", line.c_str());
  };
  const Study s(config, spec, registry, say);
  const nn::Network& net = s.net();
  kit::Json all_ideal = kit::Json::object();
  for (const auto i : s.studied()) all_ideal[net.layers[i].name] = s.ideal_override(i);
  const Point configured = s.measure(kit::Json::object(), "sensitivity: the configured chip");
  const Point ideal = s.measure(all_ideal, "sensitivity: every layer ideal");
  const kit::Json ppa = s.estimate(s.configured());
  const kit::Json& totals = ppa.at("totals");
  const double e_total = totals.at("energy_pj").at("total").get<double>();
  const double a_total = totals.at("area_mm2").at("total").get<double>();
  kit::Json rows = kit::Json::array();
  for (const auto i : s.studied()) {
    const nn::Layer& l = net.layers[i];
    kit::Json others = all_ideal;
    others.erase(l.name);
    const Point alone = s.measure(others, fmt::format("sensitivity: only {} nonideal", l.name));
    const Point but = s.measure(kit::Json{{l.name, s.ideal_override(i)}},
                                fmt::format("sensitivity: all but {} nonideal", l.name));
    const kit::Json* pl = nullptr;
    for (const auto& r : ppa.at("layers")) {
      if (r.at("name") == l.name) pl = &r;
    }
    const double e = pl->at("energy_pj").at("total").get<double>();
    const double a = pl->at("area_mm2").get<double>();
    rows.push_back({{"name", l.name},
                    {"type", l.type},
                    {"rows", l.rows()},
                    {"cols", l.cols()},
                    {"only_this_nonideal", alone.to_json()},
                    {"all_but_this_nonideal", but.to_json()},
                    {"drop_alone", ideal.accuracy - alone.accuracy},
                    {"gain_if_ideal", but.accuracy - configured.accuracy},
                    {"energy_pj", e},
                    {"energy_share", e / e_total},
                    {"area_mm2", a},
                    {"area_share", a / a_total}});
  }
  kit::Json report = {
      {"job",
       "sensitivity: accuracy with one layer nonideal (others ideal) and with all but one "
       "nonideal, beside each layer's share of the chip's energy and area"},
      {"network", net.name},
      {"effects", spec.effects},
      {"metric",
       "accuracy: mean over evaluation.trials device draws and over evaluation.times_s "
       "(drift-compensated reads)"},
      {"float", s.float_accuracy()},
      {"configured", configured.to_json()},
      {"ideal", ideal.to_json()},
      {"layers", rows},
      {"energy_pj", e_total},
      {"area_mm2", a_total},
      {"warnings", s.warnings()}};
  if (!spec.adc_bits.empty()) report["suggestion"] = suggestion(s, spec, configured);
  return report;
}

}  // namespace xbarsim::jobs
