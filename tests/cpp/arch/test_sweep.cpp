#include <catch2/catch.hpp>
#include <set>

#include "core/arch/setup.h"
#include "core/arch/sweep.h"
#include "core/kit/error.h"

using namespace xbarsim;
using kit::Json;

namespace {

const Json kBase = {{"array", {{"rows", 16}, {"cols", 8}}}};

}  // namespace

TEST_CASE("sweep points are grid x zip x random, in that nesting order", "[arch][sweep]") {
  const auto reg = arch::make_registry();
  const Json spec = {{"base", kBase},
                     {"grid", {{"adc.bits", {4, 6}}, {"dac.bits", {2, 3, 4}}}},
                     {"zip", {{"array.rows", {8, 12}}, {"array.cols", {4, 6}}}},
                     {"random",
                      {{"n", 3},
                       {"seed", 9},
                       {"params",
                        {{"chip.input_activity", {{"uniform", {0.2, 0.4}}}},
                         {"adc.share_columns", {{"int", {1, 4}}}},
                         {"device.preset", {{"choice", {"rram_wan", "pcm_ibm"}}}}}}}},
                     {"metrics", {"vmm.0.rel_rms_error.mean"}}};
  Json with_impl = spec;
  with_impl["base"]["adc"] = {{"impl", "sar"}};
  with_impl["base"]["dac"] = {{"impl", "bit_serial"}};
  const auto s = arch::SweepSpec::parse(with_impl, "", reg);
  REQUIRE(s.points.size() == 2 * 3 * 2 * 3);
  CHECK(s.params == std::vector<std::string>{"adc.bits", "dac.bits", "array.rows", "array.cols",
                                             "chip.input_activity", "adc.share_columns",
                                             "device.preset"});
  // The first grid key varies slowest, random samples fastest.
  CHECK(s.points[0].values[0] == 4);
  CHECK(s.points.back().values[0] == 6);
  CHECK(s.points[0].values[1] == 2);
  CHECK(s.points[3].values[2] == 12);  // second zip row after the three random samples
  CHECK(s.points[3].values[3] == 6);
  std::set<std::string> hashes;
  for (const auto& p : s.points) {
    const double a = p.values[4].get<double>();
    CHECK(a >= 0.2);
    CHECK(a <= 0.4);
    const auto k = p.values[5].get<long long>();
    CHECK(k >= 1);
    CHECK(k <= 4);
    CHECK(p.config.at("adc").at("bits") == p.values[0]);
    hashes.insert(p.hash);
  }
  // Random samples repeat across grid points (same seed), configs differ.
  CHECK(s.points[0].values[4] == s.points[6].values[4]);
  CHECK(hashes.size() == s.points.size());
  // The same spec expands to the same points and hashes.
  const auto again = arch::SweepSpec::parse(with_impl, "", reg);
  CHECK(again.points[17].hash == s.points[17].hash);
  CHECK(again.points[17].values == s.points[17].values);
}

TEST_CASE("sweep specs are checked before anything runs", "[arch][sweep]") {
  const auto reg = arch::make_registry();
  auto error_of = [&](const Json& spec) {
    try {
      arch::SweepSpec::parse(spec, "", reg);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error_of({{"base", kBase}, {"zip", {{"adc.bits", {4, 6}}, {"dac.bits", {2}}}}}),
             Catch::Contains("zip.dac.bits") && Catch::Contains("equally long"));
  CHECK_THAT(error_of({{"base", kBase}, {"gird", {{"adc.bits", {4}}}}}),
             Catch::Contains("gird") && Catch::Contains("\"grid\""));
  CHECK_THAT(error_of({{"base", kBase}, {"grid", {{"adc.impl", {"sar"}}, {"adc.bits", {6, 99}}}}}),
             Catch::Contains("sweep point 1") && Catch::Contains("adc.bits=99") &&
                 Catch::Contains("config adc.bits"));
  CHECK_THAT(error_of({{"base", kBase}, {"grid", {{"adc.bits", Json::array()}}}}),
             Catch::Contains("grid.adc.bits"));
  CHECK_THAT(error_of({{"base", kBase},
                       {"random", {{"n", 2}, {"params", {{"seed", {{"normal", {0, 1}}}}}}}}}),
             Catch::Contains("random.params.seed.normal"));
  CHECK_THAT(error_of({{"base", 3}}), Catch::Contains("sweep base"));
}

TEST_CASE("report values by dotted path", "[arch][sweep]") {
  const Json r = {{"vmm", {{{"err", 0.5}}, {{"err", 0.25}}}}, {"a", {{"b", 3}}}};
  CHECK(arch::report_value(r, "vmm.1.err") == 0.25);
  CHECK(arch::report_value(r, "a.b") == 3);
  CHECK(arch::report_value(r, "a.c").is_null());
  CHECK(arch::report_value(r, "vmm.7.err").is_null());
}
