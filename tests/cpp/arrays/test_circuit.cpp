#include <omp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "arrays/circuit.h"
#include "core/kit/error.h"
#include "core/kit/rng.h"

// Independent checks of the crossbar circuit solvers against the docs/circuit.md
// circuit convention: closed forms for 1x1 arrays, the ideal product for
// zero resistances, Kirchhoff's current law recomputed here from the returned
// node voltages, fast against exact, and IR-drop monotonicity.

using namespace xbarsim;
using arrays::CircuitResult;
using arrays::CircuitSpec;

namespace {

constexpr double kV0 = 0.25;  // nonlinear cells: I = G·V0·sinh(V/V0)

// n uniforms in [lo, hi) from a named test stream.
std::vector<double> uniforms(std::uint64_t seed, const std::string& purpose, std::size_t n,
                             double lo, double hi) {
  std::vector<double> x(n);
  kit::Stream(seed, "test", purpose).fill_uniform(std::span<double>(x));
  for (double& v : x) v = lo + (hi - lo) * v;
  return x;
}

CircuitSpec spec(std::size_t rows, std::size_t cols, double r_source, double r_wire_row,
                 double r_wire_col, double r_sink, double r_access, double v0 = 0.0) {
  CircuitSpec c;
  c.rows = rows;
  c.cols = cols;
  c.r_source_ohm = r_source;
  c.r_wire_row_ohm = r_wire_row;
  c.r_wire_col_ohm = r_wire_col;
  c.r_sink_ohm = r_sink;
  c.r_access_ohm = r_access;
  c.iv_v0_v = v0;
  return c;
}

arrays::SolverSpec solver(const std::string& impl, double tolerance = 1e-6) {
  arrays::SolverSpec s;
  s.impl = impl;
  s.tolerance = tolerance;
  return s;
}

CircuitResult solve(const std::string& impl, const CircuitSpec& c, const std::vector<double>& g,
                    const std::vector<double>& v, std::size_t batch, bool want_nodes = false,
                    double tolerance = 1e-6) {
  arrays::check_circuit_inputs(c, g, v, batch);
  return arrays::make_circuit_solver(solver(impl, tolerance), c, g)->solve(v, batch, want_nodes);
}

double rel(double got, double want) { return std::abs(got - want) / std::abs(want); }

// max_k |a_k - b_k| / |b_k| (b nonzero everywhere in these tests).
double max_rel(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, rel(a[k], b[k]));
  return worst;
}

// Current through one cell (device plus access resistor) for the voltage vd
// from its row node to its column node. Nonlinear cells only without an
// access resistor (the internal node is not reported).
double cell_current(const CircuitSpec& c, double g, double vd) {
  if (g <= 0) return 0.0;
  if (c.linear()) return vd / (1.0 / g + c.r_access_ohm);
  REQUIRE(c.r_access_ohm == 0);
  return g * c.iv_v0_v * std::sinh(vd / c.iv_v0_v);
}

struct Kcl {
  double node = 0;   // worst |sum of currents at a free node| / largest element current
  double out = 0;    // worst |reported output - sink current from node voltages| / largest output
  double fixed = 0;  // worst deviation of an ideally connected node from its fixed voltage
};

// Kirchhoff's current law at every row and column node, recomputed from the
// returned node voltages with the docs/circuit.md wiring.
Kcl kirchhoff(const CircuitSpec& c, const std::vector<double>& g, const std::vector<double>& v,
              std::size_t batch, const CircuitResult& r) {
  const std::size_t M = c.rows, N = c.cols;
  REQUIRE(r.v_row.size() == batch * M * N);
  REQUIRE(r.v_col.size() == batch * M * N);
  REQUIRE(r.currents_a.size() == batch * N);
  Kcl k;
  for (std::size_t b = 0; b < batch; ++b) {
    const double* vr = r.v_row.data() + b * M * N;
    const double* vc = r.v_col.data() + b * M * N;
    const double* vin = v.data() + b * M;
    std::vector<double> out_row(M * N, 0.0), out_col(M * N, 0.0);  // current leaving each node
    double scale = 0;
    auto edge = [&](std::vector<double>& sa, std::size_t a, std::vector<double>& sb, std::size_t bb,
                    double i) {  // current i flows from node a to node bb
      sa[a] += i;
      sb[bb] -= i;
      scale = std::max(scale, std::abs(i));
    };
    for (std::size_t i = 0; i < M; ++i) {
      if (c.r_source_ohm > 0) {
        const double is = (vin[i] - vr[i * N]) / c.r_source_ohm;
        out_row[i * N] -= is;
        scale = std::max(scale, std::abs(is));
      } else {
        k.fixed = std::max(k.fixed, std::abs(vr[i * N] - vin[i]));
      }
      for (std::size_t j = 0; j + 1 < N; ++j) {
        edge(out_row, i * N + j, out_row, i * N + j + 1,
             (vr[i * N + j] - vr[i * N + j + 1]) / c.r_wire_row_ohm);
      }
    }
    for (std::size_t j = 0; j < N; ++j) {
      for (std::size_t i = 0; i + 1 < M; ++i) {
        edge(out_col, i * N + j, out_col, (i + 1) * N + j,
             (vc[i * N + j] - vc[(i + 1) * N + j]) / c.r_wire_col_ohm);
      }
    }
    for (std::size_t q = 0; q < M * N; ++q)
      edge(out_row, q, out_col, q, cell_current(c, g[q], vr[q] - vc[q]));
    std::vector<double> sink(N);
    for (std::size_t j = 0; j < N; ++j) {
      const std::size_t q = (M - 1) * N + j;
      if (c.r_sink_ohm > 0) {
        sink[j] = vc[q] / c.r_sink_ohm;
        out_col[q] += sink[j];
      } else {
        k.fixed = std::max(k.fixed, std::abs(vc[q]));
        sink[j] = -out_col[q];  // everything flowing into the grounded node
        out_col[q] = 0.0;
      }
      scale = std::max(scale, std::abs(sink[j]));
    }
    for (std::size_t i = 0; i < M; ++i) {
      if (c.r_source_ohm <= 0) out_row[i * N] = 0.0;  // the source supplies this node
    }
    for (std::size_t q = 0; q < M * N; ++q) {
      k.node = std::max(k.node, std::max(std::abs(out_row[q]), std::abs(out_col[q])) / scale);
    }
    double out_scale = 0;
    for (std::size_t j = 0; j < N; ++j) out_scale = std::max(out_scale, std::abs(sink[j]));
    for (std::size_t j = 0; j < N; ++j) {
      k.out = std::max(k.out, std::abs(r.currents_a[b * N + j] - sink[j]) / out_scale);
    }
  }
  return k;
}

// Independent scalar solve of a 1x1 nonlinear cell in series with r_series:
// V = I·r_series + V0·asinh(I/(G·V0)), by bisection.
double series_sinh_current(double v, double g, double v0, double r_series) {
  const double s = v < 0 ? -1.0 : 1.0;
  const double va = std::abs(v);
  double lo = 0, hi = g * v0 * std::sinh(va / v0);  // the device alone at the full voltage
  for (int k = 0; k < 2000; ++k) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    const double h = mid * r_series + v0 * std::asinh(mid / (g * v0)) - va;
    (h > 0 ? hi : lo) = mid;
  }
  return s * 0.5 * (lo + hi);
}

// A random array in the ranges of a realistic 1T1R tile.
struct RandomArray {
  CircuitSpec c;
  std::vector<double> g, v;
};

RandomArray random_array(std::uint64_t seed, std::size_t M, std::size_t N, std::size_t batch,
                         double v0) {
  const auto p = uniforms(seed, "circuit params", 5, 0.0, 1.0);
  RandomArray a;
  a.c = spec(M, N, 20.0 * p[0], 0.5 + 2.5 * p[1], 0.5 + 2.5 * p[2], 20.0 * p[3], 2e3 + 8e3 * p[4],
             v0);
  a.g = uniforms(seed, "conductances", M * N, 1e-6, 100e-6);
  a.v = uniforms(seed, "inputs", batch * M, 0.0, 0.3);
  return a;
}

}  // namespace

TEST_CASE("1x1 ohmic cell: I = V / (r_source + r_access + 1/G + r_sink)", "[arrays][circuit]") {
  const auto u = uniforms(11, "1x1 ohmic", 16 * 6, 0.0, 1.0);
  for (std::size_t k = 0; k < 16; ++k) {
    const double* p = u.data() + 6 * k;
    const double g = 1e-6 + 99e-6 * p[0];
    // Cover ideal source and sink (0) and 1R cells (r_access 0) on some draws.
    const double rs = k % 4 == 0 ? 0.0 : 50.0 * p[1];
    const double rk = k % 3 == 0 ? 0.0 : 50.0 * p[2];
    const double ra = k % 2 == 0 ? 0.0 : 1e3 + 9e3 * p[3];
    const double v = -0.5 + p[4];
    const double rw = 0.5 + 2.5 * p[5];  // no wire segments in a 1x1 array
    const auto c = spec(1, 1, rs, rw, rw, rk, ra);
    const double want = v / (rs + ra + 1.0 / g + rk);
    INFO("draw " << k << ": G=" << g << " rs=" << rs << " rk=" << rk << " ra=" << ra << " V=" << v);
    const auto ex = solve("exact", c, {g}, {v}, 1);
    CHECK(rel(ex.currents_a[0], want) <= 1e-12);
    for (const double tol : {1e-6, 1e-9}) {
      const auto fa = solve("fast", c, {g}, {v}, 1, false, tol);
      CHECK(rel(fa.currents_a[0], want) <= 10 * tol);
    }
  }
}

TEST_CASE("zero source, wire and sink resistances give the ideal product", "[arrays][circuit]") {
  const std::size_t M = 8, N = 6, B = 3;
  const auto c = spec(M, N, 0, 0, 0, 0, 0);
  auto g = uniforms(21, "conductances", M * N, 1e-6, 100e-6);
  g[5] = 0.0;  // an open cell
  const auto v = uniforms(21, "inputs", B * M, 0.0, 0.3);
  const auto want = arrays::ideal_currents(c, g, v, B);
  // Independent check of ideal_currents itself: I_j = sum_i V_i G_ij.
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t j = 0; j < N; ++j) {
      double s = 0;
      for (std::size_t i = 0; i < M; ++i) s += v[b * M + i] * g[i * N + j];
      CHECK(rel(want[b * N + j], s) <= 1e-14);
    }
  }
  const auto ex = solve("exact", c, g, v, B, true);
  CHECK(max_rel(ex.currents_a, want) <= 1e-12);
  // Every row node sits at its input, every column node at ground.
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t q = 0; q < M * N; ++q) {
      CHECK(ex.v_row[b * M * N + q] == v[b * M + q / N]);
      CHECK(ex.v_col[b * M * N + q] == 0.0);
    }
  }
  // 1T1R with ideal wires: each cell sees its full input across 1/G + r_access.
  const auto c1t1r = spec(M, N, 0, 0, 0, 0, 5e3);
  const auto ex1 = solve("exact", c1t1r, g, v, B);
  std::vector<double> want1(B * N, 0.0);
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j < N; ++j) {
        if (g[i * N + j] > 0) want1[b * N + j] += v[b * M + i] / (1.0 / g[i * N + j] + 5e3);
      }
    }
  }
  CHECK(max_rel(ex1.currents_a, want1) <= 1e-12);
  // The fast solver refuses zero wire resistance (either direction).
  CHECK_THROWS_AS(arrays::make_circuit_solver(solver("fast"), c, g), kit::ConfigError);
  CHECK_THROWS_AS(arrays::make_circuit_solver(solver("fast"), spec(M, N, 0, 1.0, 0, 0, 0), g),
                  kit::ConfigError);
  CHECK_THROWS_AS(arrays::make_circuit_solver(solver("fast"), spec(M, N, 0, 0, 1.0, 0, 0), g),
                  kit::ConfigError);
  // The ideal solver is the ideal product, and refuses nonlinear cells.
  CHECK(solve("ideal", c, g, v, B).currents_a == want);
  CHECK_THROWS_AS(arrays::make_circuit_solver(solver("ideal"), spec(M, N, 0, 0, 0, 0, 0, kV0), g),
                  kit::ConfigError);
}

TEST_CASE("ohmic 1T1R array satisfies Kirchhoff's current law at every node", "[arrays][circuit]") {
  const std::size_t M = 12, N = 9, B = 3;
  auto g = uniforms(31, "conductances", M * N, 1e-6, 100e-6);
  g[7] = 0.0;  // an open cell
  const auto v = uniforms(31, "inputs", B * M, -0.3, 0.3);
  // Resistive source and sink, then ideal ones (their nodes are fixed).
  for (const bool ideal_ends : {false, true}) {
    const auto c = ideal_ends ? spec(M, N, 0, 2.5, 1.5, 0, 5e3) : spec(M, N, 15, 2.5, 1.5, 10, 5e3);
    INFO("ideal source and sink: " << ideal_ends);
    const auto ex = solve("exact", c, g, v, B, true);
    const auto ke = kirchhoff(c, g, v, B, ex);
    CHECK(ke.node <= 1e-9);
    CHECK(ke.out <= 1e-9);
    CHECK(ke.fixed == 0.0);
    CHECK(ex.residual <= 1e-10);
    for (const double tol : {1e-6, 1e-9}) {
      const auto fa = solve("fast", c, g, v, B, true, tol);
      const auto kf = kirchhoff(c, g, v, B, fa);
      CHECK(kf.node <= tol);
      CHECK(kf.out <= 1e-9);  // outputs are read from the same node voltages
      CHECK(kf.fixed == 0.0);
    }
  }
}

TEST_CASE("1x1 nonlinear cell matches an independent scalar solve", "[arrays][circuit]") {
  const auto u = uniforms(41, "1x1 sinh", 12 * 5, 0.0, 1.0);
  for (std::size_t k = 0; k < 12; ++k) {
    const double* p = u.data() + 5 * k;
    const double g = 1e-6 + 99e-6 * p[0];
    const double rs = k % 3 == 0 ? 0.0 : 20.0 * p[1];
    const double rk = k % 4 == 1 ? 0.0 : 20.0 * p[2];
    const double ra = k % 4 == 3 ? 0.0 : 1e3 + 9e3 * p[3];              // mostly 1T1R
    const double v = (k % 2 == 0 ? 1.0 : -1.0) * (0.05 + 0.95 * p[4]);  // up to 4·V0
    const auto c = spec(1, 1, rs, 1.0, 1.0, rk, ra, kV0);
    const double want = series_sinh_current(v, g, kV0, rs + ra + rk);
    INFO("draw " << k << ": G=" << g << " rs=" << rs << " rk=" << rk << " ra=" << ra << " V=" << v);
    // The device really is nonlinear here: more current than the ohmic value.
    CHECK(std::abs(want) > 1.001 * std::abs(v) / (rs + ra + 1.0 / g + rk));
    CHECK(rel(solve("exact", c, {g}, {v}, 1).currents_a[0], want) <= 1e-9);
    for (const double tol : {1e-6, 1e-9}) {
      CHECK(rel(solve("fast", c, {g}, {v}, 1, false, tol).currents_a[0], want) <= 10 * tol);
    }
  }
}

TEST_CASE("nonlinear 1R array satisfies Kirchhoff's current law", "[arrays][circuit]") {
  const std::size_t M = 6, N = 7, B = 2;
  const auto c = spec(M, N, 12, 3, 2, 8, 0, kV0);
  const auto g = uniforms(51, "conductances", M * N, 1e-6, 100e-6);
  const auto v = uniforms(51, "inputs", B * M, -0.8, 0.8);
  const auto ex = solve("exact", c, g, v, B, true);
  const auto ke = kirchhoff(c, g, v, B, ex);
  CHECK(ke.node <= 1e-9);
  CHECK(ke.out <= 1e-9);
  // Sanity: the cells are driven into their nonlinear region.
  double vd_max = 0;
  for (std::size_t q = 0; q < ex.v_row.size(); ++q)
    vd_max = std::max(vd_max, std::abs(ex.v_row[q] - ex.v_col[q]));
  CHECK(vd_max > kV0);
  for (const double tol : {1e-6, 1e-9}) {
    const auto fa = solve("fast", c, g, v, B, true, tol);
    const auto kf = kirchhoff(c, g, v, B, fa);
    CHECK(kf.node <= tol);
    CHECK(kf.out <= 1e-9);
  }
}

TEST_CASE("fast solver agrees with exact within its tolerance on 32x32 arrays",
          "[arrays][circuit]") {
  const std::size_t M = 32, N = 32, B = 5;
  for (const double v0 : {0.0, kV0}) {
    for (const std::uint64_t seed : {61u, 62u}) {
      const auto a = random_array(seed, M, N, B, v0);
      INFO("v0=" << v0 << " seed=" << seed << " rs=" << a.c.r_source_ohm << " rk=" << a.c.r_sink_ohm
                 << " rwr=" << a.c.r_wire_row_ohm << " rwc=" << a.c.r_wire_col_ohm
                 << " ra=" << a.c.r_access_ohm);
      const auto ex = solve("exact", a.c, a.g, a.v, B);
      // The wires matter at this size (the test must be able to tell).
      auto no_wires = a.c;
      no_wires.r_source_ohm = no_wires.r_wire_row_ohm = no_wires.r_wire_col_ohm =
          no_wires.r_sink_ohm = 0;
      const auto ex0 = solve("exact", no_wires, a.g, a.v, B);
      const auto fa6 = solve("fast", a.c, a.g, a.v, B, false, 1e-6);
      const auto fa9 = solve("fast", a.c, a.g, a.v, B, false, 1e-9);
      const double e6 = max_rel(fa6.currents_a, ex.currents_a);
      const double e9 = max_rel(fa9.currents_a, ex.currents_a);
      INFO("error at tol 1e-6: " << e6 << ", at 1e-9: " << e9);
      CHECK(max_rel(ex.currents_a, ex0.currents_a) > 1e-3);
      CHECK(e6 <= 10 * 1e-6);
      CHECK(e9 <= 10 * 1e-9);
      // Tighter tolerance, tighter answer (unless both are already at roundoff).
      CHECK(e9 <= std::max(e6, 1e-12));
      CHECK(fa9.iterations >= fa6.iterations);
    }
  }
}

TEST_CASE("IR drop only reduces the currents", "[arrays][circuit]") {
  const std::size_t M = 16, N = 16;
  const auto g = uniforms(71, "conductances", M * N, 1e-6, 100e-6);
  // Batch 0: equal inputs (one source, so Rayleigh monotonicity applies
  // exactly); batch 1: random positive inputs.
  std::vector<double> v(2 * M, 0.2);
  const auto vr = uniforms(71, "inputs", M, 0.0, 0.3);
  std::copy(vr.begin(), vr.end(), v.begin() + M);
  const auto base = spec(M, N, 10, 1, 1, 10, 3e3);
  const auto ideal = arrays::ideal_currents(base, g, v, 2);
  for (const std::string impl : {"exact", "fast"}) {
    INFO(impl);
    double prev_total[2] = {std::numeric_limits<double>::infinity(),
                            std::numeric_limits<double>::infinity()};
    for (const double rw : {0.5, 1.0, 2.0, 4.0, 8.0}) {
      auto c = base;
      c.r_wire_row_ohm = c.r_wire_col_ohm = rw;
      const auto r = solve(impl, c, g, v, 2, false, 1e-9);
      for (std::size_t b = 0; b < 2; ++b) {
        double total = 0;
        for (std::size_t j = 0; j < N; ++j) {
          const double i = r.currents_a[b * N + j];
          CHECK(i > 0);
          CHECK(i <= ideal[b * N + j]);
          total += i;
        }
        INFO("r_wire " << rw << " batch " << b << " total " << total << " previous "
                       << prev_total[b]);
        CHECK(total < prev_total[b] * (1 - 1e-4));
        prev_total[b] = total;
      }
    }
  }
}

TEST_CASE("circuit inputs are checked", "[arrays][circuit]") {
  const auto c = spec(3, 2, 0, 1, 1, 0, 0);
  const std::vector<double> g(6, 1e-5), v(2 * 3, 0.1);
  CHECK_NOTHROW(arrays::check_circuit_inputs(c, g, v, 2));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto with = [](std::vector<double> x, std::size_t k, double val) {
    x[k] = val;
    return x;
  };
  CHECK_THROWS_AS(arrays::check_circuit_inputs(c, with(g, 4, nan), v, 2), kit::InputError);
  CHECK_THROWS_AS(arrays::check_circuit_inputs(c, with(g, 0, inf), v, 2), kit::InputError);
  CHECK_THROWS_AS(arrays::check_circuit_inputs(c, with(g, 1, -1e-9), v, 2), kit::InputError);
  CHECK_THROWS_AS(arrays::check_circuit_inputs(c, std::vector<double>(5, 1e-5), v, 2),
                  kit::InputError);
  CHECK_THROWS_AS(arrays::check_circuit_inputs(c, std::vector<double>(7, 1e-5), v, 2),
                  kit::InputError);
  CHECK_THROWS_AS(arrays::check_circuit_inputs(c, g, with(v, 5, nan), 2), kit::InputError);
  CHECK_THROWS_AS(arrays::check_circuit_inputs(c, g, with(v, 0, -inf), 2), kit::InputError);
  CHECK_THROWS_AS(arrays::check_circuit_inputs(c, g, v, 3), kit::InputError);  // wrong batch
  CHECK_NOTHROW(arrays::check_circuit_inputs(c, with(g, 2, 0.0), v, 2));       // open cell is fine
}

TEST_CASE("solves are reproducible, thread-safe and independent of batching", "[arrays][circuit]") {
  const std::size_t M = 10, N = 7, B = 11;  // fast: one full and one partial block of lanes
  for (const double v0 : {0.0, kV0}) {
    const auto a = random_array(81, M, N, B, v0);
    for (const std::string impl : {"exact", "fast"}) {
      INFO(impl << " v0=" << v0);
      const auto s = arrays::make_circuit_solver(solver(impl, 1e-9), a.c, a.g);
      const auto r1 = s->solve(a.v, B, true);
      const auto r2 = s->solve(a.v, B, true);
      CHECK(r1.currents_a == r2.currents_a);
      CHECK(r1.v_row == r2.v_row);
      CHECK(r1.v_col == r2.v_col);
      // Concurrent solves on one solver give the same bits.
      std::vector<CircuitResult> par(4);
      std::vector<std::thread> threads;
      for (std::size_t t = 0; t < par.size(); ++t) {
        threads.emplace_back([&, t] { par[t] = s->solve(a.v, B, true); });
      }
      for (auto& th : threads) th.join();
      for (const auto& r : par) {
        CHECK(r.currents_a == r1.currents_a);
        CHECK(r.v_row == r1.v_row);
      }
      // One input vector at a time gives the batched answer.
      for (std::size_t b = 0; b < B; ++b) {
        const std::vector<double> vb(a.v.begin() + static_cast<std::ptrdiff_t>(b * M),
                                     a.v.begin() + static_cast<std::ptrdiff_t>((b + 1) * M));
        const auto rb = s->solve(vb, 1, false);
        for (std::size_t j = 0; j < N; ++j) {
          if (impl == "exact") {
            CHECK(rb.currents_a[j] == r1.currents_a[b * N + j]);
          } else {
            CHECK(rel(rb.currents_a[j], r1.currents_a[b * N + j]) <= 1e-8);
          }
        }
      }
    }
  }
}

// Regression cases for two defects of the exact solver found by the tests
// above. Both are valid, well-conditioned circuits that the reference solver
// refuses with RuntimeError; the fast solver handles them.

TEST_CASE("exact solver accepts a small source resistance next to a large cell resistance",
          "[arrays][circuit]") {
  // 1x1, 0.01 ohm source, 1 MOhm cell: a trivial series circuit. The
  // solver's acceptance test compares the KCL residual with the largest
  // element current, but the source current (V - V_node)/r_source carries
  // roundoff of eps·V/r_source, so the check fails at ~2e-10 > 1e-10.
  const auto c = spec(1, 1, 0.01, 1.0, 1.0, 0, 0);
  const double g = 1e-6, v = 0.3;
  CHECK(rel(solve("fast", c, {g}, {v}, 1, false, 1e-9).currents_a[0], v / (0.01 + 1.0 / g)) <=
        1e-12);
  CHECK(rel(solve("exact", c, {g}, {v}, 1).currents_a[0], v / (0.01 + 1.0 / g)) <= 1e-12);
}

TEST_CASE("exact solver handles a low-conductance 16x16 array", "[arrays][circuit]") {
  // The same defect on a realistic array: every 1R cell at 0.1 uS (a typical
  // G_min), 1 ohm wires, ideal source and sink, 0.2 V inputs. The solver
  // reports a relative residual of ~7e-10 and throws.
  const std::size_t n = 16;
  const auto c = spec(n, n, 0, 1.0, 1.0, 0, 0);
  const std::vector<double> g(n * n, 0.1e-6), v(n, 0.2);
  const auto fa = solve("fast", c, g, v, 1, true, 1e-9);
  CHECK(kirchhoff(c, g, v, 1, fa).node <= 1e-9);
  for (const double i : fa.currents_a) CHECK(rel(i, n * 0.2 * 0.1e-6) <= 1e-4);  // IR drop is tiny
  CHECK(max_rel(solve("exact", c, g, v, 1).currents_a, fa.currents_a) <= 1e-8);
}

TEST_CASE("exact Newton converges on a uniform nonlinear 32x32 array", "[arrays][circuit]") {
  // Every cell 100 uS, 1R, 1 ohm wires, ideal source and sink, all inputs
  // 0.2 V (< V0): Newton's step stalls at ~1e-14 of the largest voltage
  // (roundoff of the linear solve) while the stopping rule asks for <= 1e-14,
  // so the solve throws after 200 steps although it converged in ~5.
  const std::size_t n = 32;
  const auto c = spec(n, n, 0, 1.0, 1.0, 0, 0, kV0);
  const std::vector<double> g(n * n, 100e-6), v(n, 0.2);
  const auto fa = solve("fast", c, g, v, 1, true, 1e-9);
  CHECK(kirchhoff(c, g, v, 1, fa).node <= 1e-9);
  const auto ex = solve("exact", c, g, v, 1, true);
  CHECK(kirchhoff(c, g, v, 1, ex).node <= 1e-9);
  CHECK(max_rel(ex.currents_a, fa.currents_a) <= 1e-8);
}

TEST_CASE("effective matrix by nested dissection equals one exact solve per row",
          "[arrays][circuit]") {
  // Shapes from one cell to several levels of dissection, with and without
  // source/sink/access resistances (zero fixes a node), some open cells.
  const std::vector<std::pair<std::size_t, std::size_t>> shapes = {
      {1, 1}, {1, 9}, {9, 1}, {3, 5}, {6, 6}, {17, 13}, {40, 33}};
  std::uint64_t seed = 900;
  for (const auto& [M, N] : shapes) {
    for (const double r_source : {0.0, 7.0}) {
      for (const double r_sink : {0.0, 3.0}) {
        ++seed;
        const double r_access = seed % 3 == 0 ? 0.0 : 5e3;
        const auto c = spec(M, N, r_source, 1.5, 0.8, r_sink, r_access);
        auto g = uniforms(seed, "conductances", M * N, 1e-6, 1e-4);
        const auto open = uniforms(seed, "open", M * N, 0, 1);
        for (std::size_t k = 0; k < g.size(); ++k) g[k] = open[k] < 0.1 ? 0.0 : g[k];
        std::vector<double> eye(M * M, 0.0);
        for (std::size_t i = 0; i < M; ++i) eye[i * M + i] = 1.0;
        const auto want = solve("exact", c, g, eye, M).currents_a;
        const auto got = arrays::effective_conductances(solver("exact"), c, g);
        REQUIRE(got.size() == want.size());
        double scale = 0, err = 0;
        for (const double w : want) scale = std::max(scale, std::abs(w));
        for (std::size_t k = 0; k < got.size(); ++k)
          err = std::max(err, std::abs(got[k] - want[k]));
        INFO(M << "x" << N << " r_source=" << r_source << " r_sink=" << r_sink
               << " r_access=" << r_access);
        CHECK(err <= 1e-10 * scale);
      }
    }
  }
}

TEST_CASE("nested dissection is bitwise the same for one and two threads", "[arrays][circuit]") {
  const auto c = spec(70, 90, 2.0, 1.0, 1.0, 2.0, 5e3);
  const auto g = uniforms(950, "conductances", 70 * 90, 1e-6, 4e-5);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = arrays::effective_conductances(solver("exact"), c, g);
  omp_set_num_threads(2);
  const auto two = arrays::effective_conductances(solver("exact"), c, g);
  omp_set_num_threads(threads);
  CHECK(one == two);
}

TEST_CASE("fast solver handles single rows and columns with ideal ends", "[arrays][circuit]") {
  // One-row arrays leave a column chain with only its grounded node.
  for (const auto& [M, N] :
       std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {1, 6}, {6, 1}}) {
    for (const double v0 : {0.0, kV0}) {
      const auto c = spec(M, N, 0.0, 1.2, 0.9, 0.0, 2e3, v0);
      const auto g = uniforms(960 + M + N, "conductances", M * N, 1e-6, 1e-4);
      const auto v = uniforms(961 + M + N, "voltages", 2 * M, -0.2, 0.2);
      INFO(M << "x" << N << " v0=" << v0);
      CHECK(max_rel(solve("fast", c, g, v, 2, false, 1e-9).currents_a,
                    solve("exact", c, g, v, 2).currents_a) <= 1e-8);
    }
  }
}
