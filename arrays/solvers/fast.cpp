// The fast solve: preconditioned conjugate gradients on the nodal equations,
// batched over input vectors (the batch is the innermost, SIMD dimension),
// O(M·N) work per iteration. The preconditioner solves every row wire and
// every column wire exactly as a tridiagonal chain (Thomas algorithm), cells
// included on the diagonal; only the row-column coupling through the cells
// is left to the iteration, so it converges in few steps for realistic wire
// to cell conductance ratios. Nonlinear cells: Newton's method outside, with
// the tangent conductances in the same PCG. A solve that does not reach the
// tolerance is an error, never a silent wrong answer.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "arrays/solvers/network.h"
#include "core/kit/error.h"

namespace xbarsim::arrays {
namespace {

constexpr std::size_t kLanes = 8;  // input vectors solved together

class FastSolver final : public CircuitSolver {
 public:
  FastSolver(const CircuitSpec& c, std::vector<double> g, const SolverSpec& s)
      : c_(c), g_(std::move(g)), tol_(s.tolerance), max_it_(s.max_iterations) {
    if (!(c.r_wire_row_ohm > 0) || !(c.r_wire_col_ohm > 0)) {
      throw kit::ConfigError("solver.impl", "the fast solver needs positive r_wire_row_ohm and "
                                            "r_wire_col_ohm; use \"exact\" (or \"ideal\" for no wires)");
    }
    gwr_ = 1.0 / c.r_wire_row_ohm;
    gwc_ = 1.0 / c.r_wire_col_ohm;
    gs_ = c.r_source_ohm > 0 ? 1.0 / c.r_source_ohm : 0.0;
    gk_ = c.r_sink_ohm > 0 ? 1.0 / c.r_sink_ohm : 0.0;
  }

  CircuitResult solve(const std::vector<double>& v, std::size_t batch,
                      bool want_nodes) const override {
    const std::size_t M = c_.rows, N = c_.cols;
    CircuitResult r;
    r.currents_a.resize(batch * N);
    if (want_nodes) {
      r.v_row.resize(batch * M * N);
      r.v_col.resize(batch * M * N);
    }
    Work w(2 * M * N);
    for (std::size_t b0 = 0; b0 < batch; b0 += kLanes) {
      const std::size_t lanes = std::min(kLanes, batch - b0);
      const auto [it, res] = solve_lanes(v.data() + b0 * M, lanes, w);
      r.iterations = std::max(r.iterations, it);
      r.residual = std::max(r.residual, res);
      for (std::size_t l = 0; l < lanes; ++l) {
        const std::size_t b = b0 + l;
        for (std::size_t j = 0; j < N; ++j) r.currents_a[b * N + j] = sink_current(w, j, l);
        if (want_nodes) {
          for (std::size_t k = 0; k < M * N; ++k) {
            r.v_row[b * M * N + k] = w.v[k * kLanes + l];
            r.v_col[b * M * N + k] = w.v[(M * N + k) * kLanes + l];
          }
        }
      }
    }
    return r;
  }

 private:
  struct Work {
    explicit Work(std::size_t nodes)
        : v(nodes * kLanes), f(nodes * kLanes), z(nodes * kLanes), p(nodes * kLanes),
          q(nodes * kLanes), gt(nodes / 2 * kLanes), ic(nodes / 2 * kLanes),
          cp(nodes * kLanes), dp(nodes * kLanes) {}
    std::vector<double> v, f, z, p, q;  // node voltages, residual, precond., direction, J·p
    std::vector<double> gt, ic;         // per cell: tangent conductance, current
    std::vector<double> cp, dp;         // Thomas scratch
  };

  std::size_t R(std::size_t i, std::size_t j) const { return i * c_.cols + j; }
  std::size_t C(std::size_t i, std::size_t j) const { return c_.rows * c_.cols + i * c_.cols + j; }
  bool fixed_row0() const { return gs_ == 0; }    // ideal source: R(i,0) = V_i
  bool fixed_colM() const { return gk_ == 0; }    // ideal ground: C(M-1,j) = 0

  // Cell current and tangent conductance for voltage vd across the cell.
  void cell(double g, double vd, double& i, double& gt) const {
    if (g <= 0) {
      i = gt = 0;
      return;
    }
    const double ra = c_.r_access_ohm, v0 = c_.iv_v0_v;
    if (c_.linear()) {
      gt = 1.0 / (1.0 / g + ra);
      i = gt * vd;
      return;
    }
    if (ra <= 0) {
      i = g * v0 * std::sinh(vd / v0);
      gt = g * std::cosh(vd / v0);
      return;
    }
    // Series access resistor: solve vd = I·ra + V0·asinh(I/(G·V0)) for I.
    double cur = vd / (ra + 1.0 / g);
    for (int k = 0; k < 60; ++k) {
      const double vdev = v0 * std::asinh(cur / (g * v0));
      const double h = cur * ra + vdev - vd;
      const double dh = ra + 1.0 / (g * std::cosh(vdev / v0));
      const double step = h / dh;
      cur -= step;
      if (std::abs(step) <= 1e-15 * (std::abs(cur) + 1e-300)) break;
    }
    i = cur;
    gt = 1.0 / (ra + 1.0 / (g * std::cosh(std::asinh(cur / (g * v0)))));
  }

  void update_cells(Work& w, std::size_t lanes) const {
    const std::size_t M = c_.rows, N = c_.cols;
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j < N; ++j) {
        const double g = g_[i * N + j];
        const std::size_t k = (i * N + j) * kLanes;
        for (std::size_t l = 0; l < lanes; ++l) {
          cell(g, w.v[R(i, j) * kLanes + l] - w.v[C(i, j) * kLanes + l], w.ic[k + l], w.gt[k + l]);
        }
      }
    }
  }

  // f = KCL residual (current leaving each unknown node); 0 at fixed nodes.
  void residual(const double* vin, Work& w, std::size_t lanes) const {
    const std::size_t M = c_.rows, N = c_.cols;
    std::fill(w.f.begin(), w.f.end(), 0.0);
    auto flow = [&](std::size_t a, std::size_t b, double g) {  // wire a-b
      for (std::size_t l = 0; l < lanes; ++l) {
        const double i = g * (w.v[a * kLanes + l] - w.v[b * kLanes + l]);
        w.f[a * kLanes + l] += i;
        w.f[b * kLanes + l] -= i;
      }
    };
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j + 1 < N; ++j) flow(R(i, j), R(i, j + 1), gwr_);
      if (!fixed_row0()) {
        for (std::size_t l = 0; l < lanes; ++l) {
          w.f[R(i, 0) * kLanes + l] += gs_ * (w.v[R(i, 0) * kLanes + l] - vin[l * M + i]);
        }
      }
    }
    for (std::size_t j = 0; j < N; ++j) {
      for (std::size_t i = 0; i + 1 < M; ++i) flow(C(i, j), C(i + 1, j), gwc_);
      if (!fixed_colM()) {
        for (std::size_t l = 0; l < lanes; ++l) w.f[C(M - 1, j) * kLanes + l] += gk_ * w.v[C(M - 1, j) * kLanes + l];
      }
    }
    for (std::size_t k = 0; k < M * N; ++k) {
      for (std::size_t l = 0; l < lanes; ++l) {
        w.f[k * kLanes + l] += w.ic[k * kLanes + l];
        w.f[(M * N + k) * kLanes + l] -= w.ic[k * kLanes + l];
      }
    }
    clear_fixed(w.f, lanes);
  }

  void clear_fixed(std::vector<double>& x, std::size_t lanes) const {
    for (std::size_t i = 0; i < c_.rows && fixed_row0(); ++i) {
      for (std::size_t l = 0; l < lanes; ++l) x[R(i, 0) * kLanes + l] = 0.0;
    }
    for (std::size_t j = 0; j < c_.cols && fixed_colM(); ++j) {
      for (std::size_t l = 0; l < lanes; ++l) x[C(c_.rows - 1, j) * kLanes + l] = 0.0;
    }
  }

  // q = J·p (Jacobian: wires + tangent cells), fixed nodes excluded.
  void jacobian(const std::vector<double>& p, Work& w, std::size_t lanes) const {
    const std::size_t M = c_.rows, N = c_.cols;
    std::fill(w.q.begin(), w.q.end(), 0.0);
    auto link = [&](std::size_t a, std::size_t b, const double* g, bool per_lane) {
      for (std::size_t l = 0; l < lanes; ++l) {
        const double gl = per_lane ? g[l] : g[0];
        const double i = gl * (p[a * kLanes + l] - p[b * kLanes + l]);
        w.q[a * kLanes + l] += i;
        w.q[b * kLanes + l] -= i;
      }
    };
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j + 1 < N; ++j) link(R(i, j), R(i, j + 1), &gwr_, false);
      if (!fixed_row0()) {
        for (std::size_t l = 0; l < lanes; ++l) w.q[R(i, 0) * kLanes + l] += gs_ * p[R(i, 0) * kLanes + l];
      }
    }
    for (std::size_t j = 0; j < N; ++j) {
      for (std::size_t i = 0; i + 1 < M; ++i) link(C(i, j), C(i + 1, j), &gwc_, false);
      if (!fixed_colM()) {
        for (std::size_t l = 0; l < lanes; ++l) w.q[C(M - 1, j) * kLanes + l] += gk_ * p[C(M - 1, j) * kLanes + l];
      }
    }
    for (std::size_t k = 0; k < M * N; ++k) link(k, M * N + k, &w.gt[k * kLanes], true);
    clear_fixed(w.q, lanes);
  }

  // z = P^-1·f: exact tridiagonal solves along every row and column wire.
  void precondition(Work& w, std::size_t lanes) const {
    const std::size_t M = c_.rows, N = c_.cols;
    // One chain: nodes n(0..len-1), wire conductance gw, end conductances.
    auto chain = [&](std::size_t len, auto node, double gw, double g_first, double g_last,
                     bool fix_first, bool fix_last) {
      // Forward sweep (Thomas), per lane.
      for (std::size_t t = 0; t < len; ++t) {
        const std::size_t n = node(t);
        const bool fixed = (t == 0 && fix_first) || (t + 1 == len && fix_last);
        for (std::size_t l = 0; l < lanes; ++l) {
          const std::size_t x = n * kLanes + l;
          if (fixed) {
            w.cp[x] = 0;
            w.dp[x] = 0;  // fixed node: z = 0
            continue;
          }
          const bool has_prev = t > 0 && !(t == 1 && fix_first);
          double diag = w.gt[(n % (M * N)) * kLanes + l];
          if (t > 0) diag += gw;
          if (t + 1 < len) diag += gw;
          if (t == 0) diag += g_first;
          if (t + 1 == len) diag += g_last;
          double rhs = w.f[x];
          if (has_prev) {
            const std::size_t px = node(t - 1) * kLanes + l;
            diag -= gw * w.cp[px];
            rhs += gw * w.dp[px];
          }
          const bool has_next = t + 1 < len && !(t + 2 == len && fix_last);
          w.cp[x] = has_next ? gw / diag : 0.0;
          w.dp[x] = rhs / diag;
        }
      }
      for (std::size_t t = len; t-- > 0;) {
        const std::size_t n = node(t);
        for (std::size_t l = 0; l < lanes; ++l) {
          const std::size_t x = n * kLanes + l;
          w.z[x] = w.dp[x] + (t + 1 < len ? w.cp[x] * w.z[node(t + 1) * kLanes + l] : 0.0);
        }
      }
    };
    for (std::size_t i = 0; i < M; ++i) {
      chain(N, [&](std::size_t t) { return R(i, t); }, gwr_, gs_, 0.0, fixed_row0(), false);
    }
    for (std::size_t j = 0; j < N; ++j) {
      chain(M, [&](std::size_t t) { return C(t, j); }, gwc_, 0.0, gk_, false, fixed_colM());
    }
  }

  static double dot(const std::vector<double>& a, const std::vector<double>& b, std::size_t l) {
    double s = 0;
    for (std::size_t k = l; k < a.size(); k += kLanes) s += a[k] * b[k];
    return s;
  }

  double sink_current(const Work& w, std::size_t j, std::size_t l) const {
    const std::size_t M = c_.rows;
    if (!fixed_colM()) return gk_ * w.v[C(M - 1, j) * kLanes + l];
    // Ideal ground: everything flowing into node C(M-1, j).
    double i = w.ic[(R(M - 1, j)) * kLanes + l];
    if (M > 1) i += gwc_ * w.v[C(M - 2, j) * kLanes + l];
    return i;
  }

  std::pair<int, double> solve_lanes(const double* vin, std::size_t lanes, Work& w) const {
    const std::size_t M = c_.rows, N = c_.cols;
    // Start: rows at their source voltage, columns at ground.
    std::fill(w.v.begin(), w.v.end(), 0.0);
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j < N; ++j) {
        for (std::size_t l = 0; l < lanes; ++l) w.v[R(i, j) * kLanes + l] = vin[l * M + i];
      }
    }
    int total = 0;
    double achieved = 0;
    std::vector<double> prev_out(N * lanes, 0.0);
    const int newton_max = c_.linear() ? 1 : 100;
    for (int nt = 0; nt < newton_max; ++nt) {
      update_cells(w, lanes);
      residual(vin, w, lanes);
      // PCG on J·d = -f, per lane; d accumulates in w.p's partner (w.q reused).
      std::vector<double> d(w.v.size(), 0.0), rr(w.f.size());
      for (std::size_t k = 0; k < rr.size(); ++k) rr[k] = -w.f[k];
      w.f = rr;
      precondition(w, lanes);
      w.p = w.z;
      double rz[kLanes], bnorm[kLanes];
      for (std::size_t l = 0; l < lanes; ++l) {
        rz[l] = dot(rr, w.z, l);
        bnorm[l] = std::sqrt(dot(rr, rr, l));
      }
      double worst = 0;
      int it = 0;
      for (; it < max_it_; ++it) {
        worst = 0;
        for (std::size_t l = 0; l < lanes; ++l) {
          if (bnorm[l] > 0) worst = std::max(worst, std::sqrt(dot(rr, rr, l)) / bnorm[l]);
        }
        if (worst <= tol_ * 1e-3) break;
        jacobian(w.p, w, lanes);
        for (std::size_t l = 0; l < lanes; ++l) {
          const double pq = dot(w.p, w.q, l);
          const double alpha = pq > 0 ? rz[l] / pq : 0.0;
          for (std::size_t k = l; k < d.size(); k += kLanes) {
            d[k] += alpha * w.p[k];
            rr[k] -= alpha * w.q[k];
          }
        }
        w.f = rr;
        precondition(w, lanes);
        for (std::size_t l = 0; l < lanes; ++l) {
          const double rz_new = dot(rr, w.z, l);
          const double beta = rz[l] > 0 ? rz_new / rz[l] : 0.0;
          rz[l] = rz_new;
          for (std::size_t k = l; k < d.size(); k += kLanes) w.p[k] = w.z[k] + beta * w.p[k];
        }
      }
      total += it;
      achieved = std::max(achieved, worst);
      if (it >= max_it_) {
        throw kit::RuntimeError(fmt::format(
            "fast circuit solve did not converge: relative residual {:.3g} after {} iterations "
            "(solver.tolerance {:g}); raise solver.max_iterations or use \"exact\"",
            worst, it, tol_));
      }
      for (std::size_t k = 0; k < d.size(); ++k) w.v[k] += d[k];
      update_cells(w, lanes);
      // Newton converged when the output currents stop moving.
      double change = 0, scale = 0;
      for (std::size_t j = 0; j < N; ++j) {
        for (std::size_t l = 0; l < lanes; ++l) {
          const double o = sink_current(w, j, l);
          change = std::max(change, std::abs(o - prev_out[j * lanes + l]));
          scale = std::max(scale, std::abs(o));
          prev_out[j * lanes + l] = o;
        }
      }
      if (c_.linear() || change <= tol_ * 1e-2 * scale) return {total, achieved};
    }
    throw kit::RuntimeError("fast circuit solve: Newton's method did not converge in 100 steps "
                            "(nonlinear cells driven far beyond iv_v0_v?)");
  }

  CircuitSpec c_;
  std::vector<double> g_;
  double tol_;
  int max_it_;
  double gwr_ = 0, gwc_ = 0, gs_ = 0, gk_ = 0;
};

}  // namespace

std::unique_ptr<CircuitSolver> make_fast_solver(const CircuitSpec& c, std::vector<double> g_s,
                                                const SolverSpec& s) {
  return std::make_unique<FastSolver>(c, std::move(g_s), s);
}

}  // namespace xbarsim::arrays
