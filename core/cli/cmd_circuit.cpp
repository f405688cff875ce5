// `xbarsim circuit` (solve the physical crossbar) and `xbarsim netlist`
// (the same circuit as an ngspice deck).
#include <fmt/format.h>

#include "arrays/circuit.h"
#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/kit/io.h"
#include "core/kit/ndarray.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::cli {
namespace {

struct CircuitInputs {
  arrays::CircuitSpec circuit;
  arrays::SolverSpec solver;
  kit::NdArray g, v;
  std::size_t batch = 0;
};

// Reads and checks everything before any work: config, G (S), V (V; none
// when v_path is empty).
CircuitInputs load_circuit_inputs(const kit::Registry& registry, const std::string& config,
                                  const std::vector<std::string>& sets, const std::string& g_path,
                                  const std::string& v_path, const std::string& solver_impl) {
  std::vector<std::string> all_sets = sets;
  if (!solver_impl.empty()) all_sets.push_back("solver.impl=" + solver_impl);
  const auto spec = tile::TileSpec::parse(load_config(config, all_sets, registry), registry);
  print_warnings(spec.warnings);
  CircuitInputs in;
  in.g = kit::read_array(g_path, "conductances");
  const auto gs = kit::matrix_shape(in.g, "conductances '" + g_path + "'", false);
  // The circuit of the conductance matrix's shape.
  in.circuit = spec.checked_circuit(gs.rows, gs.cols, "conductances '" + g_path + "'");
  in.solver = spec.solver_spec();
  if (v_path.empty()) {
    arrays::check_circuit_inputs(in.circuit, in.g.data, {}, 0);
    print_warnings(arrays::circuit_input_warnings(in.g.data, {}));
    return in;
  }
  in.v = kit::read_array(v_path, "voltages");
  const auto vs = kit::matrix_shape(in.v, "voltages '" + v_path + "'", true);
  if (vs.cols != gs.rows) {
    throw kit::InputError(
        fmt::format("voltages '{}': shape {} needs {} columns (one per row of "
                    "the conductances)",
                    v_path, in.v.shape_text(), gs.rows));
  }
  in.batch = vs.rows;
  arrays::check_circuit_inputs(in.circuit, in.g.data, in.v.data, in.batch);
  print_warnings(arrays::circuit_input_warnings(in.g.data, in.v.data));
  return in;
}

}  // namespace

Action add_circuit_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "circuit",
      "Solve the physical crossbar: conductances G (rows x cols, siemens) driven by row\n"
      "voltages V (batch x rows, volts) through the configured source, wire, access and sink\n"
      "resistances (circuit convention in README); prints or writes the column currents\n"
      "(batch x cols, amperes). --effective writes instead the effective conductance matrix T\n"
      "(rows x cols, siemens) of ohmic cells: I = V @ T for any V, IR drop included (with row\n"
      "and column wires, by nested dissection, exact to rounding).");
  struct Opts {
    std::string config, g, v, output = "-", nodes, solver;
    std::vector<std::string> sets;
    bool effective = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config,-c", o->config, "tile config (JSON); default: the embedded default");
  cmd->add_option("--conductances,-g", o->g, "G in siemens, rows x cols (.npy/.csv)")->required();
  cmd->add_option("--voltages,-v", o->v,
                  "V in volts, batch x rows (.npy/.csv); required unless --effective");
  cmd->add_flag("--effective", o->effective,
                "write T (rows x cols, S) instead of currents; takes no --voltages; the solver "
                "(--solver or solver.impl) must be exact or fast for the wires to count");
  cmd->add_option("--output,-o", o->output,
                  "write the currents (or T) here (.npy/.csv); default: print");
  cmd->add_option("--solver", o->solver, "override solver.impl")
      ->check(CLI::IsMember({"ideal", "exact", "fast"}));
  cmd->add_option("--dump-nodes", o->nodes,
                  "write row and column node voltages (batch x rows x cols) to this .npz");
  cmd->add_option("--set", o->sets, "override a config key: path=value (repeatable)");
  return [o, &registry]() {
    if (o->effective && (!o->v.empty() || !o->nodes.empty())) {
      throw kit::InputError("circuit: --effective takes no --voltages or --dump-nodes");
    }
    if (!o->effective && o->v.empty()) {
      throw kit::InputError("circuit: --voltages is required (or --effective for the matrix T)");
    }
    auto in = load_circuit_inputs(registry, o->config, o->sets, o->g, o->v, o->solver);
    if (o->effective) {
      const auto t = arrays::effective_conductances(in.solver, in.circuit, in.g.data);
      emit_array(o->output, kit::NdArray{{in.circuit.rows, in.circuit.cols}, t}, 12);
      return 0;
    }
    const auto solver = arrays::make_circuit_solver(in.solver, in.circuit, in.g.data);
    const auto r = solver->solve(in.v.data, in.batch, !o->nodes.empty());
    const kit::NdArray i{{in.batch, in.circuit.cols}, r.currents_a};
    if (!o->nodes.empty()) {
      const std::vector<std::size_t> shape = {in.batch, in.circuit.rows, in.circuit.cols};
      kit::write_npz(o->nodes, {{"v_row", kit::NdArray{shape, r.v_row}},
                                {"v_col", kit::NdArray{shape, r.v_col}}});
    }
    emit_array(o->output, i, 12);
    return 0;
  };
}

Action add_netlist_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "netlist",
      "Write the crossbar circuit for one input vector as an ngspice deck (.op; the column\n"
      "currents are i(vout<j>)), for checking `xbarsim circuit` against SPICE.");
  struct Opts {
    std::string config, g, v, output = "-";
    std::vector<std::string> sets;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config,-c", o->config, "tile config (JSON); default: the embedded default");
  cmd->add_option("--conductances,-g", o->g, "G in siemens, rows x cols (.npy/.csv)")->required();
  cmd->add_option("--voltages,-v", o->v, "V in volts: one vector of rows values")->required();
  cmd->add_option("--output,-o", o->output, "write the deck here; default: print");
  cmd->add_option("--set", o->sets, "override a config key: path=value (repeatable)");
  return [o, &registry]() {
    const auto in = load_circuit_inputs(registry, o->config, o->sets, o->g, o->v, "");
    if (in.batch != 1) {
      throw kit::InputError(
          fmt::format("voltages '{}': a deck holds one input vector, got {}", o->v, in.batch));
    }
    const std::string deck = arrays::spice_netlist(in.circuit, in.g.data, in.v.data);
    if (o->output == "-") {
      fmt::print("{}", deck);
    } else {
      kit::write_file_atomic(o->output, deck);
    }
    return 0;
  };
}

}  // namespace xbarsim::cli
