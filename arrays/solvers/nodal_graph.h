#pragma once
// The crossbar circuit as a list of two-terminal elements over numbered
// nodes, with zero-resistance connections merged (union-find) and the nodes
// tied to a source or a virtual ground marked fixed. Shared by the solvers
// and the SPICE export.
#include <cstddef>
#include <vector>

#include "arrays/circuit.h"

namespace xbarsim::arrays {

struct Element {
  std::size_t a = 0, b = 0;  // physical nodes; current flows a -> b when V_a > V_b
  double g = 0;              // conductance (S); for a device, its G in I = G·V0·sinh(V/V0)
  bool device = false;       // nonlinear device element
};

struct NodalGraph {
  std::size_t rows = 0, cols = 0;
  double v0 = 0;  // nonlinear parameter (0 = every element ohmic)
  std::size_t nodes = 0;
  std::vector<Element> elements;        // finite, non-zero conductances only
  std::vector<std::size_t> node_class;  // node -> class (merged by shorts)
  std::vector<long> unknown;            // class -> unknown index, or -1 when fixed
  std::vector<long> source;             // class -> row i whose source fixes it, or -1
  std::vector<long> sink;               // class -> column j whose ground fixes it, or -1
  std::size_t unknowns = 0;

  // Physical node numbers.
  std::size_t row_node(std::size_t i, std::size_t j) const { return i * cols + j; }
  std::size_t col_node(std::size_t i, std::size_t j) const { return rows * cols + i * cols + j; }
  std::size_t source_terminal(std::size_t i) const { return 2 * rows * cols + i; }
  std::size_t sink_terminal(std::size_t j) const { return 2 * rows * cols + rows + j; }
  std::size_t mid_node(std::size_t i, std::size_t j) const {
    return 2 * rows * cols + rows + cols + i * cols + j;
  }

  // Current through element e from a to b, given class voltages.
  double current(const Element& e, const std::vector<double>& v_class) const;
};

NodalGraph build_nodal_graph(const CircuitSpec& c, const std::vector<double>& g_s);

// Class voltages with the fixed ones set from input vector v (rows values).
void set_fixed(const NodalGraph& n, const double* v, std::vector<double>& v_class);

// Currents into each virtual ground (cols values).
void sink_currents(const NodalGraph& n, const std::vector<double>& v_class, double* out);

// Node voltages of every row and column node into out_row / out_col (rows x cols each).
void node_voltages(const NodalGraph& n, const std::vector<double>& v_class, double* out_row,
                   double* out_col);

// The effective matrix T (rows x cols, S) by nested dissection (nested.cpp):
// ohmic cells and non-zero row and column wires; exact to rounding.
bool nested_transfer_applies(const CircuitSpec& c);
std::vector<double> nested_transfer_matrix(const CircuitSpec& c, const std::vector<double>& g_s);

std::unique_ptr<CircuitSolver> make_exact_solver(const CircuitSpec& c, std::vector<double> g_s);
std::unique_ptr<CircuitSolver> make_fast_solver(const CircuitSpec& c, std::vector<double> g_s,
                                                const SolverSpec& s);

}  // namespace xbarsim::arrays
