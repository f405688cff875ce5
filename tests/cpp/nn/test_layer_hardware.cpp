// Per-layer hardware ("layers" overrides): an override changes exactly its
// layer, in the performance model and on the tiles; digital layers run the
// float product; mistakes name the path and what exists.
#include <catch2/catch.hpp>

#include "core/jobs/registry_setup.h"
#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/nn/layer_hardware.h"
#include "core/nn/mapped_network.h"

using namespace xbarsim;
using kit::Json;

namespace {

Json lenet(Json layers = nullptr) {
  Json c = {{"network", "lenet5"},
            {"device", {{"preset", "rram_wan"}}},
            {"mapping", {{"impl", "differential"}, {"weight_bits", 8}, {"bits_per_cell", 4}}},
            {"dac", {{"impl", "bit_serial"}, {"bits", 8}, {"signed_drive", "none"}}},
            {"adc", {{"impl", "sar"}, {"bits", 8}}},
            // Without replication: spare tiles copy the slowest layers, so a
            // layer needing more tiles would change the others' replicas.
            {"chip", {{"multiple_chips", true}, {"replication", "none"}}}};
  if (!layers.is_null()) c["layers"] = layers;
  return c;
}

const Json& layer(const Json& report, const std::string& name) {
  for (const auto& l : report.at("ppa").at("layers")) {
    if (l.at("name") == name) return l;
  }
  FAIL("no layer " << name);
  return report;
}

std::string error_of(const Json& config) {
  const auto reg = jobs::make_registry();
  try {
    jobs::check_config(config, reg);
  } catch (const kit::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a per-layer override changes its layer's costs and no other's", "[nn][ppa]") {
  const auto reg = jobs::make_registry();
  const Json plain = jobs::run_job(lenet(), reg);
  const Json adc4 = jobs::run_job(lenet({{"linear_9", {{"adc", {{"bits", 4}}}}}}), reg);
  const Json small = jobs::run_job(lenet({{"0", {{"array", {{"rows", 16}, {"cols", 16}}}}}}), reg);
  for (const auto& l : plain.at("ppa").at("layers")) {
    const std::string name = l.at("name");
    INFO(name);
    if (name != "linear_9") CHECK(layer(adc4, name) == l);  // bitwise: every count and pJ
    if (name != "conv2d_0") CHECK(layer(small, name) == l);
  }
  const Json& a = layer(adc4, "linear_9");
  const Json& p = layer(plain, "linear_9");
  CHECK(a.at("energy_pj").at("adc") < p.at("energy_pj").at("adc"));
  CHECK(a.at("energy_pj").at("array") == p.at("energy_pj").at("array"));
  CHECK(a.at("tile") == Json{{"adc", reg.resolve("adc", {{"impl", "sar"}, {"bits", 4}}, "adc")}});
  // conv2d_0 (25 x 6) on 16 x 16 arrays: two row blocks, and more arrays.
  CHECK(layer(small, "conv2d_0").at("row_splits") == 2);
  CHECK(layer(plain, "conv2d_0").at("row_splits") == 1);
  // The chip's area counts each layer's tiles with their own arrays.
  CHECK(small.at("ppa").at("totals").at("area_mm2").at("arrays") <
        plain.at("ppa").at("totals").at("area_mm2").at("arrays"));
  CHECK(adc4.at("ppa").at("totals").at("area_mm2").at("dac") ==
        plain.at("ppa").at("totals").at("area_mm2").at("dac"));
}

TEST_CASE("kind, index and name overrides apply in that order", "[nn]") {
  const auto reg = jobs::make_registry();
  const Json cfg = lenet(Json::parse(R"({"linear_11": {"adc": {"bits": 5}},
                                         "-1": {"adc": {"bits": 6}},
                                         "linear": {"adc": {"bits": 7}, "dac": {"bits": 4}}})"));
  const Json r = jobs::check_config(cfg, reg);
  const Json& layers = r.at("layers");
  CHECK(layers.at("linear_7").at("adc").at("bits") == 7);
  CHECK(layers.at("linear_9").at("dac").at("bits") == 4);
  CHECK(layers.at("linear_11").at("adc").at("bits") == 5);  // name beats index beats kind
  CHECK(layers.at("linear_11").at("dac").at("bits") == 4);  // merged, not replaced
  CHECK_FALSE(layers.contains("conv2d_0"));
  // Another impl replaces the node rather than merging into it.
  const Json flash =
      jobs::check_config(lenet({{"conv2d_3", {{"adc", {{"impl", "flash"}, {"bits", 3}}}}}}), reg);
  CHECK(flash.at("layers").at("conv2d_3").at("adc").at("impl") == "flash");
}

TEST_CASE("a digital layer runs the float product and has no arrays", "[nn][ppa]") {
  const auto reg = jobs::make_registry();
  const Json cfg = lenet({{"linear_7", {{"digital", true}}}});
  const Json r = jobs::run_job(cfg, reg);
  const Json& l = layer(r, "linear_7");
  CHECK_FALSE(l.contains("arrays"));
  CHECK(l.at("on") == "digital units");
  CHECK(l.at("digital_macs") == 400.0 * 120.0);
  CHECK(l.at("energy_pj").at("adc") == 0.0);
  CHECK(l.at("energy_pj").at("digital") > 0.0);
  // Functional: the digital layer's product is the float one, and every
  // other layer's tiles hold the same conductances as without the override.
  const nn::Network net = nn::Network::parse("lenet5", "network");
  const nn::Weights w = nn::Weights::init(net, 3);
  const tile::TileSpec base = tile::TileSpec::parse(lenet(), reg);
  const nn::LayerHardware hw = nn::LayerHardware::parse(cfg, base, net, reg);
  nn::MappedNetwork on_tiles(net, w, base, reg, 0), mixed(net, w, hw, reg, 0);
  for (const auto i : net.matrix_layers()) {
    INFO(net.layers[i].name);
    if (net.layers[i].name == "linear_7") {
      CHECK(mixed.blocks(i).empty());
      continue;
    }
    REQUIRE(mixed.blocks(i).size() == on_tiles.blocks(i).size());
    for (std::size_t b = 0; b < mixed.blocks(i).size(); ++b) {
      const auto g = mixed.blocks(i)[b].tile->conductances(0.0);
      for (const auto& [name, ref] : on_tiles.blocks(i)[b].tile->conductances(0.0)) {
        CHECK(g.at(name).data == ref.data);
      }
    }
  }
  // All layers digital: the network's float forward pass, exactly.
  Json all = Json::object();
  for (const auto i : net.matrix_layers()) all[net.layers[i].name] = {{"digital", true}};
  const Json totals = jobs::run_job(lenet(all), reg).at("ppa").at("totals");
  CHECK(totals.at("tiles_used") == 0);
  CHECK(totals.at("chips") == 1.0);  // the digital units' chip
  CHECK(totals.at("digital_macs") == totals.at("macs").get<double>() + net.macs());
  nn::MappedNetwork digital(net, w, nn::LayerHardware::parse(lenet(all), base, net, reg), reg, 0);
  const nn::RowMatrixF x = nn::RowMatrixF::Random(4, 784).cwiseAbs();
  CHECK(digital.run(x, 1.0) == nn::forward(net, w, x, nn::float_product(net, w)));
}

TEST_CASE("bad per-layer overrides are refused naming the path", "[nn]") {
  CHECK_THAT(error_of(lenet({{"fc3", {{"adc", {{"bits", 4}}}}}})),
             Catch::Contains("config layers.fc3: no matrix layer, layer kind or matrix-layer "
                             "index \"fc3\" in network \"lenet5\"") &&
                 Catch::Contains("conv2d_0, conv2d_3, linear_7, linear_9, linear_11"));
  CHECK_THAT(error_of(lenet({{"linear_l1", {{"adc", {{"bits", 4}}}}}})),
             Catch::Contains("did you mean \"linear_11\"?"));
  CHECK_THAT(error_of(lenet({{"relu_1", {{"adc", {{"bits", 4}}}}}})),
             Catch::Contains("layer \"relu_1\" (relu) has no weights on tiles"));
  CHECK_THAT(error_of(lenet({{"5", {{"adc", {{"bits", 4}}}}}})),
             Catch::Contains("matrix-layer index 5 is out of range") &&
                 Catch::Contains("5 matrix layers (0 to 4, or -5 to -1"));
  CHECK_THAT(error_of(lenet({{"linear_7", {{"digital", true}, {"adc", {{"bits", 4}}}}}})),
             Catch::Contains("config layers.linear_7.adc: a digital layer has no tile"));
  CHECK_THAT(error_of(lenet({{"linear_7", {{"seed", 3}}}})),
             Catch::Contains("config layers.linear_7.seed: not a per-layer key"));
  CHECK_THAT(error_of(lenet({{"linear_7", {{"adc", {{"bitz", 4}}}}}})),
             Catch::Contains("config layers.linear_7.adc.bitz") &&
                 Catch::Contains("did you mean \"bits\"?"));
  CHECK_THAT(error_of(lenet({{"conv2d", {{"adc", {{"bits", 99}}}}}})),
             Catch::Contains("config layers.conv2d.adc.bits"));
  CHECK_THAT(error_of(lenet(Json::array())), Catch::Contains("config layers: expected an object"));
}
