#include <catch2/catch.hpp>

#include "core/arch/setup.h"
#include "core/arch/tile_spec.h"
#include "core/kit/error.h"
#include "core/kit/params.h"

using namespace xbarsim;
using kit::Json;

TEST_CASE("resolve_params fills defaults and checks types and ranges", "[core][params]") {
  const std::vector<kit::ParamInfo> table = {
      kit::int_param("rows", 256, 1, 65536, "rows"),
      kit::positive_param("v_read_v", 0.2, "V", "read voltage"),
      kit::choice_param("cell", "1T1R", {"1T1R", "1R"}, "cell")};
  const Json out = kit::resolve_params(Json{{"rows", 64}}, "array", table);
  CHECK(out.at("rows") == 64);
  CHECK(out.at("v_read_v").get<double>() == Approx(0.2));
  CHECK(out.at("cell") == "1T1R");
  CHECK(out.begin().key() == "rows");  // table order

  CHECK_THROWS_WITH(kit::resolve_params(Json{{"rows", "64"}}, "array", table),
                    "config array.rows: expected an integer, got string");
  CHECK_THROWS_WITH(kit::resolve_params(Json{{"rows", 3.5}}, "array", table),
                    Catch::Contains("expected an integer, got 3.5"));
  CHECK_THROWS_WITH(kit::resolve_params(Json{{"rows", 0}}, "array", table),
                    Catch::Contains("array.rows: 0 is out of range"));
  CHECK_THROWS_WITH(kit::resolve_params(Json{{"v_read_v", 0.0}}, "array", table),
                    Catch::Contains("must be > 0"));
  CHECK_THROWS_WITH(kit::resolve_params(Json{{"rowz", 1}}, "array", table),
                    "config array.rowz: unknown key; did you mean \"rows\"?");
  CHECK_THROWS_WITH(kit::resolve_params(Json{{"cell", "2T2R"}}, "array", table),
                    Catch::Contains("\"2T2R\" is not allowed"));
}

TEST_CASE("tile configs resolve presets, impls and cross-field rules", "[core][params]") {
  const auto reg = arch::make_registry();
  const auto spec =
      arch::TileSpec::parse(Json{{"device", {{"preset", "pcm_ibm"}, {"g_max_us", 20.0}}}}, reg);
  CHECK(spec.device.at("impl") == "pcm_ibm");
  CHECK(spec.device.at("g_max_us").get<double>() == Approx(20.0));    // override wins
  CHECK(spec.device.at("drift_t0_s").get<double>() == Approx(20.0));  // from the preset
  CHECK(spec.device.contains("source"));
  CHECK(spec.to_json().at("array").at("rows") == 256);

  CHECK_THROWS_WITH(arch::TileSpec::parse(Json{{"device", {{"preset", "pcm_ibn"}}}}, reg),
                    Catch::Contains("did you mean \"pcm_ibm\""));
  CHECK_THROWS_WITH(arch::TileSpec::parse(Json{{"adc", {{"impl", "foo"}}}}, reg),
                    Catch::StartsWith("config adc.impl: unknown impl \"foo\""));
  CHECK_THROWS_WITH(arch::TileSpec::parse(Json{{"arrey", Json::object()}}, reg),
                    Catch::Contains("did you mean \"array\""));
  CHECK_THROWS_WITH(
      arch::TileSpec::parse(Json{{"device", {{"g_min_us", 50.0}, {"g_max_us", 10.0}}}}, reg),
      Catch::Contains("g_min_us (50) must be below g_max_us (10)"));
  CHECK_THROWS_WITH(
      arch::TileSpec::parse(Json{{"device", {{"levels", 8}}}, {"mapping", {{"bits_per_cell", 4}}}},
                            reg),
      Catch::Contains("need 16 levels but the device has 8"));
  CHECK_THROWS_AS(arch::TileSpec::parse(Json::array(), reg), kit::ConfigError);
}

TEST_CASE("every preset resolves and every default is valid", "[core][params]") {
  const auto reg = arch::make_registry();
  for (const auto& [name, preset] : reg.presets("device")) {
    INFO(name);
    CHECK(preset.contains("source"));
    CHECK_NOTHROW(arch::TileSpec::parse(Json{{"device", {{"preset", name}}}}, reg));
  }
  for (const auto& component : reg.components()) {
    for (const auto& impl : reg.impls(component)) {
      INFO(component << " " << impl);
      Json node = Json::object();
      if (!impl.empty()) node["impl"] = impl;
      CHECK_NOTHROW(reg.resolve(component, node, component));
    }
  }
  CHECK(reg.schema().at("device").at("variants").contains("pcm_ibm"));
}
