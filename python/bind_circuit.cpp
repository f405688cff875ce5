// Circuit solves on their own: column currents and node voltages, and the
// effective conductance matrix.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "arrays/circuit.h"
#include "core/kit/error.h"
#include "core/tile/tile_spec.h"
#include "python/convert.h"

namespace xbarsim::python {
namespace {

// A circuit call's config and conductances, parsed and checked.
struct CircuitCall {
  kit::NdArray g;
  kit::MatrixShape gs;
  arrays::CircuitSpec circuit;
  arrays::SolverSpec solver;

  CircuitCall(const py::array& g_in, const py::object& c, const std::string& solver_impl)
      : g(to_nd(g_in, "conductances")), gs(kit::matrix_shape(g, "conductances", false)) {
    kit::Json cfg = to_json(c);
    if (!solver_impl.empty()) {
      registry().apply_overrides(cfg, {{"solver.impl", kit::Json(solver_impl)}});
    }
    const tile::TileSpec spec = tile::TileSpec::parse(cfg, registry());
    warn_all(spec.warnings);
    circuit = spec.checked_circuit(gs.rows, gs.cols, "conductances");
    solver = spec.solver_spec();
  }
};

}  // namespace

void bind_circuit(py::module_& m) {
  m.def(
      "solve_circuit",
      [](const py::array& g_in, const py::array& v_in, const py::object& c,
         const std::string& solver, bool nodes) {
        const CircuitCall call(g_in, c, solver);
        const auto& gs = call.gs;
        const kit::NdArray v = to_nd(v_in, "voltages");
        const auto vs = kit::matrix_shape(v, "voltages", true);
        if (vs.cols != gs.rows) {
          throw kit::InputError(
              fmt::format("voltages: shape {} needs {} columns (one per row of the conductances)",
                          v.shape_text(), gs.rows));
        }
        arrays::check_circuit_inputs(call.circuit, call.g.data, v.data, vs.rows);
        warn_all(arrays::circuit_input_warnings(call.g.data, v.data));
        arrays::CircuitResult r;
        {
          py::gil_scoped_release release;
          r = arrays::make_circuit_solver(call.solver, call.circuit, call.g.data)
                  ->solve(v.data, vs.rows, nodes);
        }
        py::array_t<double> i = to_numpy(kit::NdArray{{vs.rows, gs.cols}, r.currents_a});
        if (!nodes) return py::object(i);
        const std::vector<std::size_t> shape = {vs.rows, gs.rows, gs.cols};
        py::dict d;
        d["currents"] = i;
        d["v_row"] = to_numpy(kit::NdArray{shape, r.v_row});
        d["v_col"] = to_numpy(kit::NdArray{shape, r.v_col});
        d["iterations"] = r.iterations;
        d["residual"] = r.residual;
        return py::object(d);
      },
      py::arg("conductances"), py::arg("voltages"), py::arg("config") = py::dict(),
      py::arg("solver") = "", py::arg("nodes") = false,
      R"(Column currents (A), batch x cols, of the crossbar circuit with conductances G (S,
rows x cols) driven by row voltages V (V, batch x rows), with the config's resistances.
solver: "ideal", "exact" or "fast" (default: config solver.impl). nodes=True returns a dict
with the currents and the row/column node voltages (batch x rows x cols).)");
  m.def(
      "effective_conductances",
      [](const py::array& g_in, const py::object& c, const std::string& solver) {
        const CircuitCall call(g_in, c, solver);
        arrays::check_circuit_inputs(call.circuit, call.g.data, {}, 0);
        warn_all(arrays::circuit_input_warnings(call.g.data, {}));
        std::vector<double> t;
        {
          py::gil_scoped_release release;
          t = arrays::effective_conductances(call.solver, call.circuit, call.g.data);
        }
        return to_numpy(kit::NdArray{{call.gs.rows, call.gs.cols}, t});
      },
      py::arg("conductances"), py::arg("config") = py::dict(), py::arg("solver") = "",
      R"(The effective conductance matrix T (S, rows x cols) of an ohmic crossbar with the
config's resistances: the column currents are I = V @ T for any row voltages V, IR drop
included. solver: "exact" or "fast" (both build T the same way: with row and column wires,
directly by nested dissection, exact to rounding) or "ideal" (T = G); default: the config's
solver.impl, whose own default is "ideal". Refused for nonlinear cells.)");
}

}  // namespace xbarsim::python
