// `xbarsim train`: the config's network trained in situ on its devices by
// programming pulses (core/jobs/in_situ.h).
#include <fmt/format.h>
#include <unistd.h>

#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/jobs/in_situ.h"
#include "core/kit/io.h"

namespace xbarsim::cli {
namespace {

void print_in_situ(const kit::Json& r) {
  const kit::Json& s = r.at("in_situ");
  const kit::Json& c = r.at("config").at("in_situ");
  const kit::Json& u = c.at("update");
  fmt::print(
      "xbarsim train: {} in situ, {} devices ({}), scheme {}{}\n", r.at("name").get<std::string>(),
      u.contains("preset") ? u.at("preset").get<std::string>() : u.at("impl").get<std::string>(),
      u.at("impl").get<std::string>(), c.at("scheme").get<std::string>(),
      c.at("algorithm").get<std::string>() == "tiki_taka" ? ", Tiki-Taka" : "");
  fmt::print("  {:>5} {:>8} {:>8} {:>10} {:>12} {:>14} {:>12} {:>8}\n", "epoch", "test %",
             "train %", "loss", "pulses", "write energy", "write time", "time");
  for (const auto& e : s.at("epochs")) {
    fmt::print(
        "  {:>5} {:>8.2f} {:>8.2f} {:>10.4f} {:>12.4g} {:>11.4g} uJ {:>10.4g} s {:>6.1f} s\n",
        e.at("epoch").get<std::size_t>(), 100 * e.at("test_accuracy").get<double>(),
        100 * e.at("train_accuracy").get<double>(), e.at("train_loss").get<double>(),
        e.at("pulses").get<double>(), e.at("write_energy_pj").get<double>() * 1e-6,
        e.at("write_latency_ns").get<double>() * 1e-9, e.at("seconds").get<double>());
  }
  fmt::print("\n  {:<14} {:>11} {:>14} {:>12} {:>14} {:>12}\n", "layer", "rows x cols",
             "pulses/device", "max", "write energy", "endurance");
  for (const auto& l : s.at("layers")) {
    const auto& p = l.at("pulses_per_device");
    const std::string endurance =
        p.at("endurance_pulses").is_null()
            ? std::string("not given")
            : fmt::format("{:.3g} % used", 100 * p.at("max_of_endurance").get<double>());
    fmt::print(
        "  {:<14} {:>11} {:>14.4g} {:>12.4g} {:>11.4g} uJ {:>12}\n",
        l.at("name").get<std::string>().substr(0, 14),
        fmt::format("{}x{}", l.at("rows").get<std::size_t>(), l.at("cols").get<std::size_t>()),
        p.at("mean").get<double>(), p.at("max").get<double>(),
        l.at("write_energy_pj").get<double>() * 1e-6, endurance);
  }
  const auto& t = s.at("totals");
  fmt::print("  total: {:.4g} pulses, {:.4g} uJ, {:.4g} s of programming; {:.1f} s simulated\n",
             t.at("set_pulses").get<double>() + t.at("reset_pulses").get<double>(),
             t.at("write_energy_pj").get<double>() * 1e-6,
             t.at("write_latency_ns").get<double>() * 1e-9, t.at("seconds").get<double>());
  // The run on the chip: reads priced by the architecture estimate, plus the writes.
  const kit::Json& ce = r.at("chip").at("energy_pj");
  const kit::Json& ct = r.at("chip").at("time_s");
  const auto uj = [&](const char* k) {
    const kit::Json& e = ce.at(k);
    return (e.is_object() ? e.value("total", 0.0) : e.get<double>()) * 1e-6;
  };
  fmt::print(
      "\n  on the chip: training {:.4g} uJ = forward reads {:.4g} + transposed reads {:.4g} + "
      "one-hot reads {:.4g} + writes {:.4g}; {:.4g} s ({:.4g} s of reads, {:.4g} s of writes); "
      "test scoring {:.4g} uJ\n",
      uj("training"), uj("forward_reads"), uj("transposed_reads"), uj("one_hot_reads"),
      uj("writes"), ct.at("training").get<double>(), ct.at("reads").get<double>(),
      ct.at("writes").get<double>(), uj("test_reads"));
}

}  // namespace

Action add_train_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "train",
      "Train CONFIG's network in situ: its matrix layers' weights are pulsed devices (the\n"
      "in_situ.update law: constant_step, linear_step, soft_bounds, exp_step, pow_step,\n"
      "neurosim or piecewise, or a preset such as neurosim_ag_si), read forward and\n"
      "transposed through in_situ.forward/backward periphery, and updated by programming\n"
      "pulses (in_situ.scheme: stochastic pulse trains, NeuroSim's pulse counts or the sign\n"
      "rule). Prints test accuracy, pulses and write energy per epoch and per layer, and\n"
      "the run's energy and time on the configured chip: its reads priced by the chip's\n"
      "architecture estimate, plus the writes (docs/in_situ.md).\n"
      "Example: xbarsim train configs/in_situ/neurosim_mlp.json --set in_situ.epochs=2");
  struct Opts {
    std::string config, output;
    std::vector<std::string> sets;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("CONFIG", o->config, "config file (JSON) with an in_situ node")->required();
  cmd->add_option("--set", o->sets, "override a config key: path=value (repeatable)");
  cmd->add_option("--output,-o", o->output,
                  "write the JSON report here (checked before training starts); \"-\" writes "
                  "only the JSON to stdout");
  cmd->add_flag("--quiet,-q", o->quiet, "print no tables");
  return [o, &registry]() {
    const kit::Json config = load_config(o->config, o->sets, registry);
    if (!o->output.empty()) kit::require_writable(o->output, "--output");
    const bool tables = !o->quiet && o->output != "-";
    const kit::Json report =
        jobs::run_in_situ(config, registry, tables && isatty(STDERR_FILENO) != 0);
    print_warnings(report.at("warnings").get<std::vector<std::string>>());
    if (!o->output.empty()) write_json(o->output, report);
    if (tables) {
      print_in_situ(report);
      if (!o->output.empty()) fmt::print("\n  report written to {}\n", o->output);
    }
    return 0;
  };
}

}  // namespace xbarsim::cli
