// The tile's mapping onto devices: the exact quantized product with ideal
// devices, discrete device levels, wire resistance from the technology.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/jobs/registry_setup.h"
#include "core/kit/gemm.h"
#include "core/tile/tile.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;
using test::gaussian;

TEST_CASE("ideal devices reproduce the exact quantized product for every mapping",
          "[arrays][mapping]") {
  const auto reg = jobs::make_registry();
  const auto w = gaussian(48, 20, 3);
  const auto x = gaussian(5, 48, 4);
  struct Case {
    const char* impl;
    int bits;
    int bpc;
  };
  for (const Case c : {Case{"differential", 8, 2}, Case{"differential", 6, 5}, Case{"offset", 8, 3},
                       Case{"offset", 0, 1}, Case{"differential", 0, 1}}) {
    INFO(c.impl << " " << c.bits << " bits, " << c.bpc << " per cell");
    const Json cfg = {
        {"array", {{"rows", 48}, {"cols", 20}}},
        {"device", {{"impl", "ideal"}, {"g_min_us", 2.0}, {"g_max_us", 50.0}}},
        {"mapping", {{"impl", c.impl}, {"weight_bits", c.bits}, {"bits_per_cell", c.bpc}}},
        {"read_noise", {{"mode", "off"}}},
        {"drift_compensation", "none"}};
    tile::Tile tile(tile::TileSpec::parse(cfg, reg), reg);
    tile.program(w);
    const auto y = tile.vmm(x);
    const auto y_q =
        kit::matmul(x, kit::NdArray{{48, 20}, tile.mapping().quantized(w.data, 48, 20)});
    double scale = 0;
    for (const double v : y_q.data) scale = std::max(scale, std::abs(v));
    for (std::size_t k = 0; k < y.data.size(); ++k)
      CHECK(y.data[k] == Approx(y_q.data[k]).margin(1e-5 * scale));
  }
}

TEST_CASE("targets snap to the device's discrete levels", "[arrays][mapping]") {
  const auto reg = jobs::make_registry();
  // Analog mapping onto a 5-level device: every conductance lands on a level.
  const Json cfg = {
      {"array", {{"rows", 16}, {"cols", 8}}},
      {"device", {{"impl", "ideal"}, {"g_min_us", 10.0}, {"g_max_us", 50.0}, {"levels", 5}}},
      {"mapping", {{"weight_bits", 0}}},
      {"read_noise", {{"mode", "off"}}},
      {"drift_compensation", "none"}};
  tile::Tile tile(tile::TileSpec::parse(cfg, reg), reg);
  tile.program(gaussian(16, 8, 9));
  std::size_t off_level = 0, distinct_mid = 0;
  for (const auto& [name, g] : tile.conductances(0)) {
    for (const double v : g.data) {
      const double k = (v - 10.0) / 10.0;
      if (std::abs(k - std::round(k)) > 1e-9) ++off_level;
      if (k > 0.5 && k < 3.5) ++distinct_mid;
    }
  }
  CHECK(off_level == 0);
  CHECK(distinct_mid > 0);  // not everything collapsed to the window's ends
}

TEST_CASE("wire resistance from the technology: rho*L/(w*h) with the temperature rule",
          "[arrays][circuit]") {
  const auto reg = jobs::make_registry();
  const Json cfg = {{"array",
                     {{"wire_rho_ohm_m", 2.0e-8},
                      {"wire_width_nm", 40.0},
                      {"wire_aspect_ratio", 2.5},
                      {"cell_pitch_nm", 120.0},
                      {"wire_temperature_k", 350.0}}}};
  const auto spec = tile::TileSpec::parse(cfg, reg);
  // 2e-8·(1 + 0.00451·50)·120e-9 / (40e-9 · 100e-9) = 0.7353 Ω.
  const double expected = 2.0e-8 * (1.0 + 0.00451 * 50.0) * 120e-9 / (40e-9 * 40e-9 * 2.5);
  CHECK(spec.array.r_wire_row_ohm == Approx(expected).epsilon(1e-12));
  CHECK(spec.array.r_wire_col_ohm == Approx(0.7353).epsilon(1e-3));
}
