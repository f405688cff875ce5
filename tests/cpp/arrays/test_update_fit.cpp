// Fitting update laws to pulse-response data: data generated from a law
// with known parameters is fitted back (the fitted law's step in µS at
// several conductances within a few percent of the true one, its window,
// states and labels), and bad CSV files are refused naming the row.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "arrays/update.h"
#include "arrays/update_fit.h"
#include "core/kit/error.h"
#include "core/kit/json.h"
#include "core/kit/rng.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

std::unique_ptr<arrays::UpdateModel> build(const kit::Registry& reg, const Json& node) {
  return reg.build<arrays::UpdateModel>("update", reg.resolve("update", node, "update"));
}

// Cycles of `pulses` SET pulses from the lower bound, then as many RESET
// pulses, on `devices` devices of law m.
std::vector<arrays::PulseSeries> generate(const arrays::UpdateModel& m, std::size_t devices,
                                          std::size_t cycles, std::size_t pulses) {
  const auto d = m.draw(devices, kit::Stream(5, "test", "devices"));
  const kit::Stream xi(5, "test", "c2c");
  std::uint64_t k = 0;
  std::vector<arrays::PulseSeries> out;
  for (std::size_t dev = 0; dev < devices; ++dev) {
    double w = d.w_min[dev];
    for (std::size_t c = 0; c < cycles; ++c) {
      for (const int dir : {1, -1}) {
        arrays::PulseSeries s{std::to_string(dev), std::to_string(c), dir, {}, 0};
        s.g_us.push_back(m.conductance_us(d, dev, w));
        for (std::size_t p = 0; p < pulses; ++p) {
          w = m.pulse(d, dev, w, dir, xi.normal_at(k++));
          s.g_us.push_back(m.conductance_us(d, dev, w));
        }
        out.push_back(std::move(s));
      }
    }
  }
  return out;
}

// The mean step (µS) one pulse gives a device of law m at conductance g.
double step_us(const arrays::UpdateModel& m, double g, int dir) {
  const auto d = m.draw(1, kit::Stream(1, "test", "one"));
  const auto& c = m.common();
  const double w =
      d.w_min[0] + (g - c.g_min_us) / (c.g_max_us - c.g_min_us) * (d.w_max[0] - d.w_min[0]);
  return m.conductance_us(d, 0, w + m.mean_step(d, 0, w, dir)) - g;
}

void check_steps(const arrays::UpdateModel& truth, const arrays::UpdateModel& fitted,
                 std::initializer_list<double> gs, double rel) {
  for (const double g : gs) {
    for (const int dir : {1, -1}) {
      const double t = step_us(truth, g, dir), f = step_us(fitted, g, dir);
      INFO("g = " << g << " uS, dir " << dir << ": true step " << t << ", fitted " << f);
      CHECK(std::abs(f - t) <= rel * std::abs(t) + 1e-9);
    }
  }
}

std::string write_csv(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / ("xbarsim_fit_" + name + ".csv");
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace

TEST_CASE("soft bounds fitted back from their own pulse responses", "[arrays][update][fit]") {
  const auto reg = test::arrays_registry();
  const Json truth_node = {{"impl", "soft_bounds"}, {"dw_min", 0.01},  {"dw_min_std", 0.05},
                           {"dw_min_dtod", 0.0},    {"up_down", 0.2},  {"up_down_dtod", 0.0},
                           {"w_min", -1.0},         {"w_max", 1.0},    {"w_min_dtod", 0.0},
                           {"w_max_dtod", 0.0},     {"g_min_us", 5.0}, {"g_max_us", 80.0}};
  const auto truth = build(reg, truth_node);
  const auto data = generate(*truth, 1, 6, 300);
  const Json preset = arrays::fit_update(data, "soft_bounds", "test data");
  const auto fitted = build(reg, preset);
  // The fit's own frame (w on [-1, 1] over the observed range) differs from
  // the truth's, so its dw_min and up_down do too; the steps in µS must not.
  check_steps(*truth, *fitted, {15.0, 40.0, 65.0}, 0.05);
  CHECK(preset.at("g_min_us").get<double>() == Approx(5.0).margin(2.0));
  CHECK(preset.at("g_max_us").get<double>() == Approx(80.0).margin(3.0));
  CHECK(preset.at("dw_min_std").get<double>() == Approx(0.05).margin(0.01));
  CHECK(preset.at("fit").at("set_steps").get<int>() == 1800);
}

TEST_CASE("exponential steps fitted back, with their device-to-device spread",
          "[arrays][update][fit]") {
  const auto reg = test::arrays_registry();
  // Steps that vanish at w = ±0.8 (A = e^(−3·0.8), z = w), so the data never
  // reaches the clipping bounds; up larger than down (up_down 0.3).
  const double a = std::exp(-2.4);
  Json node = {{"impl", "exp_step"}, {"dw_min", 0.01},  {"dw_min_std", 0.05},
               {"dw_min_dtod", 0.0}, {"up_down", 0.3},  {"up_down_dtod", 0.0},
               {"w_min", -1.0},      {"w_max", 1.0},    {"w_min_dtod", 0.0},
               {"w_max_dtod", 0.0},  {"a", 1.0},        {"b", 0.0},
               {"A_up", a},          {"A_down", a},     {"gamma_up", 3.0},
               {"gamma_down", 3.0},  {"g_min_us", 5.0}, {"g_max_us", 85.0}};
  const auto truth = build(reg, node);
  const auto data = generate(*truth, 1, 6, 400);
  const Json preset = arrays::fit_update(data, "exp_step", "test data");
  const auto fitted = build(reg, preset);
  check_steps(*truth, *fitted, {20.0, 45.0, 70.0}, 0.05);
  CHECK(preset.at("dw_min_std").get<double>() == Approx(0.05).margin(0.01));
  CHECK(preset.at("up_down").get<double>() == Approx(0.3).margin(0.03));
  // Eight devices with a 20 % spread of the step: the per-device fits find
  // the spread of the eight steps drawn (generate's device stream).
  node["dw_min_dtod"] = 0.2;
  const auto spread = build(reg, node);
  const Json p8 = arrays::fit_update(generate(*spread, 8, 2, 400), "exp_step", "test data");
  CHECK(p8.at("fit").at("devices_fitted_alone").get<int>() == 8);
  const auto d = spread->draw(8, kit::Stream(5, "test", "devices"));
  double m = 0, v = 0;
  for (std::size_t k = 0; k < 8; ++k) m += d.scale_up[k] / 8;
  for (std::size_t k = 0; k < 8; ++k) v += (d.scale_up[k] - m) * (d.scale_up[k] - m) / 7;
  CHECK(p8.at("dw_min_dtod").get<double>() == Approx(std::sqrt(v) / m).margin(0.02));
}

TEST_CASE("NeuroSim curves fitted back: states, labels and c2c", "[arrays][update][fit]") {
  const auto reg = test::arrays_registry();
  const auto truth = build(reg, {{"preset", "neurosim_epiram"}, {"c2c_sigma", 0.002}});
  const auto data = generate(*truth, 1, 4, 64);
  const Json preset = arrays::fit_update(data, "neurosim", "test data");
  CHECK(preset.at("states").get<int>() == 64);
  CHECK(preset.at("nl_ltp").get<double>() == Approx(0.5).margin(0.1));
  CHECK(preset.at("nl_ltd").get<double>() == Approx(-0.5).margin(0.1));
  CHECK(preset.at("c2c_sigma").get<double>() == Approx(0.002).margin(0.001));
  const auto fitted = build(reg, preset);
  check_steps(*truth, *fitted, {2.0, 6.0, 10.0}, 0.1);
}

TEST_CASE("piecewise nodes fitted back", "[arrays][update][fit]") {
  const auto reg = test::arrays_registry();
  const Json node = {{"impl", "piecewise"},
                     {"dw_min", 0.01},
                     {"dw_min_std", 0.02},
                     {"dw_min_dtod", 0.0},
                     {"up_down_dtod", 0.0},
                     {"w_min", -1.0},
                     {"w_max", 1.0},
                     {"w_min_dtod", 0.0},
                     {"w_max_dtod", 0.0},
                     {"piecewise_up", {1.5, 1.0, 0.5}},
                     {"piecewise_down", {0.5, 1.0, 1.5}}};
  const auto truth = build(reg, node);
  const auto data = generate(*truth, 1, 4, 200);
  const Json preset = arrays::fit_update(data, "piecewise", "test data", 9);
  const auto fitted = build(reg, preset);
  check_steps(*truth, *fitted, {30.0, 50.0, 70.0}, 0.1);
}

TEST_CASE("pulse-response CSVs: bad files are refused naming the problem",
          "[arrays][update][fit]") {
  const auto message = [](const std::string& text) {
    try {
      arrays::read_pulse_csv(write_csv("bad", text));
    } catch (const kit::InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK_THAT(message("pulse,g_us\n0,1\n"), Catch::Contains("no column direction"));
  CHECK_THAT(message("pulse,g_us,direction\n0,1,1\n2,1.1,1\n"),
             Catch::Contains("must increase by 1"));
  CHECK_THAT(message("pulse,g_us,direction\n0,nan,1\n"), Catch::Contains("not a finite number"));
  CHECK_THAT(message("pulse,g_us,direction\n0,1,2\n"), Catch::Contains("is not +1"));
  CHECK_THAT(message("pulse,g_us,direction\n0,1,1,4\n"), Catch::Contains("4 fields"));
  const auto ok = arrays::read_pulse_csv(
      write_csv("ok", "pulse,g_us,direction,device\n0,1,1,a\n1,2,1,a\n0,2,-1,a\n1,1.5,-1,a\n"));
  REQUIRE(ok.size() == 2);
  CHECK(ok[0].g_us.size() == 2);
  CHECK_THROWS_WITH(arrays::fit_update(ok, "soft_bounds", "two steps"),
                    Catch::Contains("needs at least 3"));
  CHECK_THROWS_WITH(arrays::fit_update(ok, "pow_step", "x"), Catch::Contains("is not one of"));
}
