#include "arrays/circuit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "arrays/solvers/nodal_graph.h"
#include "core/kit/error.h"

namespace xbarsim::arrays {

CircuitSpec CircuitSpec::from(const ArraySpec& a, double iv_v0_v) {
  CircuitSpec c;
  c.rows = a.rows;
  c.cols = a.cols;
  c.r_source_ohm = a.r_source_ohm;
  c.r_wire_row_ohm = a.r_wire_row_ohm;
  c.r_wire_col_ohm = a.r_wire_col_ohm;
  c.r_sink_ohm = a.r_sink_ohm;
  c.r_access_ohm = a.cell == "1T1R" ? a.r_access_ohm : 0.0;
  c.iv_v0_v = iv_v0_v;
  return c;
}

std::vector<kit::ParamInfo> SolverSpec::params(const std::string& impl) {
  std::vector<kit::ParamInfo> p;
  if (impl == "ideal") return p;
  p.push_back(kit::choice_param("ir_compensation", "none", {"none", "column_scale"},
                                "tile VMM: per-column gain fitted at programming so the "
                                "all-ones response matches the ideal one"));
  if (impl == "fast") {
    p.push_back(kit::positive_param(
        "tolerance", 1e-6, "", "relative error of the column currents at which iteration stops"));
    p.push_back(kit::int_param("max_iterations", 1000, 1, 1000000,
                               "iterations before giving up with an error"));
  }
  return p;
}

SolverSpec SolverSpec::from_json(const kit::Json& j) {
  SolverSpec s;
  s.impl = j.at("impl").get<std::string>();
  if (j.contains("tolerance")) s.tolerance = j.at("tolerance").get<double>();
  if (j.contains("max_iterations")) s.max_iterations = j.at("max_iterations").get<int>();
  if (j.contains("ir_compensation")) s.ir_compensation = j.at("ir_compensation").get<std::string>();
  return s;
}

void check_circuit_inputs(const CircuitSpec& c, const std::vector<double>& g_s,
                          const std::vector<double>& v, std::size_t batch) {
  if (g_s.size() != c.rows * c.cols) {
    throw kit::InputError(
        fmt::format("conductances: {} values for a {} x {} array", g_s.size(), c.rows, c.cols));
  }
  // Zero is an open cell; otherwise 1e-24..1e6 S, so every resistance 1/G and
  // every product in the solve stays representable (a denormal G would be an
  // infinite resistor in a netlist, a huge one overflows the solve).
  for (std::size_t k = 0; k < g_s.size(); ++k) {
    const double g = g_s[k];
    if (!std::isfinite(g) || g < 0 || (g != 0 && (g < kMinCellSiemens || g > kMaxCellSiemens))) {
      throw kit::InputError(
          fmt::format("conductances: value {} at [{}, {}] must be finite: 0 (open) or between "
                      "{:g} and {:g} siemens",
                      g, k / c.cols, k % c.cols, kMinCellSiemens, kMaxCellSiemens));
    }
  }
  if (v.size() != batch * c.rows) {
    throw kit::InputError(
        fmt::format("voltages: {} values for batch {} x {} rows", v.size(), batch, c.rows));
  }
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (!std::isfinite(v[k]) || std::abs(v[k]) > kMaxVolts) {
      throw kit::InputError(
          fmt::format("voltages: value {} at [{}, {}] must be finite, |V| <= {:g}", v[k],
                      k / c.rows, k % c.rows, kMaxVolts));
    }
  }
}

std::vector<std::string> circuit_input_warnings(const std::vector<double>& g_s,
                                                const std::vector<double>& v) {
  std::vector<std::string> w;
  const double g_max = g_s.empty() ? 0.0 : *std::max_element(g_s.begin(), g_s.end());
  if (g_max > 1e-2) {
    w.push_back(
        fmt::format("conductances: largest value {:g} S (a {:.3g} ohm cell) is above "
                    "10 mS; conductances are in siemens (40 uS is 4e-5)",
                    g_max, 1.0 / g_max));
  }
  double v_max = 0;
  for (const double x : v) v_max = std::max(v_max, std::abs(x));
  if (v_max > 10.0) {
    w.push_back(
        fmt::format("voltages: largest |V| {:g} V is above 10 V; voltages are in volts "
                    "(read voltages are usually 0.1-0.5 V)",
                    v_max));
  }
  return w;
}

std::vector<double> ideal_currents(const CircuitSpec& c, const std::vector<double>& g_s,
                                   const std::vector<double>& v, std::size_t batch) {
  std::vector<double> out(batch * c.cols, 0.0);
  for (std::size_t b = 0; b < batch; ++b) {
    for (std::size_t i = 0; i < c.rows; ++i) {
      const double vi = v[b * c.rows + i];
      for (std::size_t j = 0; j < c.cols; ++j) out[b * c.cols + j] += vi * g_s[i * c.cols + j];
    }
  }
  return out;
}

namespace {

class IdealSolver final : public CircuitSolver {
 public:
  IdealSolver(const CircuitSpec& c, std::vector<double> g) : c_(c), g_(std::move(g)) {}
  CircuitResult solve(const std::vector<double>& v, std::size_t batch,
                      bool want_nodes) const override {
    CircuitResult r;
    r.currents_a = ideal_currents(c_, g_, v, batch);
    if (want_nodes) {  // rows at their source voltage, columns at ground
      r.v_row.resize(batch * c_.rows * c_.cols);
      r.v_col.assign(batch * c_.rows * c_.cols, 0.0);
      for (std::size_t b = 0; b < batch; ++b) {
        for (std::size_t i = 0; i < c_.rows; ++i) {
          for (std::size_t j = 0; j < c_.cols; ++j) {
            r.v_row[(b * c_.rows + i) * c_.cols + j] = v[b * c_.rows + i];
          }
        }
      }
    }
    return r;
  }

 private:
  CircuitSpec c_;
  std::vector<double> g_;
};

}  // namespace

std::unique_ptr<CircuitSolver> make_circuit_solver(const SolverSpec& s, const CircuitSpec& c,
                                                   std::vector<double> g_s) {
  if (s.impl == "exact") return make_exact_solver(c, std::move(g_s));
  if (s.impl == "fast") return make_fast_solver(c, std::move(g_s), s);
  if (!c.linear()) {
    throw kit::ConfigError("solver.impl",
                           "nonlinear cells (device.iv_v0_v > 0) need the "
                           "\"exact\" or \"fast\" solver");
  }
  return std::make_unique<IdealSolver>(c, std::move(g_s));
}

std::vector<double> effective_conductances(const SolverSpec& solver, const CircuitSpec& c,
                                           const std::vector<double>& g_s) {
  if (!c.linear()) {
    throw kit::ConfigError("device.iv_v0_v",
                           "nonlinear cells have no effective conductance "
                           "matrix; the tile solves them per read");
  }
  // Both solvers take the direct nested dissection when the wires allow it
  // (exact to rounding, and faster than iterating); otherwise row i of the
  // result is the column currents for a 1 V input on row i alone.
  if (solver.models_wires() && nested_transfer_applies(c)) return nested_transfer_matrix(c, g_s);
  return make_circuit_solver(solver, c, g_s)->transfer_matrix(c.rows);
}

std::string spice_netlist(const CircuitSpec& c, const std::vector<double>& g_s,
                          const std::vector<double>& v) {
  // Node names: r<i>_<j>, c<i>_<j>, m<i>_<j> (1T1R internal), in<i>, out<j>.
  // Ideal connections are written as 0-V sources so that names stay distinct.
  const std::size_t M = c.rows, N = c.cols;
  std::string d = fmt::format("* xbarsim crossbar {} x {} (docs/circuit.md convention)\n", M, N);
  std::size_t k = 0;
  auto res = [&](const std::string& a, const std::string& b, double r) {
    if (r > 0) {
      d += fmt::format("R{} {} {} {:.17g}\n", k++, a, b, r);
    } else {
      d += fmt::format("V{} {} {} DC 0\n", k++, a, b);
    }
  };
  for (std::size_t i = 0; i < M; ++i) {
    d += fmt::format("VIN{} in{} 0 DC {:.17g}\n", i, i, v[i]);
    res(fmt::format("in{}", i), fmt::format("r{}_0", i), c.r_source_ohm);
    for (std::size_t j = 0; j + 1 < N; ++j) {
      res(fmt::format("r{}_{}", i, j), fmt::format("r{}_{}", i, j + 1), c.r_wire_row_ohm);
    }
  }
  for (std::size_t j = 0; j < N; ++j) {
    for (std::size_t i = 0; i + 1 < M; ++i) {
      res(fmt::format("c{}_{}", i, j), fmt::format("c{}_{}", i + 1, j), c.r_wire_col_ohm);
    }
    res(fmt::format("c{}_{}", M - 1, j), fmt::format("out{}", j), c.r_sink_ohm);
    d += fmt::format("VOUT{} out{} 0 DC 0\n", j, j);  // current probe into ground
  }
  for (std::size_t i = 0; i < M; ++i) {
    for (std::size_t j = 0; j < N; ++j) {
      const double g = g_s[i * N + j];
      if (g <= 0) continue;
      std::string top = fmt::format("r{}_{}", i, j);
      const std::string bottom = fmt::format("c{}_{}", i, j);
      if (c.r_access_ohm > 0) {
        const std::string mid = fmt::format("m{}_{}", i, j);
        d += fmt::format("RA{}_{} {} {} {:.17g}\n", i, j, top, mid, c.r_access_ohm);
        top = mid;
      }
      if (c.linear()) {
        d += fmt::format("RC{}_{} {} {} {:.17g}\n", i, j, top, bottom, 1.0 / g);
      } else {
        d += fmt::format("BC{}_{} {} {} I={:.17g}*{:.17g}*sinh(V({},{})/{:.17g})\n", i, j, top,
                         bottom, g, c.iv_v0_v, top, bottom, c.iv_v0_v);
      }
    }
  }
  d += ".options reltol=1e-12 abstol=1e-18 vntol=1e-15 gmin=0\n";
  d += ".control\nset numdgt=15\nop\nprint";
  for (std::size_t j = 0; j < N; ++j) d += fmt::format(" i(vout{})", j);
  d += "\n.endc\n.end\n";
  return d;
}

}  // namespace xbarsim::arrays
