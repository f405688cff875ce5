// The layer-sensitivity study: its accuracies are those `xbarsim run`
// measures on the same tiles, its shares add up, its suggestion meets its
// target below the best uniform energy, and bad options are refused.
#include <catch2/catch.hpp>

#include "core/jobs/registry_setup.h"
#include "core/jobs/run.h"
#include "core/jobs/sensitivity.h"
#include "core/kit/error.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

// LeNet-5 on 100 of the MNIST digits ./test fetched, weights from the shared
// training cache (data/weights), 8-bit PWM inputs (one read per vector), a
// 4-bit SAR ADC.
Json lenet(int adc_bits) {
  return {{"network", "lenet5"},
          {"device", {{"preset", "rram_wan"}}},
          {"mapping", {{"impl", "differential"}, {"weight_bits", 8}, {"bits_per_cell", 4}}},
          {"dac", {{"impl", "pwm"}, {"bits", 8}}},
          {"adc", {{"impl", "sar"}, {"bits", adc_bits}, {"range", "calibrated"}}},
          {"chip", {{"tiles", 8}}},
          {"evaluation",
           {{"dataset", test::mnist_dataset()},
            {"train", {{"cache", test::kSource + "/data/weights"}}},
            {"test_samples", 100},
            {"trials", 1},
            {"times_s", {1.0}}}}};
}

double run_accuracy(const Json& config, const kit::Registry& reg) {
  return jobs::run_job(config, reg).at("accuracy").at("nonideal").at(0).at("mean").get<double>();
}

}  // namespace

TEST_CASE("MNIST: the sensitivity study measures what xbarsim run measures and adds up",
          "[jobs][sensitivity][mnist]") {
  const auto reg = jobs::make_registry();
  jobs::SensitivitySpec spec;
  spec.effects = {"adc"};
  spec.adc_bits = {3};
  spec.max_drop = 0.02;
  const Json r = jobs::run_sensitivity(lenet(4), spec, reg, false);
  // The configured chip and every layer ideal are the run job's accuracies
  // on the same draws (the overrides reach the same tiles as a uniform config).
  CHECK(r.at("configured").at("accuracy") == run_accuracy(lenet(4), reg));
  Json ideal = lenet(4);
  ideal["adc"] = {{"impl", "ideal"}};
  CHECK(r.at("ideal").at("accuracy") == run_accuracy(ideal, reg));
  // One row per matrix layer, with its energy and area as the run job's PPA
  // report prices that layer, as shares that add up to less than the chip's
  // (the rest: other layers, leakage, spare tiles, buffers).
  const Json& rows = r.at("layers");
  REQUIRE(rows.size() == 5);
  const Json ppa_run = jobs::run_job(lenet(4), reg).at("ppa");
  const double e_chip = ppa_run.at("totals").at("energy_pj").at("total").get<double>();
  double energy = 0, area = 0;
  int priced = 0;
  for (const auto& l : rows) {
    energy += l.at("energy_share").get<double>();
    area += l.at("area_share").get<double>();
    for (const auto& p : ppa_run.at("layers")) {
      if (p.at("name") != l.at("name")) continue;
      ++priced;
      CHECK(l.at("energy_share").get<double>() ==
            Approx(p.at("energy_pj").at("total").get<double>() / e_chip));
    }
    CHECK(l.at("drop_alone").get<double>() ==
          Approx(r.at("ideal").at("accuracy").get<double>() -
                 l.at("only_this_nonideal").at("accuracy").get<double>()));
  }
  CHECK(priced == 5);
  CHECK(energy > 0);
  CHECK(energy < 1.0);
  CHECK(area > 0);
  CHECK(area < 1.0);
  // "Only conv2d_0 nonideal" is the run job with every other layer's ADC ideal.
  Json only = lenet(4);
  for (const char* name : {"conv2d_3", "linear_7", "linear_9", "linear_11"}) {
    only["layers"][name] = {{"adc", {{"impl", "ideal"}}}};
  }
  CHECK(rows.at(0).at("only_this_nonideal").at("accuracy") == run_accuracy(only, reg));
  // The suggestion: every step and the result within the target, its energy
  // no higher than the best uniform setting that meets it, both measured.
  const Json& s = r.at("suggestion");
  const double target = s.at("target_accuracy").get<double>();
  CHECK(target == Approx(r.at("configured").at("accuracy").get<double>() - 0.02));
  CHECK(s.at("accuracy").get<double>() >= target);
  for (const auto& step : s.at("steps")) CHECK(step.at("accuracy").get<double>() >= target);
  CHECK(s.at("energy_pj").get<double>() <= s.at("best_uniform").at("energy_pj").get<double>());
  Json applied = lenet(4);
  applied["layers"] = s.at("layers");
  const Json ppa = jobs::run_job(applied, reg).at("ppa");
  CHECK(ppa.at("totals").at("energy_pj").at("total") == s.at("energy_pj"));
}

TEST_CASE("bad sensitivity options and configs are refused before work", "[jobs][sensitivity]") {
  const auto reg = jobs::make_registry();
  const auto error = [&](const jobs::SensitivitySpec& spec, const Json& config) -> std::string {
    try {
      jobs::run_sensitivity(config, spec, reg, false);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no error)";
  };
  jobs::SensitivitySpec spec;
  spec.effects = {"adc", "wirez"};
  CHECK_THAT(error(spec, lenet(4)),
             Catch::Contains("--effects: unknown effect \"wirez\"; did you mean \"wires\"?"));
  spec.effects = {"adc", "adc"};
  CHECK_THAT(error(spec, lenet(4)), Catch::Contains("\"adc\" is given twice"));
  spec.effects = {"adc"};
  spec.adc_bits = {1};
  CHECK_THAT(error(spec, lenet(4)), Catch::Contains("--adc-bits: 1 bits is outside 2 to 16"));
  spec.adc_bits = {};
  Json no_eval = lenet(4);
  no_eval.erase("evaluation");
  CHECK_THAT(error(spec, no_eval), Catch::Contains("config evaluation: the sensitivity study"));
  Json all_digital = lenet(4);
  all_digital["layers"] = {{"conv2d", {{"digital", true}}}, {"linear", {{"digital", true}}}};
  CHECK_THAT(error(spec, all_digital), Catch::Contains("every matrix layer is digital"));
  spec.adc_bits = {3};
  Json ideal_adc = lenet(4);
  ideal_adc["adc"] = {{"impl", "ideal"}};
  CHECK_THAT(error(spec, ideal_adc), Catch::Contains("no studied layer has an ADC with bits"));
}
