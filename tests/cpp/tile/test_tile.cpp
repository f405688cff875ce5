#include <omp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "core/jobs/registry_setup.h"
#include "core/kit/error.h"
#include "core/kit/rng.h"
#include "core/tile/tile.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

kit::NdArray random(std::size_t r, std::size_t c, std::uint64_t seed, bool uniform = false) {
  return test::random_matrix(r, c, kit::Stream(seed, "test", "matrix"), uniform);
}

// The same input vector repeated: each row is an independent read.
kit::NdArray repeated(const kit::NdArray& x, std::size_t n) {
  kit::NdArray out{{n, x.cols()}, {}};
  for (std::size_t b = 0; b < n; ++b) out.data.insert(out.data.end(), x.data.begin(), x.data.end());
  return out;
}

Json noisy_tile(const std::string& mode, const std::string& mapping, std::size_t rows,
                std::size_t cols) {
  return {{"seed", 5},
          {"array", {{"rows", rows}, {"cols", cols}}},
          {"device",
           {{"impl", "table"},
            {"g_min_us", 5.0},
            {"g_max_us", 50.0},
            {"read_sigma_frac", 0.02},
            {"read_sigma_rel", 0.03}}},
          {"mapping", {{"impl", mapping}, {"weight_bits", 6}, {"bits_per_cell", 3}}},
          {"read_noise", {{"mode", mode}}},
          {"drift_compensation", "none"}};
}

struct Moments {
  std::vector<double> mean, var;
  double cov01 = 0;  // covariance of columns 0 and 1
};

Moments moments(const kit::NdArray& y) {
  const std::size_t n = y.rows(), c = y.cols();
  Moments m{std::vector<double>(c, 0.0), std::vector<double>(c, 0.0)};
  for (std::size_t b = 0; b < n; ++b)
    for (std::size_t j = 0; j < c; ++j) m.mean[j] += y.data[b * c + j] / static_cast<double>(n);
  for (std::size_t b = 0; b < n; ++b) {
    for (std::size_t j = 0; j < c; ++j) {
      const double d = y.data[b * c + j] - m.mean[j];
      m.var[j] += d * d / static_cast<double>(n - 1);
    }
    m.cov01 +=
        (y.data[b * c] - m.mean[0]) * (y.data[b * c + 1] - m.mean[1]) / static_cast<double>(n - 1);
  }
  return m;
}

}  // namespace

TEST_CASE("vmm_ideal is the exact product and vmm checks its inputs", "[arch][tile]") {
  const auto reg = jobs::make_registry();
  tile::Tile tile(tile::TileSpec::parse(Json{{"array", {{"rows", 8}, {"cols", 4}}}}, reg), reg);
  CHECK_THROWS_WITH(tile.vmm(random(2, 8, 1)), Catch::Contains("program it first"));
  const kit::NdArray w{{2, 2}, {1, 2, 3, 4}};
  tile.program(w);
  const auto y = tile.vmm_ideal(kit::NdArray{{1, 2}, {1, -1}});
  CHECK(y.data == std::vector<double>{-2, -2});
  CHECK_THROWS_AS(tile.vmm(kit::NdArray{{1, 3}, {1, 2, 3}}), kit::InputError);
  CHECK_THROWS_WITH(tile.vmm(kit::NdArray{{1, 2}, {1, NAN}}), Catch::Contains("non-finite"));
  CHECK_THROWS_WITH(tile.program(random(9, 4, 1)), Catch::Contains("does not fit"));
  CHECK_THROWS_AS(tile.vmm(kit::NdArray{{1, 2}, {1, 1}}, -1.0), kit::InputError);
  const auto g = tile.conductances(0);
  CHECK(g.count("g_pos_s0") == 1);
  CHECK(g.count("g_neg_s1") == 1);
}

TEST_CASE("output_referred read noise matches per_device in mean, variance and shape",
          "[arch][tile][noise]") {
  const auto reg = jobs::make_registry();
  const std::size_t rows = 32, cols = 8, n = 4000;
  const auto w = random(rows, cols, 11);
  const auto x = repeated(random(1, rows, 12, true), n);
  for (const std::string mapping : {"differential", "offset"}) {
    INFO(mapping);
    tile::Tile fast(tile::TileSpec::parse(noisy_tile("output_referred", mapping, rows, cols), reg),
                    reg);
    tile::Tile ref(tile::TileSpec::parse(noisy_tile("per_device", mapping, rows, cols), reg), reg);
    tile::Tile quiet(tile::TileSpec::parse(noisy_tile("off", mapping, rows, cols), reg), reg);
    fast.program(w);
    ref.program(w);
    quiet.program(w);
    const auto yf = fast.vmm(x), yr = ref.vmm(x),
               y0 = quiet.vmm(kit::NdArray{
                   {1, rows},
                   {x.data.begin(), x.data.begin() + static_cast<std::ptrdiff_t>(rows)}});
    const Moments mf = moments(yf), mr = moments(yr);
    for (std::size_t j = 0; j < cols; ++j) {
      // Both unbiased around the noiseless output (same seed: same programming).
      const double se = std::sqrt(mr.var[j] / static_cast<double>(n));
      CHECK(std::abs(mf.mean[j] - y0.data[j]) < 5 * se);
      CHECK(std::abs(mr.mean[j] - y0.data[j]) < 5 * se);
      // Variance estimates of n draws have relative s.e. sqrt(2/(n-1)).
      CHECK(mf.var[j] / mr.var[j] ==
            Approx(1.0).margin(5 * std::sqrt(4.0 / static_cast<double>(n))));
    }
    // The offset mapping's shared reference column correlates the columns;
    // the output-referred draw must reproduce that covariance too.
    const double cov_se = std::sqrt(mr.var[0] * mr.var[1] / static_cast<double>(n)) * 1.5;
    CHECK(std::abs(mf.cov01 - mr.cov01) < 5 * cov_se);
    if (mapping == "offset") CHECK(mr.cov01 > 5 * cov_se / 1.5);
    // Two-sample Kolmogorov-Smirnov on standardized column-0 outputs.
    std::vector<double> a, b;
    for (std::size_t k = 0; k < n; ++k) {
      a.push_back((yf.data[k * cols] - mf.mean[0]) / std::sqrt(mf.var[0]));
      b.push_back((yr.data[k * cols] - mr.mean[0]) / std::sqrt(mr.var[0]));
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    double d = 0;
    std::size_t ia = 0, ib = 0;
    while (ia < n && ib < n) {
      if (a[ia] < b[ib])
        ++ia;
      else
        ++ib;
      d = std::max(
          d, std::abs(static_cast<double>(ia) - static_cast<double>(ib)) / static_cast<double>(n));
    }
    CHECK(d < 1.95 * std::sqrt(2.0 / static_cast<double>(n)));  // alpha = 0.1 %
  }
}

TEST_CASE("per_device reads are identical for any thread count", "[arch][tile][noise]") {
  const auto reg = jobs::make_registry();
  const auto w = random(24, 6, 1);
  const auto x = random(40, 24, 2, true);
  std::vector<double> out[2];
  const int saved = omp_get_max_threads();
  for (int t : {1, 2}) {
    omp_set_num_threads(t);
    tile::Tile tile(tile::TileSpec::parse(noisy_tile("per_device", "differential", 24, 6), reg),
                    reg);
    tile.program(w);
    tile.vmm(x);
    out[t - 1] = tile.vmm(x).data;  // second read: the counter advanced the same way
  }
  omp_set_num_threads(saved);
  CHECK(out[0] == out[1]);
}

TEST_CASE("drift compensation restores the mean output of drifted PCM", "[arch][tile][drift]") {
  const auto reg = jobs::make_registry();
  const auto w = random(64, 16, 21);
  const auto x = random(64, 64, 22, true);
  auto gain = [&](const std::string& comp, double t) {
    Json cfg = {{"array", {{"rows", 64}, {"cols", 16}}},
                {"device", {{"preset", "pcm_ibm"}}},
                {"mapping", {{"weight_bits", 0}}},
                {"read_noise", {{"mode", "off"}}},
                {"drift_compensation", comp}};
    tile::Tile tile(tile::TileSpec::parse(cfg, reg), reg);
    tile.program(w);
    const auto y = tile.vmm(x, t), y0 = tile.vmm(x, 0.0);
    double num = 0, den = 0;
    for (std::size_t k = 0; k < y.data.size(); ++k) {
      num += y.data[k] * y0.data[k];
      den += y0.data[k] * y0.data[k];
    }
    return num / den;
  };
  const double year = 3.1536e7;
  const double raw = gain("none", year);
  // (1 y / 20 s)^-nu with nu ~ 0.05-0.1: the output shrinks to well under 0.6.
  CHECK(raw < 0.6);
  CHECK(raw > 0.2);
  CHECK(gain("global", year) == Approx(1.0).margin(0.05));
  CHECK(gain("per_column", year) == Approx(1.0).margin(0.05));
}

namespace {

double rel_error(const kit::NdArray& y, const kit::NdArray& ref) {
  double num = 0, den = 0;
  for (std::size_t k = 0; k < y.data.size(); ++k) {
    num += (y.data[k] - ref.data[k]) * (y.data[k] - ref.data[k]);
    den += ref.data[k] * ref.data[k];
  }
  return std::sqrt(num / den);
}

kit::NdArray tile_output(const Json& cfg, const kit::NdArray& w, const kit::NdArray& x) {
  const auto reg = jobs::make_registry();
  tile::Tile tile(tile::TileSpec::parse(cfg, reg), reg);
  tile.program(w);
  return tile.vmm(x);
}

Json circuit_tile(const std::string& solver, double r_wire, const std::string& comp = "none") {
  Json cfg = {{"array",
               {{"rows", 64},
                {"cols", 48},
                {"cell", "1R"},
                {"r_wire_row_ohm", r_wire},
                {"r_wire_col_ohm", r_wire},
                {"r_source_ohm", 0.0},
                {"r_sink_ohm", 0.0}}},
              {"device", {{"preset", "rram_wan"}}},
              {"mapping", {{"weight_bits", 0}}},
              {"read_noise", {{"mode", "off"}}},
              {"drift_compensation", "none"},
              {"solver", {{"impl", solver}}}};
  if (solver != "ideal") cfg["solver"]["ir_compensation"] = comp;
  return cfg;
}

}  // namespace

TEST_CASE("the circuit in the tile: no wires equals ideal, IR drop shrinks, compensation helps",
          "[arch][tile][circuit]") {
  const auto w = random(64, 48, 31);
  const auto x = random(16, 64, 32, true);
  const auto ideal = tile_output(circuit_tile("ideal", 0.0), w, x);
  // Zero source, wire and sink resistance with passive cells: the same product.
  CHECK(rel_error(tile_output(circuit_tile("exact", 0.0), w, x), ideal) < 1e-6);
  // 2 Ω per segment: the IR drop lowers every output's magnitude.
  const auto dropped = tile_output(circuit_tile("exact", 2.0), w, x);
  const double err = rel_error(dropped, ideal);
  CHECK(err > 0.01);
  const auto fast = tile_output(circuit_tile("fast", 2.0), w, x);
  CHECK(rel_error(fast, dropped) < 1e-5);
  // The per-column gain removes most of it.
  const double compensated =
      rel_error(tile_output(circuit_tile("exact", 2.0, "column_scale"), w, x), ideal);
  CHECK(compensated < 0.5 * err);
}

TEST_CASE("nonlinear cells read far below V0 behave like ohmic ones", "[arch][tile][circuit]") {
  const auto w = random(16, 12, 41);
  const auto x = random(8, 16, 42, true);
  Json lin = circuit_tile("exact", 1.0);
  lin["array"]["rows"] = 16;
  lin["array"]["cols"] = 12;
  lin["array"]["v_read_v"] = 0.01;
  Json nonlin = lin;
  nonlin["device"]["iv_v0_v"] = 0.25;
  // sinh(v/V0)·V0 = v·(1 + (v/V0)²/6 + ...): relative deviation below 3e-4 at 10 mV.
  const double e = rel_error(tile_output(nonlin, w, x), tile_output(lin, w, x));
  CHECK(e < 5e-4);
  CHECK(e > 1e-7);  // but not identical: the sinh is really evaluated
  nonlin["solver"]["impl"] = "fast";
  CHECK(rel_error(tile_output(nonlin, w, x), tile_output(lin, w, x)) < 5e-4);
}
