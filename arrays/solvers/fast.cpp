// The fast solve: preconditioned conjugate gradients on the nodal equations,
// batched over input vectors in groups of kLanes (the innermost, SIMD
// dimension; groups run on the OpenMP threads), O(M·N) work per iteration.
// The preconditioner solves every row wire and every column wire exactly as
// a tridiagonal chain (Thomas algorithm) with the cells on its diagonal; only
// the row-column coupling through the cells is left to the iteration, which
// converges in a handful of steps for realistic wire-to-cell conductance
// ratios. Nonlinear cells: inexact Newton outside, the tangent conductances
// inside the same PCG. The effective matrix T of an ohmic network is not
// built here but by nested dissection (nested.cpp). A solve that misses its
// tolerance is an error, never a silent wrong answer.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "arrays/solvers/nodal_graph.h"
#include "core/kit/error.h"
#include "core/kit/fastmath.h"

namespace xbarsim::arrays {
namespace {

constexpr std::size_t kLanes = 8;
using Lanes = std::array<double, kLanes>;

class FastSolver final : public CircuitSolver {
 public:
  FastSolver(const CircuitSpec& c, std::vector<double> g, const SolverSpec& s)
      : c_(c), g_(std::move(g)), tol_(s.tolerance), max_it_(s.max_iterations) {
    if (!(c.r_wire_row_ohm > 0) || !(c.r_wire_col_ohm > 0)) {
      throw kit::ConfigError("solver.impl",
                             "the fast solver needs positive r_wire_row_ohm and "
                             "r_wire_col_ohm; use \"exact\" (or \"ideal\" for no wires)");
    }
    gwr_ = 1.0 / c.r_wire_row_ohm;
    gwc_ = 1.0 / c.r_wire_col_ohm;
    gs_ = c.r_source_ohm > 0 ? 1.0 / c.r_source_ohm : 0.0;
    gk_ = c.r_sink_ohm > 0 ? 1.0 / c.r_sink_ohm : 0.0;
    if (c_.linear()) {  // device and access transistor in series: one conductance
      geff_.resize(g_.size());
      for (std::size_t k = 0; k < g_.size(); ++k) {
        geff_[k] = c_.cell_conductance(g_[k]);
      }
      lin_inv_.assign(2 * g_.size(), 0.0);
      lin_cp_.assign(2 * g_.size(), 0.0);
      factor_chains<1>(geff_.data(), lin_inv_.data(), lin_cp_.data());
    }
  }

  CircuitResult solve(const std::vector<double>& v, std::size_t batch,
                      bool want_nodes) const override {
    const std::size_t M = c_.rows, N = c_.cols, MN = M * N;
    CircuitResult r;
    r.currents_a.resize(batch * N);
    if (want_nodes) {
      r.v_row.resize(batch * MN);
      r.v_col.resize(batch * MN);
    }
    const auto groups = static_cast<std::ptrdiff_t>((batch + kLanes - 1) / kLanes);
    std::vector<int> iters(static_cast<std::size_t>(groups));
    std::vector<double> resid(static_cast<std::size_t>(groups));
    std::vector<std::string> failure(static_cast<std::size_t>(groups));
#pragma omp parallel
    {
      // Workspaces (8 vectors of 2·M·N·kLanes doubles, 67 MB at 256 x 256)
      // only in the threads that get a group of lanes.
      std::optional<Work> work;
#pragma omp for schedule(dynamic)
      for (std::ptrdiff_t gi = 0; gi < groups; ++gi) {
        if (!work) work.emplace(MN, !c_.linear());
        Work& w = *work;
        const std::size_t b0 = static_cast<std::size_t>(gi) * kLanes;
        const std::size_t lanes = std::min(kLanes, batch - b0);
        // Inputs of this group, lane-major; unused lanes stay at 0 V.
        std::vector<double> vin(M * kLanes, 0.0);
        for (std::size_t l = 0; l < lanes; ++l) {
          for (std::size_t i = 0; i < M; ++i) vin[i * kLanes + l] = v[(b0 + l) * M + i];
        }
        try {
          const auto [it, res] = solve_group(vin, w);
          iters[static_cast<std::size_t>(gi)] = it;
          resid[static_cast<std::size_t>(gi)] = res;
        } catch (const std::exception& e) {
          failure[static_cast<std::size_t>(gi)] = e.what();
          continue;
        }
        for (std::size_t l = 0; l < lanes; ++l) {
          const std::size_t b = b0 + l;
          for (std::size_t j = 0; j < N; ++j) r.currents_a[b * N + j] = sink_current(w, j, l);
          if (want_nodes) {
            for (std::size_t k = 0; k < MN; ++k) {
              r.v_row[b * MN + k] = w.v[k * kLanes + l];
              r.v_col[b * MN + k] = w.v[(MN + k) * kLanes + l];
            }
          }
        }
      }
    }
    for (const auto& f : failure) {
      if (!f.empty()) throw kit::RuntimeError(f);
    }
    for (std::size_t g = 0; g < iters.size(); ++g) {
      r.iterations = std::max(r.iterations, iters[g]);
      r.residual = std::max(r.residual, resid[g]);
    }
    return r;
  }

 private:
  struct Work {
    // Per-lane preconditioner factors only for nonlinear cells; ohmic
    // networks share one set (lin_inv_, lin_cp_).
    Work(std::size_t mn, bool per_lane_factors)
        : v(2 * mn * kLanes),
          r(2 * mn * kLanes),
          z(2 * mn * kLanes),
          p(2 * mn * kLanes),
          q(2 * mn * kLanes),
          d(2 * mn * kLanes),
          cp(per_lane_factors ? 2 * mn * kLanes : 0),
          inv(per_lane_factors ? 2 * mn * kLanes : 0),
          t(2 * mn * kLanes),
          gt(mn * kLanes),
          ic(mn * kLanes) {}
    std::vector<double> v, r, z, p, q, d, cp, inv, t;  // per node and lane
    std::vector<double> gt, ic;  // per cell and lane: tangent conductance, current
  };

  std::size_t R(std::size_t i, std::size_t j) const { return i * c_.cols + j; }
  std::size_t C(std::size_t i, std::size_t j) const { return c_.rows * c_.cols + i * c_.cols + j; }
  bool source_ideal() const { return gs_ == 0; }  // R(i,0) fixed at V_i
  bool sink_ideal() const { return gk_ == 0; }    // C(M-1,j) fixed at 0

  // Currents and tangent conductances of one nonlinear cell (conductance g)
  // for the voltages vd of all lanes; ic holds the previous currents on entry
  // (warm start) and the new ones on exit. Lane loops have a fixed trip count
  // so that they vectorise.
  void nonlinear_cell(double g, const double* vd, double* ic, double* gt) const {
    if (g <= 0) {
      std::fill_n(ic, kLanes, 0.0);
      std::fill_n(gt, kLanes, 0.0);
      return;
    }
    const double ra = c_.r_access_ohm, v0 = c_.iv_v0_v;
    if (ra <= 0) {
      for (std::size_t l = 0; l < kLanes; ++l) {
        double sh = 0, ch = 0;
        sinh_cosh(vd[l] / v0, sh, ch);
        ic[l] = g * v0 * sh;
        gt[l] = g * ch;
      }
      return;
    }
    // Series access resistor: the device's own voltage u solves
    // u + ra·G·V0·sinh(u/V0) = vd (monotone, slope ≥ 1); Newton on u from
    // the previous current (warm start), one exp per step.
    const double k = ra * g;
    Lanes u;
    for (std::size_t l = 0; l < kLanes; ++l)
      u[l] = ic[l] != 0 ? vd[l] - ra * ic[l] : vd[l] / (1 + k);
    Lanes sh{}, ch{}, step{};
    const double inv_v0 = 1.0 / v0;
    for (int it = 0; it < 60; ++it) {
      int moving = 0;
      for (std::size_t l = 0; l < kLanes; ++l) {
        sinh_cosh(u[l] * inv_v0, sh[l], ch[l]);
        step[l] = (u[l] + k * v0 * sh[l] - vd[l]) / (1 + k * ch[l]);
        u[l] -= step[l];
        moving |= static_cast<int>(std::abs(step[l]) > 1e-7 * std::abs(u[l]));
      }
      if (moving == 0) break;
    }
    // Stopped once every step is ≤ 1e-7 of u: Newton's quadratic convergence
    // leaves the new u within ~1e-13 relative (slope ≥ 1, curvature ≤ a few
    // per volt), so no further exp is spent checking it. The current at that
    // u is taken to first order in the last step (error ~ step²/V0²).
    for (std::size_t l = 0; l < kLanes; ++l) {
      ic[l] = g * (v0 * sh[l] - ch[l] * step[l]);
      gt[l] = g * ch[l] / (1 + k * ch[l]);  // dI/dvd
    }
  }

  // sinh and cosh from one exp (the series near 0 keeps sinh's relative accuracy).
  static void sinh_cosh(double y, double& sh, double& ch) {
    const double e = kit::exp_fast(y), ie = 1.0 / e;
    sh = std::abs(y) < 1e-4 ? y + y * y * y / 6.0 : 0.5 * (e - ie);
    ch = 0.5 * (e + ie);
  }

  void update_cells(Work& w) const {
    const std::size_t MN = c_.rows * c_.cols;
    for (std::size_t k = 0; k < MN; ++k) {
      const double* vr = &w.v[k * kLanes];
      const double* vc = &w.v[(MN + k) * kLanes];
      double* gt = &w.gt[k * kLanes];
      double* ic = &w.ic[k * kLanes];
      if (c_.linear()) {
        for (std::size_t l = 0; l < kLanes; ++l) {
          gt[l] = geff_[k];
          ic[l] = geff_[k] * (vr[l] - vc[l]);
        }
      } else {
        Lanes vd;
        for (std::size_t l = 0; l < kLanes; ++l) vd[l] = vr[l] - vc[l];
        nonlinear_cell(g_[k], vd.data(), ic, gt);
      }
    }
  }

  // out = wires·x + (cells: ic when residual, gt·(x_R − x_C) when Jacobian);
  // source/sink terms included; fixed nodes set to 0.
  template <bool kResidual>
  void apply(const std::vector<double>& x, const double* vin, const Work& w,
             std::vector<double>& out) const {
    const std::size_t M = c_.rows, N = c_.cols, MN = M * N;
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j < N; ++j) {
        const std::size_t n = R(i, j);
        const double* xn = &x[n * kLanes];
        const double* xc = &x[(MN + n) * kLanes];
        const double* gt = &w.gt[n * kLanes];
        const double* ic = &w.ic[n * kLanes];
        double* o = &out[n * kLanes];
        for (std::size_t l = 0; l < kLanes; ++l) o[l] = kResidual ? ic[l] : gt[l] * (xn[l] - xc[l]);
        if (j > 0) {
          const double* xl = &x[(n - 1) * kLanes];
          for (std::size_t l = 0; l < kLanes; ++l) o[l] += gwr_ * (xn[l] - xl[l]);
        }
        if (j + 1 < N) {
          const double* xr = &x[(n + 1) * kLanes];
          for (std::size_t l = 0; l < kLanes; ++l) o[l] += gwr_ * (xn[l] - xr[l]);
        }
        if (j == 0) {
          if (source_ideal()) {
            for (std::size_t l = 0; l < kLanes; ++l) o[l] = 0.0;
          } else {
            for (std::size_t l = 0; l < kLanes; ++l) {
              o[l] += gs_ * (xn[l] - (kResidual ? vin[i * kLanes + l] : 0.0));
            }
          }
        }
      }
    }
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j < N; ++j) {
        const std::size_t n = MN + R(i, j);
        const double* xn = &x[n * kLanes];
        const double* xr = &x[R(i, j) * kLanes];
        const double* gt = &w.gt[R(i, j) * kLanes];
        const double* ic = &w.ic[R(i, j) * kLanes];
        double* o = &out[n * kLanes];
        for (std::size_t l = 0; l < kLanes; ++l)
          o[l] = kResidual ? -ic[l] : gt[l] * (xn[l] - xr[l]);
        if (i > 0) {
          const double* xu = &x[(n - N) * kLanes];
          for (std::size_t l = 0; l < kLanes; ++l) o[l] += gwc_ * (xn[l] - xu[l]);
        }
        if (i + 1 < M) {
          const double* xd = &x[(n + N) * kLanes];
          for (std::size_t l = 0; l < kLanes; ++l) o[l] += gwc_ * (xn[l] - xd[l]);
        }
        if (i + 1 == M) {
          if (sink_ideal()) {
            for (std::size_t l = 0; l < kLanes; ++l) o[l] = 0.0;
          } else {
            for (std::size_t l = 0; l < kLanes; ++l) o[l] += gk_ * xn[l];
          }
        }
      }
    }
  }

  // Walks every row wire and column wire as a chain: f(first, stride, len,
  // gw, first cell, cell stride, end at start?, end conductance, end fixed?).
  template <class F>
  void for_each_chain(F&& f, bool rows = true, bool cols = true) const {
    const std::size_t M = c_.rows, N = c_.cols, MN = M * N;
    for (std::size_t i = 0; i < M && rows; ++i)
      f(R(i, 0), 1, N, gwr_, R(i, 0), 1, true, gs_, source_ideal());
    for (std::size_t j = 0; j < N && cols; ++j)
      f(MN + j, N, M, gwc_, j, N, false, gk_, sink_ideal());
  }

  // LU factors of the preconditioner's tridiagonal chains (cells on the
  // diagonal, the row-column coupling dropped): inv = 1/pivot, cp = gw/pivot
  // towards the next node, so that every PCG iteration is divisions-free.
  // L = kLanes: per lane, from tangent conductances gt[cell·kLanes + l]
  // (nonlinear cells, once per Newton step); L = 1: one set shared by every
  // lane and input, from gt[cell] (ohmic cells, once per solver).
  template <std::size_t L>
  void factor_chains(const double* gt_all, double* inv_all, double* cp_all) const {
    for_each_chain([&](std::size_t first, std::size_t stride, std::size_t len, double gw,
                       std::size_t cell_first, std::size_t cell_stride, bool end_at_start,
                       double g_end, bool end_fixed) {
      const std::size_t t0 = (end_at_start && end_fixed) ? 1 : 0;
      const std::size_t t1 = (!end_at_start && end_fixed) ? len - 1 : len;  // exclusive
      std::array<double, L> cprev{};
      for (std::size_t t = t0; t < t1; ++t) {
        const std::size_t n = first + t * stride;
        const double* gt = &gt_all[(cell_first + t * cell_stride) * L];
        double wires = (t > 0 ? gw : 0.0) + (t + 1 < len ? gw : 0.0);
        if (end_at_start ? t == 0 : t + 1 == len) wires += g_end;
        double* inv = &inv_all[n * L];
        double* cn = &cp_all[n * L];
        const bool linked_next = t + 1 < t1;
        for (std::size_t l = 0; l < L; ++l) {
          inv[l] = 1.0 / (wires + gt[l] - (t > t0 ? gw * cprev[l] : 0.0));
          cn[l] = linked_next ? gw * inv[l] : 0.0;
          cprev[l] = cn[l];
        }
      }
    });
  }

  // z = T^-1·r on the row chains, with the factors above (fixed nodes: z = 0).
  template <std::size_t L>
  void row_solve(const std::vector<double>& r, const double* inv_all, const double* cp_all,
                 std::vector<double>& z) const {
    constexpr std::size_t kPerLane = L > 1 ? 1 : 0;
    for_each_chain(
        [&](std::size_t first, std::size_t stride, std::size_t len, double gw, std::size_t,
            std::size_t, bool end_at_start, double, bool end_fixed) {
          const std::size_t t0 = (end_at_start && end_fixed) ? 1 : 0;
          const std::size_t t1 = (!end_at_start && end_fixed) ? len - 1 : len;
          if (t0 != 0) std::fill_n(&z[first * kLanes], kLanes, 0.0);
          if (t1 != len) std::fill_n(&z[(first + (len - 1) * stride) * kLanes], kLanes, 0.0);
          for (std::size_t t = t0; t < t1; ++t) {
            const std::size_t n = first + t * stride;
            const double* rn = &r[n * kLanes];
            const double* inv = &inv_all[n * L];
            double* zn = &z[n * kLanes];
            if (t > t0) {
              const double* zp = &z[(n - stride) * kLanes];
              for (std::size_t l = 0; l < kLanes; ++l) {
                zn[l] = (rn[l] + gw * zp[l]) * inv[l * kPerLane];
              }
            } else {
              for (std::size_t l = 0; l < kLanes; ++l) zn[l] = rn[l] * inv[l * kPerLane];
            }
          }
          for (std::size_t t = t1; t-- > t0;) {
            if (t + 1 >= t1) continue;
            const std::size_t n = first + t * stride;
            double* zn = &z[n * kLanes];
            const double* zx = &z[(n + stride) * kLanes];
            const double* cn = &cp_all[n * L];
            for (std::size_t l = 0; l < kLanes; ++l) zn[l] += cn[l * kPerLane] * zx[l];
          }
        },
        true, false);
  }

  // The same on the column chains, all columns at once row by row, so that
  // each step streams one contiguous row of nodes instead of striding N
  // nodes down one column.
  template <std::size_t L>
  void column_solve(const std::vector<double>& r, const double* inv_all, const double* cp_all,
                    std::vector<double>& z) const {
    constexpr std::size_t kPerLane = L > 1 ? 1 : 0;
    const std::size_t M = c_.rows, N = c_.cols, MN = M * N, row = N * kLanes;
    const std::size_t t1 = sink_ideal() ? M - 1 : M;  // a grounded last node stays 0
    if (t1 != M) std::fill_n(&z[(MN + (M - 1) * N) * kLanes], row, 0.0);
    for (std::size_t t = 0; t < t1; ++t) {
      const std::size_t n0 = MN + t * N;
      const double* rn = &r[n0 * kLanes];
      const double* zp = &z[(t > 0 ? n0 - N : n0) * kLanes];  // row 0: nothing above
      const double above = t > 0 ? gwc_ : 0.0;
      double* zn = &z[n0 * kLanes];
      for (std::size_t j = 0; j < N; ++j) {
        const double* inv = &inv_all[(n0 + j) * L];
        for (std::size_t l = 0; l < kLanes; ++l) {
          const std::size_t k = j * kLanes + l;
          zn[k] = (rn[k] + above * zp[k]) * inv[l * kPerLane];
        }
      }
    }
    for (std::size_t t = t1 > 0 ? t1 - 1 : 0; t-- > 0;) {  // t1 - 2 down to 0
      const std::size_t n0 = MN + t * N;
      double* zn = &z[n0 * kLanes];
      const double* zx = &z[(n0 + N) * kLanes];
      for (std::size_t j = 0; j < N; ++j) {
        const double* cn = &cp_all[(n0 + j) * L];
        for (std::size_t l = 0; l < kLanes; ++l) {
          zn[j * kLanes + l] += cn[l * kPerLane] * zx[j * kLanes + l];
        }
      }
    }
  }

  // Symmetric block Gauss-Seidel over the two wire families: rows, then
  // columns with the rows' answer coupled in through the cells, then rows
  // again with the columns' answer. Symmetric positive definite, so PCG
  // still applies, and it takes about half the iterations of the plain
  // (block-Jacobi) line preconditioner.
  void precondition(const std::vector<double>& r, Work& w, std::vector<double>& z) const {
    if (c_.linear()) {
      sgs<1>(r, w, lin_inv_.data(), lin_cp_.data(), z);
    } else {
      sgs<kLanes>(r, w, w.inv.data(), w.cp.data(), z);
    }
  }

  template <std::size_t L>
  void sgs(const std::vector<double>& r, Work& w, const double* inv, const double* cp,
           std::vector<double>& z) const {
    const std::size_t MN = c_.rows * c_.cols;
    row_solve<L>(r, inv, cp, z);
    for (std::size_t k = 0; k < MN; ++k) {
      for (std::size_t l = 0; l < kLanes; ++l) {
        w.t[(MN + k) * kLanes + l] =
            r[(MN + k) * kLanes + l] + w.gt[k * kLanes + l] * z[k * kLanes + l];
      }
    }
    column_solve<L>(w.t, inv, cp, z);
    for (std::size_t k = 0; k < MN; ++k) {
      for (std::size_t l = 0; l < kLanes; ++l) {
        w.t[k * kLanes + l] = r[k * kLanes + l] + w.gt[k * kLanes + l] * z[(MN + k) * kLanes + l];
      }
    }
    row_solve<L>(w.t, inv, cp, z);
  }

  static Lanes dot(const std::vector<double>& a, const std::vector<double>& b) {
    Lanes s{};
    for (std::size_t n = 0; n < a.size(); n += kLanes) {
      for (std::size_t l = 0; l < kLanes; ++l) s[l] += a[n + l] * b[n + l];
    }
    return s;
  }

  double sink_current(const Work& w, std::size_t j, std::size_t l) const {
    const std::size_t M = c_.rows;
    if (!sink_ideal()) return gk_ * w.v[C(M - 1, j) * kLanes + l];
    // Ideal ground: the cell and the column wire flowing into node C(M-1, j).
    double i = w.ic[R(M - 1, j) * kLanes + l];
    if (M > 1) i += gwc_ * w.v[C(M - 2, j) * kLanes + l];
    return i;
  }

  std::pair<int, double> solve_group(const std::vector<double>& vin, Work& w) const {
    const std::size_t M = c_.rows, N = c_.cols;
    // Start: rows at their source voltage, columns at ground.
    std::fill(w.v.begin(), w.v.end(), 0.0);
    std::fill(w.ic.begin(), w.ic.end(), 0.0);  // no warm start across groups: thread-independent
    for (std::size_t i = 0; i < M; ++i) {
      for (std::size_t j = 0; j < N; ++j) {
        std::copy_n(&vin[i * kLanes], kLanes, &w.v[R(i, j) * kLanes]);
      }
    }
    int total = 0;
    double achieved = 0;
    std::vector<double> prev_out(N * kLanes, 0.0);
    const int newton_max = c_.linear() ? 1 : 100;
    // Linear solves: inexact Newton (S. C. Eisenstat and H. F. Walker, SIAM
    // J. Sci. Comput. 17(1), 1996): step k stops at ‖r‖ ≤ η_k·‖F_k‖ with
    // η_k = min(0.1, ‖F_k‖/‖F_0‖), and never below 1e-2·tolerance·‖F_0‖, the
    // whole solve's accuracy. Ohmic cells: one step to that floor.
    const double target = 1e-2 * tol_;
    Lanes f0{};
    update_cells(w);
    for (int nt = 0; nt < newton_max; ++nt) {
      apply<true>(w.v, vin.data(), w, w.r);  // F(v): current leaving each node
      for (auto& x : w.r) x = -x;            // solve J·d = −F
      const Lanes ff = dot(w.r, w.r);
      if (nt == 0) f0 = ff;
      Lanes goal{}, rz{};
      bool settled = true;  // already within the floor: no step (Newton's last check)
      for (std::size_t l = 0; l < kLanes; ++l) {
        const double eta =
            c_.linear() || f0[l] <= 0 ? 0.0 : std::min(0.1, std::sqrt(ff[l] / f0[l]));
        goal[l] = std::max(eta * eta * ff[l], target * target * f0[l]);  // squared
        settled = settled && ff[l] <= target * target * f0[l];
      }
      std::fill(w.d.begin(), w.d.end(), 0.0);
      if (!settled) {
        if (!c_.linear()) factor_chains<kLanes>(w.gt.data(), w.inv.data(), w.cp.data());
        precondition(w.r, w, w.z);
        w.p = w.z;
        rz = dot(w.r, w.z);
      }
      double worst = 0;
      int it = 0;
      for (;; ++it) {
        const Lanes rr = dot(w.r, w.r);
        bool done = true;
        worst = 0;
        for (std::size_t l = 0; l < kLanes; ++l) {
          done = done && rr[l] <= goal[l];
          if (f0[l] > 0) worst = std::max(worst, std::sqrt(rr[l] / f0[l]));
        }
        if (done) break;
        if (it >= max_it_) {
          throw kit::RuntimeError(fmt::format(
              "fast circuit solve did not converge: relative residual {:.3g} after {} "
              "iterations (solver.tolerance {:g}); raise solver.max_iterations or use \"exact\"",
              worst, it, tol_));
        }
        apply<false>(w.p, nullptr, w, w.q);
        const Lanes pq = dot(w.p, w.q);
        Lanes alpha{};
        for (std::size_t l = 0; l < kLanes; ++l) alpha[l] = pq[l] > 0 ? rz[l] / pq[l] : 0.0;
        for (std::size_t n = 0; n < w.d.size(); n += kLanes) {
          for (std::size_t l = 0; l < kLanes; ++l) {
            w.d[n + l] += alpha[l] * w.p[n + l];
            w.r[n + l] -= alpha[l] * w.q[n + l];
          }
        }
        precondition(w.r, w, w.z);
        const Lanes rz_new = dot(w.r, w.z);
        Lanes beta{};
        for (std::size_t l = 0; l < kLanes; ++l) beta[l] = rz[l] > 0 ? rz_new[l] / rz[l] : 0.0;
        rz = rz_new;
        for (std::size_t n = 0; n < w.p.size(); n += kLanes) {
          for (std::size_t l = 0; l < kLanes; ++l) w.p[n + l] = w.z[n + l] + beta[l] * w.p[n + l];
        }
      }
      total += it;
      achieved = worst;
      if (settled) return {total, achieved};
      for (std::size_t k = 0; k < w.v.size(); ++k) w.v[k] += w.d[k];
      update_cells(w);  // the new currents, and the next step's tangents
      if (c_.linear()) return {total, achieved};
      // Newton converged when the output currents stop moving.
      double change = 0, scale = 0;
      for (std::size_t j = 0; j < N; ++j) {
        for (std::size_t l = 0; l < kLanes; ++l) {
          const double o = sink_current(w, j, l);
          change = std::max(change, std::abs(o - prev_out[j * kLanes + l]));
          scale = std::max(scale, std::abs(o));
          prev_out[j * kLanes + l] = o;
        }
      }
      if (change <= 1e-2 * tol_ * scale) return {total, achieved};
    }
    throw kit::RuntimeError(
        "fast circuit solve: Newton's method did not converge in 100 steps "
        "(nonlinear cells driven far beyond iv_v0_v?)");
  }

  CircuitSpec c_;
  std::vector<double> g_, geff_;
  std::vector<double> lin_inv_, lin_cp_;  // ohmic cells: preconditioner factors for every lane
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
