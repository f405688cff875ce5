#include <catch2/catch.hpp>
#include <cmath>

#include "arrays/circuit.h"
#include "arrays/mapping.h"
#include "core/kit/rng.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;
using test::gaussian;

namespace {

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
