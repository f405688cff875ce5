// The reference solve: nodal analysis of the whole network in double
// precision with a sparse Cholesky (LDLT) factorization. Ohmic networks are
// factored once and every input vector is a pair of triangular solves;
// nonlinear cells are solved by Newton's method (companion model: each device
// becomes its tangent conductance plus a current source), refactoring the
// same sparsity pattern each step. Source: A. Chen, IEEE TED 60(4), 2013
// (crossbar nodal analysis, 2·M·N unknowns, symmetric positive definite).
#include <fmt/format.h>

#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <limits>

#include "arrays/solvers/nodal_graph.h"
#include "core/kit/error.h"

namespace xbarsim::arrays {
namespace {

using SpMat = Eigen::SparseMatrix<double>;
using Ldlt = Eigen::SimplicialLDLT<SpMat, Eigen::Lower, Eigen::AMDOrdering<int>>;

// A system matrix over the unknown classes and its factorization.
struct Factor {
  SpMat a;
  Ldlt ldlt;
};

class ExactSolver final : public CircuitSolver {
 public:
  ExactSolver(const CircuitSpec& c, const std::vector<double>& g_s)
      : net_(build_nodal_graph(c, g_s)) {
    // Pattern: every element between two unknowns, plus the diagonal.
    std::vector<Eigen::Triplet<double>> t;
    for (std::size_t u = 0; u < net_.unknowns; ++u) t.emplace_back(idx(u), idx(u), 0.0);
    for (const Element& e : net_.elements) {
      const long ua = unk(e.a), ub = unk(e.b);
      if (ua >= 0 && ub >= 0) {
        t.emplace_back(ua, ub, 0.0);
        t.emplace_back(ub, ua, 0.0);
      }
    }
    ohmic_.a.resize(idx(net_.unknowns), idx(net_.unknowns));
    ohmic_.a.setFromTriplets(t.begin(), t.end());
    if (net_.unknowns > 0) ohmic_.ldlt.analyzePattern(ohmic_.a);
    factor({}, ohmic_);  // ohmic network (Newton's starting point): once for every input
  }

  CircuitResult solve(const std::vector<double>& v, std::size_t batch,
                      bool want_nodes) const override {
    CircuitResult r;
    const std::size_t M = net_.rows, N = net_.cols;
    r.currents_a.resize(batch * N);
    if (want_nodes) {
      r.v_row.resize(batch * M * N);
      r.v_col.resize(batch * M * N);
    }
    std::vector<double> vc(net_.source.size(), 0.0);
    for (std::size_t b = 0; b < batch; ++b) {
      set_fixed(net_, v.data() + b * M, vc);
      int iterations = 1;
      if (net_.v0 == 0) {
        solve_linear({}, ohmic_, vc);
      } else {
        iterations = newton(vc);
      }
      r.iterations = std::max(r.iterations, iterations);
      r.residual = std::max(r.residual, relative_residual(vc));
      sink_currents(net_, vc, r.currents_a.data() + b * N);
      if (want_nodes)
        node_voltages(net_, vc, r.v_row.data() + b * M * N, r.v_col.data() + b * M * N);
    }
    if (!(r.residual <= 1e-10)) {
      throw kit::RuntimeError(fmt::format(
          "exact circuit solve reached a relative residual of {:.3g} (> 1e-10); the network is "
          "ill-conditioned (check for extreme resistance ratios)",
          r.residual));
    }
    return r;
  }

  // All M unit inputs at once against the one factorization (no per-input
  // assembly or residual pass), then T(i, j) = the current into ground j for
  // a 1 V input on row i alone.
  std::vector<double> transfer_matrix(std::size_t rows) const override {
    const std::size_t N = net_.cols;
    std::vector<double> t(rows * N, 0.0);
    Eigen::MatrixXd b = Eigen::MatrixXd::Zero(idx(net_.unknowns), static_cast<Eigen::Index>(rows));
    for (const Element& e : net_.elements) {
      const long ua = unk(e.a), ub = unk(e.b);
      const long sa = net_.source[net_.node_class[e.a]], sb = net_.source[net_.node_class[e.b]];
      if (ua >= 0 && sb >= 0) b(idx(ua), sb) += e.g;  // unit source on row sb
      if (ub >= 0 && sa >= 0) b(idx(ub), sa) += e.g;
    }
    Eigen::MatrixXd x;
    if (net_.unknowns > 0) x = ohmic_.ldlt.solve(b);
    // Current into ground j through every element that touches it.
    for (const Element& e : net_.elements) {
      for (const auto& [here, there] : {std::pair{e.b, e.a}, std::pair{e.a, e.b}}) {
        const long j = net_.sink[net_.node_class[here]];
        if (j < 0) continue;
        const std::size_t other = net_.node_class[there];
        for (std::size_t i = 0; i < rows; ++i) {
          const double v_other = net_.unknown[other] >= 0 ? x(idx(net_.unknown[other]), idx(i))
                                 : net_.source[other] == static_cast<long>(i) ? 1.0
                                                                              : 0.0;
          t[i * N + static_cast<std::size_t>(j)] += e.g * v_other;
        }
      }
    }
    return t;
  }

 private:
  static Eigen::Index idx(std::size_t u) { return static_cast<Eigen::Index>(u); }
  static Eigen::Index idx(long u) { return static_cast<Eigen::Index>(u); }
  long unk(std::size_t node) const { return net_.unknown[net_.node_class[node]]; }

  // Conductance of element k in the system: ohmic g, or a device's tangent.
  double element_g(std::size_t k, const std::vector<double>& tangent) const {
    return tangent.empty() ? net_.elements[k].g : tangent[k];
  }

  void factor(const std::vector<double>& tangent, Factor& f) const {
    if (net_.unknowns == 0) return;
    SpMat& a = f.a;
    for (int k = 0; k < a.outerSize(); ++k) {
      for (SpMat::InnerIterator it(a, k); it; ++it) it.valueRef() = 0.0;
    }
    for (std::size_t k = 0; k < net_.elements.size(); ++k) {
      const Element& e = net_.elements[k];
      const double g = element_g(k, tangent);
      const long ua = unk(e.a), ub = unk(e.b);
      if (ua >= 0) a.coeffRef(idx(ua), idx(ua)) += g;
      if (ub >= 0) a.coeffRef(idx(ub), idx(ub)) += g;
      if (ua >= 0 && ub >= 0) {
        a.coeffRef(idx(ua), idx(ub)) -= g;
        a.coeffRef(idx(ub), idx(ua)) -= g;
      }
    }
    f.ldlt.factorize(a);
    if (f.ldlt.info() != Eigen::Success) {
      throw kit::RuntimeError(
          "exact circuit solve: the network matrix is singular (a node is "
          "floating: not connected to any source or ground)");
    }
  }

  // Solves A·V = rhs for the unknown classes; rhs from fixed neighbours and
  // (Newton) device current sources.
  void solve_linear(const std::vector<double>& tangent, const Factor& f, std::vector<double>& vc,
                    const std::vector<double>* i_eq = nullptr) const {
    if (net_.unknowns == 0) return;
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(idx(net_.unknowns));
    for (std::size_t k = 0; k < net_.elements.size(); ++k) {
      const Element& e = net_.elements[k];
      const double g = element_g(k, tangent);
      const long ua = unk(e.a), ub = unk(e.b);
      if (ua >= 0 && ub < 0) rhs(idx(ua)) += g * vc[net_.node_class[e.b]];
      if (ub >= 0 && ua < 0) rhs(idx(ub)) += g * vc[net_.node_class[e.a]];
      if (i_eq != nullptr && e.device) {
        if (ua >= 0) rhs(idx(ua)) -= (*i_eq)[k];
        if (ub >= 0) rhs(idx(ub)) += (*i_eq)[k];
      }
    }
    const Eigen::VectorXd x = f.ldlt.solve(rhs);
    for (std::size_t cls = 0; cls < vc.size(); ++cls) {
      if (net_.unknown[cls] >= 0) vc[cls] = x(idx(net_.unknown[cls]));
    }
  }

  int newton(std::vector<double>& vc) const {
    solve_linear({}, ohmic_, vc);  // start from the small-signal (ohmic) solution
    Factor f{ohmic_.a, Ldlt()};    // this call's own matrix: solve() stays thread-safe
    if (net_.unknowns > 0) f.ldlt.analyzePattern(f.a);
    std::vector<double> tangent(net_.elements.size()), i_eq(net_.elements.size(), 0.0);
    double vmax = 0;
    for (const double x : vc) vmax = std::max(vmax, std::abs(x));
    double last_change = std::numeric_limits<double>::infinity();
    for (int it = 1; it <= 200; ++it) {
      for (std::size_t k = 0; k < net_.elements.size(); ++k) {
        const Element& e = net_.elements[k];
        if (!e.device) {
          tangent[k] = e.g;
          continue;
        }
        const double dv = vc[net_.node_class[e.a]] - vc[net_.node_class[e.b]];
        tangent[k] = e.g * std::cosh(dv / net_.v0);
        i_eq[k] = e.g * net_.v0 * std::sinh(dv / net_.v0) - tangent[k] * dv;
      }
      factor(tangent, f);
      std::vector<double> prev = vc;
      solve_linear(tangent, f, vc, &i_eq);
      double change = 0;
      for (std::size_t k = 0; k < vc.size(); ++k)
        change = std::max(change, std::abs(vc[k] - prev[k]));
      // Quadratic convergence down to rounding: stop at 1e-12 of the largest
      // voltage, or once steps below 1e-9 of it stop shrinking (rounding noise).
      const double scale = std::max(vmax, 1e-300);
      if (change <= 1e-12 * scale || (change <= 1e-9 * scale && change >= 0.5 * last_change))
        return it;
      last_change = change;
    }
    throw kit::RuntimeError(
        "exact circuit solve: Newton's method did not converge in 200 "
        "steps (nonlinear cells driven far beyond iv_v0_v?)");
  }

  // Backward error of the solve: at each unknown node, |KCL sum| relative to
  // the sum of the magnitudes of the terms that cancel in it (g·|V_a| and
  // g·|V_b| per element), so a stiff element next to weak ones is not
  // mistaken for an inaccurate solve.
  double relative_residual(const std::vector<double>& vc) const {
    std::vector<double> sum(vc.size(), 0.0), mag(vc.size(), 0.0);
    for (const Element& e : net_.elements) {
      const double i = net_.current(e, vc);
      const std::size_t a = net_.node_class[e.a], b = net_.node_class[e.b];
      const double m = e.device && net_.v0 > 0
                           ? std::abs(i) + e.g * std::cosh((vc[a] - vc[b]) / net_.v0) *
                                               (std::abs(vc[a]) + std::abs(vc[b]))
                           : e.g * (std::abs(vc[a]) + std::abs(vc[b]));
      sum[a] -= i;
      sum[b] += i;
      mag[a] += m;
      mag[b] += m;
    }
    double worst = 0;
    for (std::size_t k = 0; k < vc.size(); ++k) {
      if (net_.unknown[k] >= 0 && mag[k] > 0) worst = std::max(worst, std::abs(sum[k]) / mag[k]);
    }
    return worst;
  }

  NodalGraph net_;
  Factor ohmic_;
};

}  // namespace

std::unique_ptr<CircuitSolver> make_exact_solver(const CircuitSpec& c, std::vector<double> g_s) {
  return std::make_unique<ExactSolver>(c, g_s);
}

}  // namespace xbarsim::arrays
