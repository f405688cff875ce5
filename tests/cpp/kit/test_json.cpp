#include <catch2/catch.hpp>
#include <string>

#include "core/kit/error.h"
#include "core/kit/json.h"

using namespace xbarsim::kit;

TEST_CASE("parse_json accepts objects and refuses broken text", "[core][json]") {
  CHECK(parse_json(R"({"a": 1})", "t").at("a") == 1);
  CHECK_THROWS_AS(parse_json("", "t"), ConfigError);
  CHECK_THROWS_AS(parse_json("{\"a\": NaN}", "t"), ConfigError);
  CHECK_THROWS_AS(parse_json("{\"a\": 1} x", "t"), ConfigError);
  CHECK_THROWS_WITH(parse_json("{\"a\": 1e999}", "t"), Catch::Contains("overflow"));
  CHECK_THROWS_WITH(parse_json("{\"a\": \"\xff\"}", "t"), Catch::Contains("not valid JSON"));
}

TEST_CASE("parse_json refuses deep nesting without recursing", "[core][json]") {
  const std::string ok = std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']');
  CHECK_NOTHROW(parse_json(ok, "t"));
  const std::string deep = std::string(200000, '[');
  CHECK_THROWS_WITH(parse_json(deep, "t"), Catch::Contains("nested deeper"));
}

TEST_CASE("apply_set overrides nested paths with JSON or string values", "[core][json]") {
  Json c = Json::object();
  apply_set(c, "array.rows=128");
  apply_set(c, "adc.impl=sar");
  apply_set(c, "evaluation.times_s=[1, 2]");
  CHECK(c["array"]["rows"] == 128);
  CHECK(c["adc"]["impl"] == "sar");
  CHECK(c["evaluation"]["times_s"].size() == 2);
  CHECK_THROWS_AS(apply_set(c, "novalue"), InputError);
  CHECK_THROWS_AS(apply_set(c, "array..rows=1"), InputError);
  CHECK_THROWS_AS(apply_set(c, "adc.impl.bits=1"), ConfigError);  // impl is a string
}

TEST_CASE("closest_match suggests typo fixes only", "[core][json]") {
  const std::vector<std::string> keys = {"rows", "cols", "r_wire_row_ohm", "r_access_ohm"};
  CHECK(closest_match("rowz", keys) == "rows");
  CHECK(closest_match("Rows", keys) == "rows");
  CHECK(closest_match("r_wire_row", keys) == "r_wire_row_ohm");
  CHECK(closest_match("r_acess_ohm", keys) == "r_access_ohm");
  CHECK(closest_match("temperature", keys).empty());
}
