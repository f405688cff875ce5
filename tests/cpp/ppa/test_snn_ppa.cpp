// The spiking chip in the performance model (config "snn"): its counts and
// neuron energy against their closed forms, rates that scale the pulses, and
// bad "snn" nodes refused at their path. tests/cpp/nn/test_snn.cpp compares
// it with the functional SNN run on LeNet-5.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "core/jobs/registry_setup.h"
#include "core/jobs/run.h"
#include "core/jobs/sensitivity.h"
#include "core/kit/error.h"
#include "core/kit/json.h"
#include "peripherals/neuron.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

// A 64-16-4 MLP on 64x64 arrays of an ideal device, 8-bit SAR ADCs.
Json spiking_mlp(Json snn) {
  return {{"array", {{"rows", 64}, {"cols", 64}}},
          {"device", {{"impl", "ideal"}, {"g_min_us", 2.0}, {"g_max_us", 50.0}}},
          {"mapping", {{"impl", "differential"}, {"weight_bits", 4}, {"bits_per_cell", 4}}},
          {"adc", {{"impl", "sar"}, {"bits", 8}}},
          {"network",
           {{"input", {64}},
            {"layers",
             {{{"type", "linear"}, {"out_features", 16}, {"name", "fc1"}},
              {{"type", "relu"}, {"name", "act1"}},
              {{"type", "linear"}, {"out_features", 4}, {"name", "fc2"}}}}}},
          {"snn", std::move(snn)}};
}

Json spiking_ppa(const Json& config) {
  return jobs::run_job(config, jobs::make_registry()).at("ppa");
}

double layer_counts(const Json& ppa, std::size_t layer, const char* what) {
  return ppa.at("layers").at(layer).at("counts").at(what).get<double>();
}

}  // namespace

TEST_CASE("a spiking chip's counts and neurons follow their closed forms", "[ppa][snn]") {
  const auto reg = jobs::make_registry();
  const std::size_t steps = 10;
  const double rate = 0.2, input_rate = 0.3;
  const Json ppa =
      spiking_ppa(spiking_mlp({{"steps", steps}, {"rate", rate}, {"input_rate", input_rate}}));
  // fc1: 64 rows, one vector per step, one slice (G+ and G- share the row
  // drivers): every row is read each step (a 64-row block has a spike with
  // probability 1 - 0.7^64), a pulse per spike.
  const double reads = static_cast<double>(steps);
  CHECK(layer_counts(ppa, 0, "vectors") == reads);
  CHECK(layer_counts(ppa, 0, "array_reads") == 2 * reads);
  CHECK(layer_counts(ppa, 0, "dac_conversions") == 64 * reads);
  CHECK(layer_counts(ppa, 0, "dac_pulses") == Approx(64 * reads * input_rate).margin(1));
  CHECK(layer_counts(ppa, 0, "adc_conversions") == 16 * reads);
  // fc2 reads act1's 16 spikes: a step with none of them skips the read.
  const double active = 1 - std::pow(1 - rate, 16);
  CHECK(layer_counts(ppa, 2, "vectors") == std::round(steps * active));
  // Every neuron steps each step, act1's fire at `rate`, the readout integrates.
  const auto neuron =
      reg.build<peripherals::Neuron>("neuron", reg.resolve("neuron", Json::object(), "neuron"));
  const peripherals::NeuronCost nc = neuron->cost(32);
  const Json& layers = ppa.at("layers");
  CHECK(layers[1].at("energy_pj").at("neurons").get<double>() ==
        Approx(16 * reads * (nc.step_pj + rate * nc.spike_pj)));
  CHECK(layers[2].at("energy_pj").at("neurons").get<double>() == Approx(4 * reads * nc.step_pj));
  CHECK(layers[0].at("energy_pj").at("neurons").get<double>() == 0);
  CHECK(ppa.at("snn").at("neurons").get<double>() == 20);
  CHECK(ppa.at("totals").at("area_mm2").at("neurons").get<double>() ==
        Approx(20 * nc.area_um2 * 1e-6));
  // No relu compares: the population replaced them.
  CHECK(layers[1].at("energy_pj").at("digital").get<double>() == 0);
  // The parts add up, per layer and in total.
  for (const auto& l : layers) {
    double parts = 0;
    for (const auto& [k, v] : l.at("energy_pj").items())
      parts += k == "total" ? 0 : v.get<double>();
    CHECK(parts == Approx(l.at("energy_pj").at("total").get<double>()));
  }
}

TEST_CASE("a spiking chip's pulses follow the rates; its reads repeat every step", "[ppa][snn]") {
  const Json full = spiking_ppa(spiking_mlp({{"steps", 20}, {"rate", 0.2}, {"input_rate", 0.4}}));
  const Json half = spiking_ppa(spiking_mlp(
      {{"steps", 20}, {"rate", 0.2}, {"input_rate", 0.2}, {"layer_rates", {{"act1", 0.1}}}}));
  const auto energy = [](const Json& p, std::size_t layer, const char* part) {
    return p.at("layers").at(layer).at("energy_pj").at(part).get<double>();
  };
  // Half the spikes, half the row pulses and half the cells' read energy
  // (every 64-row block still reads each step: 1 - 0.8^64 ~ 1).
  CHECK(energy(half, 0, "dac") == Approx(energy(full, 0, "dac") / 2).epsilon(0.01));
  CHECK(energy(half, 0, "array") == Approx(energy(full, 0, "array") / 2));
  CHECK(energy(half, 0, "adc") == Approx(energy(full, 0, "adc")));
  // Twice the steps, twice the conversions.
  const Json twice = spiking_ppa(spiking_mlp({{"steps", 40}, {"rate", 0.2}, {"input_rate", 0.4}}));
  CHECK(energy(twice, 0, "adc") == Approx(2 * energy(full, 0, "adc")));
  // The layers run the steps as a pipeline: one step of each layer, then
  // T - 1 steps of the slowest.
  double sum = 0, slowest = 0;
  for (const auto& l : twice.at("layers")) {
    const double step = l.at("latency_ns").get<double>() / 40;
    sum += step;
    slowest = std::max(slowest, step);
  }
  CHECK(slowest > 0);
  CHECK(twice.at("totals").at("latency_ns").get<double>() == Approx(sum + 39 * slowest));
  CHECK(twice.at("totals").at("interval_ns").get<double>() == Approx(40 * slowest));
}

TEST_CASE("signed input spikes pass a reshape to the rows as 2-bit pulses", "[ppa][snn]") {
  Json config = spiking_mlp({{"steps", 4}, {"rate", 0.2}, {"signed_input", true}});
  config["network"]["input"] = {1, 8, 8};
  config["network"]["layers"].insert(config["network"]["layers"].begin(),
                                     Json::object({{"type", "flatten"}}));
  const Json ppa_signed = spiking_ppa(config);
  config["snn"]["signed_input"] = false;
  const Json ppa_unsigned = spiking_ppa(config);
  // fc1 (layer 1) reads ternary spikes through the flatten: two bits per
  // row read; act1's spikes into fc2 stay unsigned.
  CHECK(layer_counts(ppa_signed, 1, "bits_in") == 2 * layer_counts(ppa_unsigned, 1, "bits_in"));
  CHECK(layer_counts(ppa_signed, 3, "bits_in") == layer_counts(ppa_unsigned, 3, "bits_in"));
}

TEST_CASE("bad snn nodes are refused at their path before any work", "[ppa][snn][config]") {
  const auto reg = jobs::make_registry();
  const auto refused = [&](const Json& config, const std::string& path) {
    try {
      jobs::check_config(config, reg);
      FAIL("accepted");
    } catch (const kit::ConfigError& e) {
      CHECK(e.path() == path);
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(refused(spiking_mlp({{"steps", 8}}), "snn.rate"), Catch::Contains("required"));
  CHECK_THAT(refused(spiking_mlp({{"rate", 1.5}}), "snn.rate"), Catch::Contains("1.5"));
  CHECK_THAT(refused(spiking_mlp({{"rate", 0.1}, {"input_rate", -0.5}}), "snn.input_rate"),
             Catch::Contains("from 0 to 1"));
  CHECK_THAT(
      refused(spiking_mlp({{"rate", 0.1}, {"layer_rates", {{"fc1", 0.1}}}}), "snn.layer_rates.fc1"),
      Catch::Contains("act1"));
  refused(spiking_mlp({{"rate", 0.1}, {"steps", 0}}), "snn.steps");
  // A spiking chip reads every crossbar layer on crossbars, and prices a network.
  Json digital = spiking_mlp({{"rate", 0.1}});
  digital["layers"] = {{"fc2", {{"digital", true}}}};
  CHECK_THAT(refused(digital, "snn"), Catch::Contains("fc2"));
  Json tile_only = spiking_mlp({{"rate", 0.1}});
  tile_only.erase("network");
  CHECK_THAT(refused(tile_only, "snn"), Catch::Contains("network"));
  // A network the converter cannot map is refused at its layer.
  Json tanh = spiking_mlp({{"rate", 0.1}});
  tanh["network"]["layers"][1]["type"] = "tanh";
  CHECK_THAT(refused(tanh, "network.layers[1]"), Catch::Contains("snn"));
  // Evaluated, a spiking chip's accuracy is its SNN's, of its neurons.
  Json eval = spiking_mlp({{"rate", 0.1}});
  eval["evaluation"] = {{"dataset", test::mnist_dataset()}};
  CHECK_THAT(refused(eval, "evaluation.snn"), Catch::Contains("missing"));
  eval["evaluation"]["snn"] = {{"neuron", {{"impl", "analog_if"}}}};
  CHECK_THAT(refused(eval, "evaluation.snn.neuron"), Catch::Contains("snn.neuron"));
  // The sensitivity study prices an ANN chip.
  eval["evaluation"].erase("snn");
  try {
    jobs::check_sensitivity_config(eval);
    FAIL("accepted");
  } catch (const kit::ConfigError& e) {
    CHECK(e.path() == "snn");
  }
}

TEST_CASE("SpikeSim's VGG-9 estimate at T = 5 is reproduced from its constants", "[ppa][snn]") {
  const Json config =
      kit::load_json_file(std::string(XBARSIM_SOURCE_DIR) + "/configs/chips/spikesim_vgg9.json");
  const Json report = jobs::run_job(config, jobs::make_registry());
  const Json& totals = report.at("ppa").at("totals");
  double arrays = 0;
  for (const auto& l : report.at("ppa").at("layers")) arrays += l.value("arrays", 0.0);
  // SpikeSim's script: 48 PEs (here one array each), 6 tiles (a layer owns
  // whole tiles here: 9), 8.43 mm², 15.9 µJ per image.
  CHECK(arrays == 48);
  CHECK(totals.at("tiles_used").get<double>() == 9);
  const double area = totals.at("area_mm2").at("total").get<double>();
  CHECK(area / 8.43 > 1 / 1.5);
  CHECK(area / 8.43 < 1.5);
  const double ratio = report.at("measured").at("energy_pj").at("ratio").get<double>();
  CHECK(ratio > 1 / 1.5);
  CHECK(ratio < 1.5);
  // SpikeSim charges every PE cycle its full 560 pJ of tile data movement;
  // here the first layer reads 27 rows, not 576: below SpikeSim.
  CHECK(ratio < 1);
}
