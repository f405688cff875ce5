#pragma once
// The crossbar as a resistive circuit, in the convention of docs/circuit.md: row i
// is driven at its column-0 end by an ideal source V_i through r_source_ohm;
// row nodes (i,j)-(i,j+1) are joined by r_wire_row_ohm; column j is collected
// at its row-(M-1) end into a virtual ground (0 V) through r_sink_ohm; column
// nodes (i,j)-(i+1,j) are joined by r_wire_col_ohm; cell (i,j) joins row node
// (i,j) to column node (i,j) through its device (conductance G_ij, or the
// nonlinear I = G·V0·sinh(V/V0) when iv_v0_v > 0) in series with the access
// transistor's on-resistance r_access_ohm (1T1R). A zero resistance is an
// ideal connection. Output j is the current into column j's virtual ground.
//
// Contract: conductances in siemens (rows x cols, row-major, finite, >= 0),
// voltages in volts (batch x rows), currents in amperes (batch x cols).
// Solvers are immutable after construction and thread-safe.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "arrays/array_spec.h"
#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::arrays {

struct CircuitSpec {
  std::size_t rows = 0, cols = 0;
  double r_source_ohm = 0, r_wire_row_ohm = 0, r_wire_col_ohm = 0, r_sink_ohm = 0;
  double r_access_ohm = 0;  // 0 for passive (1R) cells
  double iv_v0_v = 0;       // 0 = ohmic cells

  static CircuitSpec from(const ArraySpec& array, double iv_v0_v);
  bool linear() const { return iv_v0_v <= 0; }
  // An ohmic cell's conductance: the device's g_s in series with the access
  // transistor (0 for an open cell).
  double cell_conductance(double g_s) const { return g_s / (1.0 + g_s * r_access_ohm); }
};

struct CircuitResult {
  std::vector<double> currents_a;    // batch x cols
  std::vector<double> v_row, v_col;  // batch x rows x cols, when nodes were asked for
  int iterations = 0;                // Newton or solver iterations (max over the batch)
  double residual = 0;               // achieved relative residual (max over the batch)
};

class CircuitSolver {
 public:
  virtual ~CircuitSolver() = default;
  CircuitSolver() = default;
  CircuitSolver(const CircuitSolver&) = delete;
  CircuitSolver& operator=(const CircuitSolver&) = delete;

  // Solves for every input vector of v (batch x rows).
  virtual CircuitResult solve(const std::vector<double>& v, std::size_t batch,
                              bool want_nodes) const = 0;

  // The effective conductance matrix T (S, rows x cols) of an ohmic network,
  // I = V·T: by default one solve per row with a unit input.
  virtual std::vector<double> transfer_matrix(std::size_t rows) const {
    std::vector<double> eye(rows * rows, 0.0);
    for (std::size_t i = 0; i < rows; ++i) eye[i * rows + i] = 1.0;
    return solve(eye, rows, false).currents_a;
  }
};

struct SolverSpec {
  std::string impl = "ideal";  // "ideal" | "exact" | "fast"
  double tolerance = 1e-6;     // fast: relative error of the column currents
  int max_iterations = 1000;
  // Line-resistance compensation in a tile: "column_scale" scales each
  // column of the effective matrix so that its all-ones response equals the
  // ideal one (a per-column digital gain fitted at programming time).
  std::string ir_compensation = "none";

  // The solve includes the wires and access devices (every solver but ideal).
  bool models_wires() const { return impl != "ideal"; }

  // Parameters of a variant: ideal has none; exact and fast take the
  // compensation; fast also its tolerance and iteration limit.
  static std::vector<kit::ParamInfo> params(const std::string& impl);
  static SolverSpec from_json(const kit::Json& resolved);
};

// Cell conductances and row voltages a circuit takes (beyond them 1/G or the
// solve's products leave double precision's range).
inline constexpr double kMinCellSiemens = 1e-24, kMaxCellSiemens = 1e6, kMaxVolts = 1e6;
// Checks conductances (shape, 0 or within the range above) and voltages
// (finite, within kMaxVolts); one-line errors.
void check_circuit_inputs(const CircuitSpec& c, const std::vector<double>& g_s,
                          const std::vector<double>& v, std::size_t batch);
// Valid but implausible inputs, one "what: value and the unit" line each:
// a cell above 10 mS (G is in siemens, not µS), row voltages above 10 V.
std::vector<std::string> circuit_input_warnings(const std::vector<double>& g_s,
                                                const std::vector<double>& v);

// Builds the solver for one conductance state (g_s in S, rows x cols).
std::unique_ptr<CircuitSolver> make_circuit_solver(const SolverSpec& solver, const CircuitSpec& c,
                                                   std::vector<double> g_s);

// The ideal product I_j = Σ_i V_i·G_ij (no wires, no access device, ohmic).
std::vector<double> ideal_currents(const CircuitSpec& c, const std::vector<double>& g_s,
                                   const std::vector<double>& v, std::size_t batch);

// The effective conductance matrix T (S, rows x cols) of an ohmic network:
// I = V·T for every input. With resistive row and column wires, by nested
// dissection (exact to rounding, about (M·N)^1.5 flops); otherwise one solve
// per row with unit inputs, exact to the solver's tolerance. Refused for
// nonlinear cells (no such matrix).
std::vector<double> effective_conductances(const SolverSpec& solver, const CircuitSpec& c,
                                           const std::vector<double>& g_s);

// An ngspice-compatible deck of the same circuit: one .op per input vector
// (batch decks joined with .alter is not portable, so batch must be 1), and
// zero-volt sources "vout<j>" whose currents are the outputs.
std::string spice_netlist(const CircuitSpec& c, const std::vector<double>& g_s,
                          const std::vector<double>& v);

}  // namespace xbarsim::arrays
