#include <catch2/catch.hpp>
#include <cmath>

#include "arrays/circuit.h"
#include "arrays/mapping.h"
#include "core/arch/setup.h"
#include "core/arch/tile.h"
#include "core/kit/rng.h"

using namespace xbarsim;
using kit::Json;

namespace {

kit::NdArray gaussian(std::size_t r, std::size_t c, std::uint64_t seed) {
  kit::NdArray a{{r, c}, std::vector<double>(r * c)};
  kit::Stream(seed, "test", "matrix").fill_normal(std::span<double>(a.data));
  return a;
}

arrays::MappingSpec spec(const std::string& impl, int bits, int bpc,
                         const std::string& scaling = "layer", double pct = 100.0) {
  arrays::MappingSpec s;
  s.impl = impl;
  s.weight_bits = bits;
  s.bits_per_cell = bpc;
  s.scaling = scaling;
  s.clip_percentile = pct;
  return s;
}

}  // namespace

TEST_CASE("quantized weights lie on the 2^(b-1)-1 grid of the range", "[arrays][mapping]") {
  const arrays::Mapping m(spec("differential", 4, 4), 0.0, 10.0, 0);
  const auto w = gaussian(16, 8, 1);
  const auto q = m.quantized(w.data, 16, 8);
  double wmax = 0;
  for (const double v : w.data) wmax = std::max(wmax, std::abs(v));
  for (std::size_t k = 0; k < q.size(); ++k) {
    const double code = q[k] / wmax * 7.0;
    CHECK(code == Approx(std::round(code)).margin(1e-9));
    CHECK(std::abs(q[k] - w.data[k]) <= wmax / 7.0 / 2.0 + 1e-12);
  }
}

TEST_CASE("bit slices recombine to the integer code", "[arrays][mapping]") {
  // 8-bit differential, 2 bits per cell: 7 magnitude bits over 4 slices.
  const arrays::Mapping m(spec("differential", 8, 2), 1.0, 4.0, 4);
  REQUIRE(m.slices() == 4);
  const kit::NdArray w{{1, 3}, {1.0, -0.5, 0.25}};
  const auto mw = m.map(w.data, 1, 3);
  for (std::size_t j = 0; j < 3; ++j) {
    double recombined = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      recombined += mw.slice_weight[k] * (mw.targets_pos[k][j] - mw.targets_neg[k][j]);
      CHECK(mw.targets_pos[k][j] >= 1.0);
      CHECK(mw.targets_pos[k][j] <= 4.0);
    }
    CHECK(recombined * mw.col_scale[j] == Approx(std::round(w.data[j] * 127) / 127).epsilon(1e-12));
  }
}

TEST_CASE("a spread top slice spans the window and still recombines exactly", "[arrays][mapping]") {
  // 6-bit differential on 4-bit cells: 5 magnitude bits = 4 + 1. Aligned,
  // the 1-bit top slice sits on levels 0 and 1 of 15; spread, on 0 and 15,
  // with its digital weight 16/15.
  for (const std::string impl : {"differential", "offset"}) {
    auto sp = spec(impl, 6, 4), sa = sp;
    sp.msb_slice = "spread";
    sa.msb_slice = "aligned";
    const arrays::Mapping spread(sp, 2.0, 17.0, 16), aligned(sa, 2.0, 17.0, 16);
    REQUIRE(spread.slices() == 2);
    const double top = impl == "differential" ? 15.0 : 5.0;  // offset: 2 top bits, 15/3 = 5
    CHECK(spread.slice_weights()[1] == Approx(16.0 / top));
    CHECK(aligned.slice_weights()[1] == Approx(16.0));
    const auto w = gaussian(9, 7, 11);
    const auto ms = spread.map(w.data, 9, 7), ma = aligned.map(w.data, 9, 7);
    double top_max = 0;
    for (const double g : ms.targets_pos[1]) top_max = std::max(top_max, g);
    CHECK(top_max == Approx(17.0));  // the largest weight's top digit reaches g_max
    for (std::size_t idx = 0; idx < 63; ++idx) {
      const std::size_t j = idx % 7;
      double rs = 0, ra = 0;  // recombined logical weights
      for (std::size_t k = 0; k < 2; ++k) {
        const std::size_t ref = impl == "differential" ? idx : idx / 7;
        rs += ms.slice_weight[k] * (ms.targets_pos[k][idx] - ms.targets_neg[k][ref]);
        ra += ma.slice_weight[k] * (ma.targets_pos[k][idx] - ma.targets_neg[k][ref]);
      }
      CHECK(rs * ms.col_scale[j] == Approx(ra * ma.col_scale[j]).margin(1e-12));
    }
  }
}

TEST_CASE("clipping counts weights beyond the percentile range", "[arrays][mapping]") {
  const arrays::Mapping m(spec("differential", 8, 8, "layer", 90.0), 0.0, 10.0, 0);
  const auto w = gaussian(100, 100, 2);
  const auto mw = m.map(w.data, 100, 100);
  CHECK(static_cast<double>(mw.clipped) == Approx(1000).margin(2));
  const arrays::Mapping full(spec("differential", 8, 8), 0.0, 10.0, 0);
  CHECK(full.map(w.data, 100, 100).clipped == 0);
}

TEST_CASE("per-column scaling gives each column its own range", "[arrays][mapping]") {
  const arrays::Mapping m(spec("differential", 0, 1, "column"), 0.0, 10.0, 0);
  const kit::NdArray w{{2, 2}, {1.0, 100.0, -0.5, 50.0}};
  const auto mw = m.map(w.data, 2, 2);
  CHECK(mw.targets_pos[0][0] == Approx(10.0));  // column max -> g_max
  CHECK(mw.targets_pos[0][1] == Approx(10.0));
  CHECK(mw.targets_neg[0][2] == Approx(5.0));
  CHECK(mw.w_max[0] == Approx(1.0));
  CHECK(mw.w_max[1] == Approx(100.0));
}

TEST_CASE("ideal devices reproduce the exact quantized product for every mapping",
          "[arrays][mapping]") {
  const auto reg = arch::make_registry();
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
    arch::Tile tile(arch::TileSpec::parse(cfg, reg), reg);
    tile.program(w);
    const auto y = tile.vmm(x);
    const auto y_q =
        arch::Tile::matmul(x, kit::NdArray{{48, 20}, tile.mapping().quantized(w.data, 48, 20)});
    double scale = 0;
    for (const double v : y_q.data) scale = std::max(scale, std::abs(v));
    for (std::size_t k = 0; k < y.data.size(); ++k)
      CHECK(y.data[k] == Approx(y_q.data[k]).margin(1e-5 * scale));
  }
}

TEST_CASE("targets snap to the device's discrete levels", "[arrays][mapping]") {
  const auto reg = arch::make_registry();
  // Analog mapping onto a 5-level device: every conductance lands on a level.
  const Json cfg = {
      {"array", {{"rows", 16}, {"cols", 8}}},
      {"device", {{"impl", "ideal"}, {"g_min_us", 10.0}, {"g_max_us", 50.0}, {"levels", 5}}},
      {"mapping", {{"weight_bits", 0}}},
      {"read_noise", {{"mode", "off"}}},
      {"drift_compensation", "none"}};
  arch::Tile tile(arch::TileSpec::parse(cfg, reg), reg);
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
  const auto reg = arch::make_registry();
  const Json cfg = {{"array",
                     {{"wire_rho_ohm_m", 2.0e-8},
                      {"wire_width_nm", 40.0},
                      {"wire_aspect_ratio", 2.5},
                      {"cell_pitch_nm", 120.0},
                      {"wire_temperature_k", 350.0}}}};
  const auto spec = arch::TileSpec::parse(cfg, reg);
  // 2e-8·(1 + 0.00451·50)·120e-9 / (40e-9 · 100e-9) = 0.7353 Ω.
  const double expected = 2.0e-8 * (1.0 + 0.00451 * 50.0) * 120e-9 / (40e-9 * 40e-9 * 2.5);
  CHECK(spec.array.r_wire_row_ohm == Approx(expected).epsilon(1e-12));
  CHECK(spec.array.r_wire_col_ohm == Approx(0.7353).epsilon(1e-3));
}

TEST_CASE("the effective matrix T reproduces the circuit: I = V·T", "[arrays][circuit]") {
  arrays::CircuitSpec c;
  c.rows = 10;
  c.cols = 7;
  c.r_source_ohm = 3.0;
  c.r_wire_row_ohm = 1.5;
  c.r_wire_col_ohm = 2.0;
  c.r_sink_ohm = 0.0;
  c.r_access_ohm = 4e3;
  std::vector<double> g(70), v(3 * 10);
  kit::Stream(5, "test", "g").fill_uniform(std::span<double>(g));
  kit::Stream(6, "test", "v").fill_uniform(std::span<double>(v));
  for (auto& x : g) x *= 1e-4;
  for (const std::string impl : {"exact", "fast"}) {
    INFO(impl);
    arrays::SolverSpec s;
    s.impl = impl;
    s.tolerance = 1e-9;
    const auto t = arrays::effective_conductances(s, c, g);
    const auto direct = arrays::make_circuit_solver(s, c, g)->solve(v, 3, false).currents_a;
    for (std::size_t b = 0; b < 3; ++b) {
      for (std::size_t j = 0; j < 7; ++j) {
        double i = 0;
        for (std::size_t r = 0; r < 10; ++r) i += v[b * 10 + r] * t[r * 7 + j];
        CHECK(i == Approx(direct[b * 7 + j]).epsilon(1e-8));
      }
    }
  }
}
