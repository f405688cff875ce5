#include "core/jobs/snn.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "core/kit/parallel.h"
#include "core/kit/rng.h"
#include "core/kit/stats.h"
#include "core/kit/stopwatch.h"
#include "core/nn/forward.h"
#include "core/nn/mapped_network.h"
#include "core/nn/snn/convert.h"
#include "core/nn/snn/simulate.h"
#include "core/nn/snn/spike_tile.h"
#include "peripherals/neuron.h"

namespace xbarsim::jobs {

using peripherals::RowMatrixF;

nn::SnnSpec check_snn(const kit::Json& node, const nn::Network& net,
                      const kit::Registry& registry) {
  nn::SnnSpec s = nn::SnnSpec::parse(node, registry, "evaluation.snn");
  nn::snn_roles(net, s.coding);
  return s;
}

namespace {

// Sets the tiles' ranges: the float network runs on the calibration
// samples, and each spiking layer's tiles calibrate on spikes drawn at its
// input's rates (the analog input itself for direct coding). With `gains`,
// those inputs are then read through the calibrated tiles and each matrix
// layer's gain against the float product of the same inputs (least
// squares: Σ y·f / Σ f²) goes to gains[layer] (1 for the others).
void calibrate(nn::MappedNetwork& m, const nn::Network& net, const nn::Weights& w,
               const nn::SnnPlan& plan, const RowMatrixF& x, std::uint64_t seed,
               std::vector<double>* gains) {
  const kit::Stream draws(seed, "snn", "calibration");
  if (gains != nullptr) gains->assign(net.layers.size(), 1.0);
  nn::forward(net, w, x, [&](std::size_t layer, const RowMatrixF& v) -> RowMatrixF {
    const nn::Layer& l = net.layers[layer];
    const float scale = plan.layers[layer].scale;
    RowMatrixF s = v;
    if (scale > 0) {
      std::vector<double> u(static_cast<std::size_t>(v.size()));
      draws.substream(layer).fill_uniform(u);
      nn::rate_spikes(v.data(), u.data(), u.size(), scale, 1.0f, s.data());
    }
    m.calibrate_events(layer, s);
    if (gains != nullptr) {
      const RowMatrixF f = nn::grouped_product(l, s, w.layers[layer].w);
      const RowMatrixF y = m.read_events(layer, s, 0.0);
      const double ff = f.cast<double>().squaredNorm();
      const double yf = (y.cast<double>().array() * f.cast<double>().array()).sum();
      if (ff > 0 && yf > 0) (*gains)[layer] = yf / ff;
    }
    return nn::grouped_product(l, v, w.layers[layer].w);
  });
}

// Event-driven reads of m at t_s, each layer's output divided by its
// calibrated gain (none when gains is empty).
nn::SpikeProductFn read_through(nn::MappedNetwork& m, const std::vector<double>& gains,
                                double t_s) {
  return [&m, &gains, t_s](std::size_t layer, const RowMatrixF& v) -> RowMatrixF {
    RowMatrixF y = m.read_events(layer, v, t_s);
    if (!gains.empty()) y *= static_cast<float>(1.0 / gains[layer]);
    return y;
  };
}

// One pass of the test set through the SNN: accuracy, spikes and (on tiles)
// each layer's actions, at every checkpoint.
struct Pass {
  std::vector<double> accuracy;                     // per checkpoint
  std::vector<std::vector<double>> spikes;          // per checkpoint, per layer
  std::vector<double> input_spikes;                 // per checkpoint
  std::vector<std::vector<tile::Actions>> actions;  // per checkpoint, per layer
};

Pass run_pass(const nn::SnnRunner& runner, const nn::Dataset& test, std::size_t batch,
              std::size_t checkpoints, std::size_t layers, const nn::SpikeProductFn& product,
              nn::MappedNetwork* m) {
  Pass p;
  std::vector<double> correct(checkpoints, 0.0);
  p.spikes.assign(checkpoints, std::vector<double>(layers, 0.0));
  p.input_spikes.assign(checkpoints, 0.0);
  p.actions.assign(checkpoints, std::vector<tile::Actions>(layers));
  for (Eigen::Index first = 0; first < test.x.rows(); first += static_cast<Eigen::Index>(batch)) {
    const Eigen::Index n = std::min(static_cast<Eigen::Index>(batch), test.x.rows() - first);
    const RowMatrixF x = test.x.middleRows(first, n);
    if (m != nullptr) m->reset_actions();
    const auto cps = runner.run(x, static_cast<std::size_t>(first), product, [&](std::size_t k) {
      if (m == nullptr) return;
      for (std::size_t i = 0; i < layers; ++i) p.actions[k][i].add(m->actions(i));
    });
    for (std::size_t k = 0; k < checkpoints; ++k) {
      const std::vector<int> pred = nn::argmax_rows(cps[k].scores);
      for (Eigen::Index b = 0; b < n; ++b) {
        correct[k] +=
            pred[static_cast<std::size_t>(b)] == test.labels[static_cast<std::size_t>(first + b)]
                ? 1.0
                : 0.0;
      }
      for (std::size_t i = 0; i < layers; ++i) p.spikes[k][i] += cps[k].spikes[i];
      p.input_spikes[k] += cps[k].input_spikes;
    }
  }
  for (const double c : correct) p.accuracy.push_back(c / static_cast<double>(test.size()));
  return p;
}

// The DAC's energy when it pays per pulse driven (a spike), not per row
// read: its energy per row driven times the rows pulsed.
double dac_per_pulse_pj(const tile::Actions& a) {
  return a.dac_conversions == 0 ? 0.0
                                : a.dac_pj * static_cast<double>(a.dac_pulses) /
                                      static_cast<double>(a.dac_conversions);
}

// Tile energy per inference on the per-pulse basis.
kit::Json tile_energy(const tile::Actions& a, double per) {
  const double dac = dac_per_pulse_pj(a);
  return {{"array", a.array_pj * per},
          {"dac", dac * per},
          {"adc", a.adc_pj * per},
          {"shift_add", a.shift_add_pj * per},
          {"total", (a.array_pj + dac + a.adc_pj + a.shift_add_pj) * per}};
}

}  // namespace

kit::Json run_snn(const nn::LayerHardware& tiles, const nn::Network& net,
                  const EvaluationData& data, const nn::SnnSpec& snn, std::size_t batch,
                  const AnnReference& ann, const kit::Registry& registry,
                  const std::function<void(const std::string&)>& say) {
  const kit::Stopwatch start;
  const nn::Weights& w = data.weights;
  const nn::SnnPlan plan = nn::convert_to_snn(net, w, data.calibration, snn);
  const auto neuron = registry.build<peripherals::Neuron>("neuron", snn.neuron);
  const std::size_t layers = net.layers.size(), checkpoints = snn.steps.size();
  const nn::LayerHardware snn_tiles =
      nn::spiking_hardware(tiles, net, plan, neuron->reads_adc(), registry);
  const double samples = static_cast<double>(data.test.size());

  say(fmt::format("SNN: float, {} steps, {} coding, on {} test samples", snn.max_steps(),
                  snn.coding == nn::SpikeCoding::kRate ? "rate" : "direct", data.test.size()));
  const kit::Stopwatch t_float;
  const nn::SnnRunner float_runner(net, w, plan, snn, *neuron, std::nullopt);  // ideal neurons
  const nn::ProductFn fp = nn::float_product(net, w);
  const Pass flt = run_pass(float_runner, data.test, batch, checkpoints, layers, fp, nullptr);

  const double s_float = t_float.seconds();
  say("SNN: quantized-only tiles");
  const kit::Stopwatch t_quant;
  const nn::LayerHardware qtiles =
      snn_tiles.transformed([&](const tile::TileSpec& s) { return quantized_only(s, registry); });
  nn::MappedNetwork qnet(net, w, qtiles, registry, 0);
  std::vector<double> qgain;
  calibrate(qnet, net, w, plan, data.calibration, snn.seed,
            snn.gain_calibration ? &qgain : nullptr);
  const Pass quant = run_pass(float_runner, data.test, batch, checkpoints, layers,
                              read_through(qnet, qgain, 0.0), &qnet);

  const double s_quant = t_quant.seconds();
  say(fmt::format("SNN: nonideal, {} trials x {} read times", snn.trials, snn.times_s.size()));
  const kit::Stopwatch t_mc;
  std::vector<std::vector<Pass>> trials(snn.trials);
  std::vector<std::vector<double>> gains(snn.trials);
  kit::run_trials(snn.trials, [&](std::size_t t) {
    nn::MappedNetwork m(net, w, snn_tiles, registry, t);
    calibrate(m, net, w, plan, data.calibration, snn.seed,
              snn.gain_calibration ? &gains[t] : nullptr);
    const nn::SnnRunner runner(net, w, plan, snn, *neuron, t);
    for (const double ts : snn.times_s) {
      trials[t].push_back(run_pass(runner, data.test, batch, checkpoints, layers,
                                   read_through(m, gains[t], ts), &m));
    }
    say(fmt::format("  SNN trial {} done", t + 1));
  });

  const double s_mc = t_mc.seconds();
  kit::Json nonideal = kit::Json::array();
  for (std::size_t k = 0; k < snn.times_s.size(); ++k) {
    kit::Json row = {{"t_s", snn.times_s[k]}};
    for (std::size_t c = 0; c < checkpoints; ++c) {
      std::vector<double> acc;
      for (const auto& tr : trials) acc.push_back(tr[k].accuracy[c]);
      const kit::Summary s = kit::summarize(acc);
      row["mean"].push_back(s.mean);
      row["std"].push_back(s.std);
      row["trials"].push_back(acc);
    }
    nonideal.push_back(row);
  }

  // Spikes and energy: trial 0 at the first read time.
  const Pass& ref = trials.front().front();
  const peripherals::NeuronCost nc = neuron->cost(tiles.base().node_nm);
  const std::vector<std::size_t>& pop = float_runner.neurons();
  double neurons = static_cast<double>(net.layers[plan.readout].out_elements());
  for (const auto p : pop) neurons += static_cast<double>(p);
  kit::Json energy = kit::Json::array(), thresholds = kit::Json::array(),
            layer_spikes = kit::Json::array();
  for (std::size_t c = 0; c < checkpoints; ++c) {
    tile::Actions a;
    double spikes = 0;
    for (std::size_t i = 0; i < layers; ++i) {
      a.add(ref.actions[c][i]);
      if (plan.layers[i].role == nn::SnnRole::kNeurons) spikes += ref.spikes[c][i];
    }
    const auto t = static_cast<double>(snn.steps[c]);
    kit::Json e = tile_energy(a, 1.0 / samples);
    const double neuron_pj = neurons * t * nc.step_pj + spikes / samples * nc.spike_pj;
    e["neurons"] = neuron_pj;
    e["total"] = e.at("total").get<double>() + neuron_pj;
    e["steps"] = snn.steps[c];
    e["tile_read_ns"] = a.latency_ns / samples + t * nc.t_step_ns;
    energy.push_back(e);
  }
  kit::Json warnings = kit::Json::array();
  for (const auto& wmsg : plan.warnings) warnings.push_back(wmsg);
  for (std::size_t i = 0; i < layers; ++i) {
    const nn::Layer& l = net.layers[i];
    if (plan.layers[i].role == nn::SnnRole::kGate) {
      // What max pooling passes on: the rate its next crossbar layer reads.
      const auto out = static_cast<double>(l.out_elements());
      kit::Json per = kit::Json::array();
      for (std::size_t c = 0; c < checkpoints; ++c)
        per.push_back(ref.spikes[c][i] / (samples * out));
      layer_spikes.push_back(
          {{"layer", l.name},
           {"gate", l.type},
           {"outputs", l.out_elements()},
           {"spikes_per_output", per},
           {"rate_per_step", per.back().get<double>() / static_cast<double>(snn.max_steps())}});
    }
    if (plan.layers[i].role != nn::SnnRole::kNeurons) continue;
    thresholds.push_back({{"layer", l.name}, {"index", i}, {"threshold", plan.layers[i].scale}});
    kit::Json per = kit::Json::array();
    for (std::size_t c = 0; c < checkpoints; ++c) {
      per.push_back(ref.spikes[c][i] / (samples * static_cast<double>(pop[i])));
    }
    const double rate = per.back().get<double>() / static_cast<double>(snn.max_steps());
    layer_spikes.push_back({{"layer", l.name},
                            {"neurons", pop[i]},
                            {"spikes_per_neuron", per},
                            {"rate_per_step", rate}});
    if (ref.spikes.back()[i] == 0) {
      warnings.push_back(fmt::format(
          "layer \"{}\" (network.layers[{}]): its neurons never fired in {} steps on the test "
          "samples (threshold {:g}); the layers after it see nothing",
          l.name, i, snn.max_steps(), plan.layers[i].scale));
    }
  }
  kit::Json gain_json = kit::Json::array();
  for (std::size_t i = 0; i < layers && !gains.front().empty(); ++i) {
    if (net.layers[i].matrix()) {
      gain_json.push_back({{"layer", net.layers[i].name}, {"gain", gains.front()[i]}});
    }
  }
  kit::Json input_per_sample = kit::Json::array();
  for (const double s : ref.input_spikes) input_per_sample.push_back(s / samples);

  kit::Json ann_energy = tile_energy(ann.actions, 1.0 / samples);
  ann_energy["tile_read_ns"] = ann.actions.latency_ns / samples;

  say(fmt::format("SNN took {:.1f} s", start.seconds()));
  return {{"steps", snn.steps},
          {"coding", snn.coding == nn::SpikeCoding::kRate ? "rate" : "direct"},
          {"neuron", snn.neuron},
          {"threshold_percentile", snn.threshold_percentile},
          {"input_scale", plan.input_scale},
          {"thresholds", thresholds},
          {"gains", gain_json},
          {"float", flt.accuracy},
          {"quantized", quant.accuracy},
          {"nonideal", nonideal},
          {"spikes", {{"input_per_sample", input_per_sample}, {"layers", layer_spikes}}},
          {"energy_pj", energy},
          {"ann", {{"accuracy", ann.accuracy}, {"energy_pj", ann_energy}}},
          {"neuron_area_mm2", neurons * nc.area_um2 * 1e-6},
          {"warnings", warnings},
          {"note",
           "energy per inference (pJ) of trial 0 at the first read time, from the events counted: "
           "row pulses driven (the DAC per pulse, for the SNN and the ANN alike), cells read, "
           "conversions done and neuron steps and spikes (every neuron, readout included, each "
           "step); tile_read_ns is the tiles' read time added up, vector after vector, not the "
           "chip's pipelined latency"},
          {"seconds",
           {{"float", s_float},
            {"quantized", s_quant},
            {"nonideal", s_mc},
            {"total", start.seconds()}}}};
}

}  // namespace xbarsim::jobs
