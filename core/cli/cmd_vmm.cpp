// `xbarsim vmm`: one tile's functional VMM in logical units.
#include <fmt/format.h>

#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/kit/ndarray.h"
#include "core/tile/tile.h"

namespace xbarsim::cli {

Action add_vmm_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "vmm",
      "Y = X @ W through one tile: weights mapped onto devices, programmed, read at --time-s.\n"
      "X is batch x rows, W rows x cols (.npy or .csv); Y is batch x cols (float64 .npy).");
  struct Opts {
    std::string config, weights, inputs, output = "-", dump, calibration, report;
    std::vector<std::string> sets;
    double time_s = 0.0;
    bool ideal = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config,-c", o->config, "tile config (JSON); default: the embedded default");
  cmd->add_option("--weights,-w", o->weights, "weights W, rows x cols (.npy/.csv)")->required();
  cmd->add_option("--inputs,-x", o->inputs, "inputs X, batch x rows (.npy/.csv)")->required();
  cmd->add_option("--output,-o", o->output, "write Y here (.npy or .csv); default: print");
  cmd->add_option("--time-s", o->time_s, "read this many seconds after programming (drift)");
  cmd->add_option("--dump-conductances", o->dump,
                  "write programmed conductances (uS) at --time-s to this .npz");
  cmd->add_option("--calibration", o->calibration,
                  "inputs that set the calibrated DAC/ADC ranges (default: the inputs X)");
  cmd->add_option("--report", o->report,
                  "write the run's action counts, energy, latency, periphery costs and "
                  "programming report to this JSON file");
  cmd->add_option("--set", o->sets, "override a config key: path=value (repeatable)");
  cmd->add_flag("--ideal", o->ideal, "exact X @ W: skip mapping, devices and periphery");

  return [o, &registry]() {
    // Everything is read and checked before any work or output.
    const auto spec = tile::TileSpec::parse(load_config(o->config, o->sets, registry), registry);
    print_warnings(spec.warnings);
    const kit::NdArray w = kit::read_array(o->weights, "weights");
    kit::NdArray x = kit::read_array(o->inputs, "inputs");
    const auto ws = kit::matrix_shape(w, "weights '" + o->weights + "'", false);
    const auto xs = kit::matrix_shape(x, "inputs '" + o->inputs + "'", true);
    x.shape = {xs.rows, xs.cols};
    kit::require_tile_range(w, "weights '" + o->weights + "'");
    kit::require_tile_range(x, "inputs '" + o->inputs + "'");
    if (ws.rows > spec.array.rows || ws.cols > spec.array.cols) {
      throw kit::InputError(fmt::format(
          "weights '{}': shape {} does not fit the {} x {} array (array.rows x array.cols)",
          o->weights, w.shape_text(), spec.array.rows, spec.array.cols));
    }
    if (xs.cols != ws.rows) {
      throw kit::InputError(
          fmt::format("inputs '{}': shape {} needs {} columns to match "
                      "weights '{}' of shape {}",
                      o->inputs, x.shape_text(), ws.rows, o->weights, w.shape_text()));
    }
    if (!(o->time_s >= 0) || !std::isfinite(o->time_s)) {
      throw kit::InputError("--time-s must be finite and >= 0");
    }
    kit::NdArray cal;
    if (!o->calibration.empty()) {
      cal = kit::read_array(o->calibration, "calibration");
      const auto cs = kit::matrix_shape(cal, "calibration '" + o->calibration + "'", true);
      cal.shape = {cs.rows, cs.cols};
      kit::require_finite(cal, "calibration '" + o->calibration + "'");
      if (cs.cols != ws.rows) {
        throw kit::InputError(fmt::format("calibration '{}': shape {} needs {} columns",
                                          o->calibration, cal.shape_text(), ws.rows));
      }
    }
    tile::Tile tile(spec, registry);
    tile.program(w);
    if (!cal.data.empty() && !o->ideal) tile.calibrate(cal, o->time_s);
    const kit::NdArray y = o->ideal ? tile.vmm_ideal(x) : tile.vmm(x, o->time_s);
    if (!o->report.empty()) {
      write_json(o->report, kit::Json{{"config", spec.to_json()},
                                      {"actions", tile.last_actions().to_json()},
                                      {"costs", tile.costs_json()},
                                      {"program", tile.program_report_json()}});
    }
    if (!o->dump.empty()) {
      std::vector<std::pair<std::string, kit::NdArray>> g;
      for (auto& [k, v] : tile.conductances(o->time_s)) g.emplace_back(k, v);
      kit::write_npz(o->dump, g);
    }
    emit_array(o->output, y, 9);
    return 0;
  };
}

}  // namespace xbarsim::cli
