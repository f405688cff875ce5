// Fitting the table device to programming and relaxation data: data drawn
// from a table device with a known σ(G) polynomial, drift exponent spread
// and read noise (through the Device interface, as the tiles draw them) is
// fitted back within sampling error, and bad files are refused naming the
// problem.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "arrays/device.h"
#include "arrays/device_fit.h"
#include "core/kit/error.h"
#include "core/kit/json.h"
#include "core/kit/rng.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

std::string write_csv(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / ("xbarsim_devfit_" + name + ".csv");
  std::ofstream(p) << text;
  return p.string();
}

const Json kTruth = {{"impl", "table"},       {"g_min_us", 10.0},
                     {"g_max_us", 100.0},     {"program_sigma_poly_us", {0.5, 3.0, -2.0}},
                     {"drift_nu_mean", 0.05}, {"drift_nu_sigma", 0.01},
                     {"drift_t0_s", 1.0},     {"read_sigma_rel", 0.004}};

std::unique_ptr<arrays::Device> build(const kit::Registry& reg, const Json& node) {
  return reg.build<arrays::Device>("device", reg.resolve("device", node, "device"));
}

// `cells` cells at each of 8 targets, programmed once: g = target + σ(target)·ξ.
std::string programming_csv(const arrays::Device& dev, std::size_t cells) {
  const kit::Stream xi(3, "test", "program");
  std::string out = "g_target_us,g_us\n";
  std::uint64_t k = 0;
  for (int level = 0; level < 8; ++level) {
    const double target = 10.0 + 90.0 * level / 7.0;
    double sigma = 0;
    dev.program_sigma_us({&target, 1}, {&sigma, 1});
    for (std::size_t c = 0; c < cells; ++c) {
      out += fmt::format("{:.9g},{:.9g}\n", target, target + sigma * xi.normal_at(k++));
    }
  }
  return out;
}

// `devices` devices programmed evenly over 20-100 µS, read at 1 s to 1e5 s
// with read noise.
std::string relaxation_csv(const arrays::Device& dev, std::size_t devices) {
  const kit::Stream nu_xi(3, "test", "nu"), read_xi(3, "test", "read");
  std::string out = "device,t_s,g_us\n";
  std::uint64_t k = 0;
  for (std::size_t d = 0; d < devices; ++d) {
    const double g0 = 20.0 + 80.0 * static_cast<double>(d % 9) / 8.0, xi = nu_xi.normal_at(d),
                 zero = 0.0;
    double nu = 0;
    dev.drift_nu({&g0, 1}, {&xi, 1}, {&nu, 1});
    for (const double t : {1.0, 10.0, 100.0, 1e3, 1e4, 1e5}) {
      double g = 0, sigma = 0;
      dev.conductance_at({&g0, 1}, {&nu, 1}, {&zero, 1}, t, {&g, 1});
      dev.read_sigma_us({&g0, 1}, {&g, 1}, t, {&sigma, 1});
      out += fmt::format("d{},{},{:.9g}\n", d, t, g + sigma * read_xi.normal_at(k++));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("table device: sigma(G), drift and read noise fitted back", "[arrays][fit]") {
  const auto reg = test::arrays_registry();
  const auto truth = build(reg, kTruth);
  const std::size_t cells = 4000, devices = 400;
  arrays::DeviceFitOptions o;
  o.relaxation_csv = write_csv("relax", relaxation_csv(*truth, devices));
  const Json preset =
      arrays::fit_table_device(write_csv("prog", programming_csv(*truth, cells)), o, "test data");
  const auto fitted = build(reg, preset);  // the preset builds as it stands
  CHECK(preset.at("g_min_us").get<double>() == Approx(10.0));
  CHECK(preset.at("g_max_us").get<double>() == Approx(100.0));
  // σ at several conductances: each level's SD has a relative SE of 1/√(2n).
  for (const double g : {10.0, 35.0, 60.0, 100.0}) {
    double want = 0, got = 0;
    truth->program_sigma_us({&g, 1}, {&want, 1});
    fitted->program_sigma_us({&g, 1}, {&got, 1});
    INFO("g = " << g << ": sigma " << got << ", true " << want);
    CHECK(std::abs(got - want) <= 5.0 * want / std::sqrt(2.0 * cells));
  }
  CHECK(preset.at("fit").at("levels").size() == 8);
  // ν over 400 devices: mean to 5 SE; the SD (with the slopes' own read-noise
  // error, ≈ 5e-4 in quadrature) to 5 SE.
  const double nu_se = 0.01 / std::sqrt(static_cast<double>(devices));
  CHECK(std::abs(preset.at("drift_nu_mean").get<double>() - 0.05) <= 5 * nu_se);
  CHECK(std::abs(preset.at("drift_nu_sigma").get<double>() - 0.01) <=
        5 * 0.01 / std::sqrt(2.0 * devices) + 1e-4);
  // Read noise σ = 0.004·g + 0.001·90 µS at two conductances.
  for (const double g : {25.0, 90.0}) {
    double want = 0, got = 0;
    truth->read_sigma_us({&g, 1}, {&g, 1}, 1.0, {&want, 1});
    fitted->read_sigma_us({&g, 1}, {&g, 1}, 1.0, {&got, 1});
    INFO("g = " << g << ": read sigma " << got << ", true " << want);
    CHECK(got == Approx(want).epsilon(0.1));
  }
  // Without relaxation data: no drift, no read noise.
  const Json prog_only = arrays::fit_table_device(write_csv("prog", programming_csv(*truth, 200)),
                                                  arrays::DeviceFitOptions{}, "test data");
  CHECK_FALSE(prog_only.contains("drift_nu_mean"));
  CHECK_FALSE(prog_only.at("fit").contains("relaxation"));
}

TEST_CASE("table device fit: bad data is refused naming the problem", "[arrays][fit]") {
  const auto message = [](const std::string& prog, const std::string& relax = "", int degree = 2) {
    arrays::DeviceFitOptions o;
    o.degree = degree;
    if (!relax.empty()) o.relaxation_csv = write_csv("bad_relax", relax);
    try {
      arrays::fit_table_device(write_csv("bad_prog", prog), o, "x");
    } catch (const kit::InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  std::string three_levels = "g_target_us,g_us\n";
  for (const double t : {10.0, 50.0, 90.0}) {
    for (int k = 0; k < 6; ++k) three_levels += fmt::format("{},{}\n", t, t + 0.1 * (k - 2.5));
  }
  CHECK(message(three_levels) == "(accepted)");
  CHECK_THAT(message("g_us\n1\n"), Catch::Contains("no column g_target_us"));
  CHECK_THAT(message("g_target_us,g_us\n-1,2\n"), Catch::Contains("row 1: g_target_us -1"));
  CHECK_THAT(message("g_target_us,g_us\n1,inf\n"), Catch::Contains("not a finite number"));
  CHECK_THAT(message(three_levels, "", 3), Catch::Contains("needs 4: give a lower --degree"));
  CHECK_THAT(message(three_levels, "device,t_s,g_us\na,1,10\na,10,11\na,100,12\n"),
             Catch::Contains("rise over time"));
  CHECK_THAT(message(three_levels, "device,t_s,g_us\na,1,10\na,10,9\n"),
             Catch::Contains("device \"a\" has 2 reads"));
  CHECK_THAT(message(three_levels, "device,t_s,g_us\na,1,10\na,1,9\na,1,9.5\n"),
             Catch::Contains("2 or more different times"));
  CHECK_THAT(message(three_levels, "device,t_s,g_us\na,1,0\na,10,1\na,100,1\n"),
             Catch::Contains("every device has a read at or below 0"));
  CHECK_THAT(message(three_levels, "device,t_s,g_us\na,-1,1\n"),
             Catch::Contains("t_s -1 is before programming"));
  CHECK_THAT(message(three_levels, "device,g_us\na,1\n"), Catch::Contains("no column t_s"));
}
