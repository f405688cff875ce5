#include <catch2/catch.hpp>

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
                    Catch::StartsWith("config array.rowz: unknown key; did you mean \"rows\"? "
                                      "known keys are rows,"));
  CHECK_THROWS_WITH(kit::resolve_params(Json{{"cell", "2T2R"}}, "array", table),
                    Catch::Contains("\"2T2R\" is not allowed"));
}

TEST_CASE("an object parameter takes a component node and says so in the schema",
          "[core][params]") {
  const std::vector<kit::ParamInfo> params = {
      kit::object_param("adc", "(the config's)", "the layer's adc node")};
  CHECK_NOTHROW(kit::check_param(params[0], kit::Json{{"bits", 4}}, "layers.conv2d.adc"));
  CHECK_THROWS_WITH(
      kit::check_param(params[0], kit::Json("sar"), "layers.conv2d.adc"),
      Catch::Contains("layers.conv2d.adc") && Catch::Contains("expected an object, got string"));
  CHECK(kit::params_schema(params).dump().find("\"object\"") != std::string::npos);
}
