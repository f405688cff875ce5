// `xbarsim run`: the main job on a config (default: the embedded one).
#include <fmt/format.h>

#include "core/arch/demo.h"
#include "core/cli/commands.h"
#include "core/cli/common.h"

namespace xbarsim::cli {

Action add_run_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "run",
      "Run the main job on CONFIG (default: configs/default.json, embedded). Today: one tile\n"
      "programmed with seeded random weights, read through its DAC/ADC at each\n"
      "evaluation.times_s; prints the programming cost, energy and latency per VMM, and the\n"
      "VMM error against the exact product (Monte Carlo mean/std).");
  struct Opts {
    std::string config, output;
    std::vector<std::string> sets;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("CONFIG", o->config, "config file (JSON)");
  cmd->add_option("--output,-o", o->output, "write the JSON report here");
  cmd->add_option("--set", o->sets, "override a config key: path=value (repeatable)");
  return [o, &registry]() {
    const kit::Json report = arch::run_tile_demo(load_config(o->config, o->sets), registry);
    const auto& c = report.at("config");
    fmt::print("xbarsim run: {}\n", report.at("job").get<std::string>());
    fmt::print(
        "  tile {}x{}, device {}{}, mapping {} ({} weight bits, {} bits/cell), read noise {},"
        " drift compensation {}\n",
        c["array"]["rows"].get<int>(), c["array"]["cols"].get<int>(),
        c["device"]["impl"].get<std::string>(),
        c["device"].contains("preset")
            ? " (preset " + c["device"]["preset"].get<std::string>() + ")"
            : std::string(),
        c["mapping"]["impl"].get<std::string>(), c["mapping"]["weight_bits"].get<int>(),
        c["mapping"]["bits_per_cell"].get<int>(), c["read_noise"]["mode"].get<std::string>(),
        c["drift_compensation"].get<std::string>());
    const auto& p = report.at("programming").at(0);
    fmt::print(
        "  programming (trial 0): {} cells, {:.2f} pulses/cell, {} verify failures, "
        "{} stuck, {:.3g} nJ, {:.3g} ms\n",
        p["cells"].get<std::size_t>(), p["pulses_per_cell"].get<double>(),
        p["verify_failures"].get<std::size_t>(),
        p["stuck_lrs"].get<std::size_t>() + p["stuck_hrs"].get<std::size_t>(),
        p["write_energy_pj"].get<double>() * 1e-3, p["write_time_ns"].get<double>() * 1e-6);
    fmt::print(
        "  periphery: DAC {}{}, ADC {}{}, node {:g} nm\n", c["dac"]["impl"].get<std::string>(),
        c["dac"].contains("bits") ? fmt::format(" {} bits", c["dac"]["bits"].get<int>()) : "",
        c["adc"]["impl"].get<std::string>(),
        c["adc"].contains("bits") ? fmt::format(" {} bits", c["adc"]["bits"].get<int>()) : "",
        c["node_nm"].get<double>());
    fmt::print("  weight quantization alone: relative RMS error {:.4f}\n",
               report.at("quantization_rel_rms_error").get<double>());
    const auto& e = report.at("per_vmm").at("energy_pj");
    fmt::print(
        "  per VMM (model): {:.4g} pJ = array {:.4g} + DAC {:.4g} + ADC {:.4g} + shift-add {:.4g};"
        " {:.4g} ns; {:.2f}% of conversions clipped\n",
        e["total"].get<double>(), e["array"].get<double>(), e["dac"].get<double>(),
        e["adc"].get<double>(), e["shift_add"].get<double>(),
        report.at("per_vmm").at("latency_ns").get<double>(),
        100 * report.at("per_vmm").at("adc_clipped_fraction").get<double>());
    fmt::print("\n  {:>12}  {:>22}  {:>22}\n", "time after", "VMM rel. RMS error", "output gain");
    fmt::print("  {:>12}  {:>22}  {:>22}\n", "programming", "mean ± std", "mean ± std");
    for (const auto& row : report.at("vmm")) {
      const double t = row["t_s"].get<double>();
      const std::string when = t == 0       ? "0 s"
                               : t < 3600   ? fmt::format("{:g} s", t)
                               : t < 86400  ? fmt::format("{:g} h", t / 3600)
                               : t < 3.15e7 ? fmt::format("{:g} d", t / 86400)
                                            : fmt::format("{:g} y", t / 3.1536e7);
      fmt::print("  {:>12}  {:>12.4f} ± {:<7.4f}  {:>12.4f} ± {:<7.4f}\n", when,
                 row["rel_rms_error"]["mean"].get<double>(),
                 row["rel_rms_error"]["std"].get<double>(),
                 row["output_gain"]["mean"].get<double>(), row["output_gain"]["std"].get<double>());
    }
    if (!o->output.empty()) {
      write_json(o->output, report);
      fmt::print("\n  report written to {}\n", o->output);
    }
    return 0;
  };
}

}  // namespace xbarsim::cli
