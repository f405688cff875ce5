// Tile configs: presets, impls and cross-field rules, and every preset's defaults.
#include <catch2/catch.hpp>

#include "core/jobs/registry_setup.h"
#include "core/kit/error.h"
#include "core/tile/tile_spec.h"

using namespace xbarsim;
using kit::Json;

TEST_CASE("tile configs resolve presets, impls and cross-field rules", "[core][params]") {
  const auto reg = jobs::make_registry();
  const auto spec =
      tile::TileSpec::parse(Json{{"device", {{"preset", "pcm_ibm"}, {"g_max_us", 20.0}}}}, reg);
  CHECK(spec.device.at("impl") == "pcm_ibm");
  CHECK(spec.device.at("g_max_us").get<double>() == Approx(20.0));    // override wins
  CHECK(spec.device.at("drift_t0_s").get<double>() == Approx(20.0));  // from the preset
  CHECK(spec.device.contains("source"));
  CHECK(spec.to_json().at("array").at("rows") == 256);

  CHECK_THROWS_WITH(tile::TileSpec::parse(Json{{"device", {{"preset", "pcm_ibn"}}}}, reg),
                    Catch::Contains("did you mean \"pcm_ibm\""));
  CHECK_THROWS_WITH(tile::TileSpec::parse(Json{{"adc", {{"impl", "foo"}}}}, reg),
                    Catch::StartsWith("config adc.impl: unknown impl \"foo\""));
  CHECK_THROWS_WITH(tile::TileSpec::parse(Json{{"arrey", Json::object()}}, reg),
                    Catch::Contains("did you mean \"array\""));
  CHECK_THROWS_WITH(
      tile::TileSpec::parse(Json{{"device", {{"g_min_us", 50.0}, {"g_max_us", 10.0}}}}, reg),
      Catch::Contains("g_min_us (50) must be below g_max_us (10)"));
  CHECK_THROWS_WITH(
      tile::TileSpec::parse(Json{{"device", {{"levels", 8}}}, {"mapping", {{"bits_per_cell", 4}}}},
                            reg),
      Catch::Contains("need 16 levels but the device has 8"));
  CHECK_THROWS_AS(tile::TileSpec::parse(Json::array(), reg), kit::ConfigError);
}

TEST_CASE("every preset resolves and every default is valid", "[core][params]") {
  const auto reg = jobs::make_registry();
  for (const auto& [name, preset] : reg.presets("device")) {
    INFO(name);
    CHECK(preset.contains("source"));
    CHECK_NOTHROW(tile::TileSpec::parse(Json{{"device", {{"preset", name}}}}, reg));
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
