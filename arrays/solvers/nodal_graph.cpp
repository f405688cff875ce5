#include "arrays/solvers/nodal_graph.h"

#include <cmath>
#include <numeric>

namespace xbarsim::arrays {
namespace {

std::size_t find(std::vector<std::size_t>& parent, std::size_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

}  // namespace

double NodalGraph::current(const Element& e, const std::vector<double>& v_class) const {
  const double dv = v_class[node_class[e.a]] - v_class[node_class[e.b]];
  return e.device && v0 > 0 ? e.g * v0 * std::sinh(dv / v0) : e.g * dv;
}

NodalGraph build_nodal_graph(const CircuitSpec& c, const std::vector<double>& g_s) {
  NodalGraph n;
  n.rows = c.rows;
  n.cols = c.cols;
  n.v0 = c.linear() ? 0.0 : c.iv_v0_v;
  const std::size_t M = c.rows, N = c.cols;
  const bool mid = !c.linear() && c.r_access_ohm > 0;
  n.nodes = 2 * M * N + M + N + (mid ? M * N : 0);
  std::vector<std::size_t> parent(n.nodes);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto join = [&](std::size_t a, std::size_t b, double r_ohm) {
    if (r_ohm <= 0) {
      parent[find(parent, a)] = find(parent, b);  // ideal connection
    } else {
      n.elements.push_back({a, b, 1.0 / r_ohm, false});
    }
  };
  for (std::size_t i = 0; i < M; ++i) {
    join(n.source_terminal(i), n.row_node(i, 0), c.r_source_ohm);
    for (std::size_t j = 0; j + 1 < N; ++j)
      join(n.row_node(i, j), n.row_node(i, j + 1), c.r_wire_row_ohm);
  }
  for (std::size_t j = 0; j < N; ++j) {
    for (std::size_t i = 0; i + 1 < M; ++i)
      join(n.col_node(i, j), n.col_node(i + 1, j), c.r_wire_col_ohm);
    join(n.col_node(M - 1, j), n.sink_terminal(j), c.r_sink_ohm);
  }
  for (std::size_t i = 0; i < M; ++i) {
    for (std::size_t j = 0; j < N; ++j) {
      const double g = g_s[i * N + j];
      if (g <= 0) {  // an open cell carries no current; its internal node is not a node
        if (mid) parent[find(parent, n.mid_node(i, j))] = find(parent, n.row_node(i, j));
        continue;
      }
      if (c.linear()) {
        // Device and access transistor in series: one ohmic element.
        n.elements.push_back({n.row_node(i, j), n.col_node(i, j), c.cell_conductance(g), false});
      } else if (mid) {
        n.elements.push_back({n.row_node(i, j), n.mid_node(i, j), 1.0 / c.r_access_ohm, false});
        n.elements.push_back({n.mid_node(i, j), n.col_node(i, j), g, true});
      } else {
        n.elements.push_back({n.row_node(i, j), n.col_node(i, j), g, true});
      }
    }
  }
  // Classes: roots of the union-find, numbered; fixed when they hold a terminal.
  std::vector<long> root_class(n.nodes, -1);
  n.node_class.resize(n.nodes);
  std::size_t classes = 0;
  for (std::size_t x = 0; x < n.nodes; ++x) {
    const std::size_t r = find(parent, x);
    if (root_class[r] < 0) root_class[r] = static_cast<long>(classes++);
    n.node_class[x] = static_cast<std::size_t>(root_class[r]);
  }
  n.source.assign(classes, -1);
  n.sink.assign(classes, -1);
  for (std::size_t i = 0; i < M; ++i)
    n.source[n.node_class[n.source_terminal(i)]] = static_cast<long>(i);
  for (std::size_t j = 0; j < N; ++j)
    n.sink[n.node_class[n.sink_terminal(j)]] = static_cast<long>(j);
  n.unknown.assign(classes, -1);
  for (std::size_t k = 0; k < classes; ++k) {
    if (n.source[k] < 0 && n.sink[k] < 0) n.unknown[k] = static_cast<long>(n.unknowns++);
  }
  // Drop elements shorted onto themselves (both ends in one class).
  std::erase_if(n.elements,
                [&](const Element& e) { return n.node_class[e.a] == n.node_class[e.b]; });
  return n;
}

void set_fixed(const NodalGraph& n, const double* v, std::vector<double>& v_class) {
  for (std::size_t k = 0; k < v_class.size(); ++k) {
    if (n.source[k] >= 0) v_class[k] = v[n.source[k]];
    if (n.sink[k] >= 0) v_class[k] = 0.0;
  }
}

void sink_currents(const NodalGraph& n, const std::vector<double>& v_class, double* out) {
  for (std::size_t j = 0; j < n.cols; ++j) out[j] = 0.0;
  for (const Element& e : n.elements) {
    const long sa = n.sink[n.node_class[e.a]], sb = n.sink[n.node_class[e.b]];
    if (sb >= 0) out[sb] += n.current(e, v_class);  // flows a -> b into ground b
    if (sa >= 0) out[sa] -= n.current(e, v_class);
  }
}

void node_voltages(const NodalGraph& n, const std::vector<double>& v_class, double* out_row,
                   double* out_col) {
  for (std::size_t i = 0; i < n.rows; ++i) {
    for (std::size_t j = 0; j < n.cols; ++j) {
      out_row[i * n.cols + j] = v_class[n.node_class[n.row_node(i, j)]];
      out_col[i * n.cols + j] = v_class[n.node_class[n.col_node(i, j)]];
    }
  }
}

}  // namespace xbarsim::arrays
