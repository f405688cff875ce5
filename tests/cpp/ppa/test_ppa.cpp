#include <catch2/catch.hpp>
#include <cmath>

#include "core/jobs/registry_setup.h"
#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/kit/rng.h"
#include "core/ppa/hardware.h"
#include "core/ppa/performance.h"
#include "core/tile/tile.h"

using namespace xbarsim;
using kit::Json;

namespace {

Json base(std::size_t rows, std::size_t cols) {
  return {{"array", {{"rows", rows}, {"cols", cols}}},
          {"device", {{"impl", "ideal"}, {"g_min_us", 2.0}, {"g_max_us", 50.0}}},
          {"read_noise", {{"mode", "off"}}},
          {"drift_compensation", "none"}};
}

ppa::Accelerator accelerator(const Json& cfg, const kit::Registry& reg) {
  return ppa::Accelerator(tile::TileSpec::parse(cfg, reg), ppa::HardwareSpec::parse(cfg, reg), reg);
}

}  // namespace

TEST_CASE("mapping counts equal the functional pipeline's counts", "[arch][ppa]") {
  const auto reg = jobs::make_registry();
  const std::size_t rows = 20, cols = 14, batch = 6;
  kit::NdArray w{{rows, cols}, std::vector<double>(rows * cols)};
  kit::Stream(1, "test", "w").fill_normal(std::span<double>(w.data));
  kit::NdArray x{{batch, rows}, std::vector<double>(batch * rows)};
  kit::Stream(2, "test", "x").fill_normal(std::span<double>(x.data));
  const std::vector<std::pair<Json, Json>> cases = {
      {{{"impl", "bit_serial"}, {"bits", 8}}, {{"impl", "sar"}, {"bits", 6}}},
      {{{"impl", "bit_serial"}, {"bits", 5}, {"signed_drive", "two_phase"}},
       {{"impl", "flash"}, {"bits", 4}, {"share_columns", 4}}},
      {{{"impl", "multibit"}, {"bits", 6}}, {{"impl", "ramp"}, {"bits", 5}}},
      {{{"impl", "pwm"}, {"bits", 6}, {"signed_drive", "two_phase"}}, {{"impl", "ideal"}}},
      {{{"impl", "ideal"}}, {{"impl", "sar"}, {"bits", 8}}}};
  for (const std::string mapping : {"differential", "offset"}) {
    for (const auto& [dac, adc] : cases) {
      Json cfg = base(32, 16);
      cfg["mapping"] = {{"impl", mapping}, {"weight_bits", 7}, {"bits_per_cell", 2}};
      cfg["dac"] = dac;
      cfg["adc"] = adc;
      tile::Tile tile(tile::TileSpec::parse(cfg, reg), reg);
      tile.program(w);
      tile.vmm(x);
      auto functional = tile.last_actions().to_json().at("counts");
      auto model = accelerator(cfg, reg).group_actions(batch, rows, cols).to_json().at("counts");
      // Pulses and clipping depend on the data, not on the mapping.
      for (auto* j : {&functional, &model}) {
        j->erase("dac_pulses");
        j->erase("adc_clipped");
      }
      INFO(mapping << " " << dac.dump() << " " << adc.dump());
      CHECK(functional == model);
    }
  }
}

TEST_CASE("static array energy equals the pipeline's measured one at the same activity",
          "[arch][ppa]") {
  // Every weight at +w_max (G+ = g_max, G- = g_min: mean fraction 0.5) and
  // every input at full scale (all bit planes ones: activity 1).
  const auto reg = jobs::make_registry();
  const std::size_t rows = 16, cols = 8;
  Json cfg = base(rows, cols);
  cfg["mapping"] = {{"weight_bits", 0}};
  cfg["dac"] = {{"impl", "bit_serial"}, {"bits", 4}, {"signed_drive", "none"}};
  cfg["adc"] = {{"impl", "sar"}, {"bits", 6}};
  cfg["chip"] = {{"input_activity", 1.0}, {"conductance_fraction", 0.5}};
  cfg["network"] = {{"input", {rows}},
                    {"layers", {{{"type", "linear"}, {"out_features", cols}, {"bias", false}}}}};
  tile::Tile tile(tile::TileSpec::parse(cfg, reg), reg);
  tile.program(kit::NdArray{{rows, cols}, std::vector<double>(rows * cols, 1.0)});
  tile.vmm(kit::NdArray{{1, rows}, std::vector<double>(rows, 1.0)});
  const auto report = jobs::run_job(cfg, reg);
  const auto& layer = report.at("ppa").at("layers").at(0);
  CHECK(layer.at("energy_pj").at("array").get<double>() ==
        Approx(tile.last_actions().array_pj).epsilon(1e-5));
  CHECK(layer.at("energy_pj").at("adc").get<double>() ==
        Approx(tile.last_actions().adc_pj).epsilon(1e-9));
  CHECK(layer.at("energy_pj").at("dac").get<double>() ==
        Approx(tile.last_actions().dac_pj).epsilon(1e-9));
}

TEST_CASE("layers split over arrays and tiles; a small chip is a clear error", "[arch][ppa]") {
  const auto reg = jobs::make_registry();
  Json cfg = base(128, 128);
  cfg["mapping"] = {{"impl", "differential"}, {"weight_bits", 8}, {"bits_per_cell", 4}};
  cfg["network"] = {{"input", {300}}, {"layers", {{{"type", "linear"}, {"out_features", 200}}}}};
  cfg["pe"] = {{"arrays", 4}};
  cfg["tile"] = {{"pes", 2}};
  const auto acc = accelerator(cfg, reg);
  const auto net = nn::Network::parse(cfg["network"], "network");
  const auto maps = acc.map(net);
  REQUIRE(maps.size() == 1);
  // 300 rows over 128 -> 3 splits; 200 columns -> 2; 2 slices of 4 bits (7
  // magnitude bits); a G+ and a G- crossbar each: 24 arrays, 8 per tile -> 3 tiles.
  CHECK(maps[0].row_splits == 3);
  CHECK(maps[0].col_splits == 2);
  CHECK(maps[0].arrays == 24);
  CHECK(maps[0].tiles == 3);
  CHECK(maps[0].utilization == Approx(300.0 * 200.0 / (6.0 * 128 * 128)));

  cfg["chip"] = {{"tiles", 2}};
  try {
    accelerator(cfg, reg).map(net);
    FAIL("expected an error");
  } catch (const kit::InputError& e) {
    CHECK_THAT(std::string(e.what()),
               Catch::Contains("needs 3 tiles") && Catch::Contains("chip.tiles"));
  }
  cfg["chip"]["multiple_chips"] = true;
  const auto r = jobs::run_job(cfg, reg);
  CHECK(r.at("ppa").at("totals").at("chips").get<double>() == 2.0);
}

TEST_CASE("schedules, replication and the totals are consistent", "[arch][ppa]") {
  const auto reg = jobs::make_registry();
  Json cfg = base(128, 128);
  cfg["network"] = "lenet5";
  cfg["dac"] = {{"impl", "bit_serial"}, {"bits", 8}, {"signed_drive", "none"}};
  cfg["adc"] = {{"impl", "sar"}, {"bits", 6}};
  cfg["chip"] = {{"tiles", 64}, {"replication", "none"}};
  auto totals = [&](const Json& c) { return jobs::run_job(c, reg).at("ppa"); };
  const auto pipe = totals(cfg);
  double sum = 0, worst = 0;
  for (const auto& l : pipe.at("layers")) {
    sum += l.at("latency_ns").get<double>();
    worst = std::max(worst, l.at("latency_ns").get<double>());
  }
  const auto& t = pipe.at("totals");
  CHECK(t.at("interval_ns").get<double>() == Approx(worst));
  CHECK(t.at("latency_ns").get<double>() == Approx(sum));
  double parts = 0;
  for (const auto& [k, v] : t.at("energy_pj").items()) {
    if (k != "total") parts += v.get<double>();
  }
  CHECK(parts == Approx(t.at("energy_pj").at("total").get<double>()));
  CHECK(t.at("tops_per_w").get<double>() ==
        Approx(2 * t.at("macs").get<double>() / t.at("energy_pj").at("total").get<double>()));
  CHECK(t.at("macs").get<double>() == Approx(406656));  // without the padded zeros

  cfg["chip"]["schedule"] = "layer_by_layer";
  CHECK(totals(cfg).at("totals").at("interval_ns").get<double>() == Approx(sum));
  cfg["chip"]["schedule"] = "pipelined";
  cfg["chip"]["replication"] = "auto";
  const auto rep = totals(cfg).at("totals");
  CHECK(rep.at("interval_ns").get<double>() < 0.5 * worst);  // conv1 (784 vectors) is copied
  CHECK(rep.at("tiles_used").get<std::size_t>() <= 64);
  CHECK(rep.at("tiles_used").get<std::size_t>() > t.at("tiles_used").get<std::size_t>());
}

TEST_CASE("NeuRRAM's measured TOPS/W is reproduced within 1.5x from its description",
          "[arch][ppa][chips]") {
  const auto reg = jobs::make_registry();
  const Json chip =
      kit::load_json_file(std::string(XBARSIM_SOURCE_DIR) + "/configs/chips/neurram.json");
  // Wan et al. 2022, Extended Data Fig. 12e: (input bits, output bits) -> TOPS/W.
  for (const auto& [in, out, measured] :
       {std::tuple{1, 3, 43.1}, std::tuple{4, 6, 16.0}, std::tuple{8, 10, 6.4}}) {
    Json cfg = chip;
    cfg["dac"]["bits"] = in;
    if (in == 1) cfg["dac"]["signed_drive"] = "none";  // one input bit: 0 or 1
    cfg["adc"]["bits"] = out;
    const auto r = jobs::run_job(cfg, reg);
    const auto& cmp = r.at("measured").at("tops_per_w");
    INFO(in << " bits in, " << out << " bits out: simulated " << cmp.at("simulated").get<double>());
    CHECK(cmp.at("measured").get<double>() == measured);
    CHECK(cmp.at("ratio").get<double>() < 1.5);
    CHECK(cmp.at("ratio").get<double>() > 1 / 1.5);
  }
}

TEST_CASE(
    "VGG-8 configured like DNN+NeuroSim lands within 1.5x of NeuroSim's energy and, in its "
    "op convention, its TOPS/W",
    "[arch][ppa][chips]") {
  const auto reg = jobs::make_registry();
  const Json cfg =
      kit::load_json_file(std::string(XBARSIM_SOURCE_DIR) + "/configs/chips/neurosim_vgg8.json");
  const auto r = jobs::run_job(cfg, reg);
  const auto& e = r.at("measured").at("energy_pj");
  INFO("energy per image: NeuroSim " << e.at("measured").get<double>() << " pJ, xbarsim "
                                     << e.at("simulated").get<double>() << " pJ");
  CHECK(e.at("ratio").get<double>() < 1.5);
  CHECK(e.at("ratio").get<double>() > 1 / 1.5);
  // NeuroSim counts 2 ops per MAC over every output window, padded border
  // included, and divides TOPS/W by its calibration factor 1.23.
  const auto& t = r.at("ppa").at("totals");
  const double macs_neurosim = 615917568.0;
  CHECK(t.at("macs_padded").get<double>() == Approx(macs_neurosim).epsilon(1e-9));
  const double tops_w = 2 * macs_neurosim / t.at("energy_pj").at("total").get<double>() / 1.23;
  const double ratio = tops_w / r.at("measured").at("tops_per_w").at("measured").get<double>();
  INFO("TOPS/W in NeuroSim's convention: " << tops_w);
  CHECK(ratio < 1.5);
  CHECK(ratio > 1 / 1.5);
}
