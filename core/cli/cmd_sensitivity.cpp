// `xbarsim sensitivity`: each matrix layer's accuracy sensitivity to the
// chip's nonidealities, its energy and area shares, and a mixed-precision
// ADC assignment (core/jobs/sensitivity.h).
#include <fmt/format.h>
#include <unistd.h>

#include <sstream>

#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/jobs/run.h"
#include "core/jobs/sensitivity.h"
#include "core/kit/error.h"
#include "core/kit/io.h"

namespace xbarsim::cli {
namespace {

std::string points(double accuracy) { return fmt::format("{:.2f}", 100 * accuracy); }

void print_sensitivity(const kit::Json& r) {
  fmt::print("xbarsim sensitivity: {} ({}); effects: {}\n", r.at("network").get<std::string>(),
             r.at("metric").get<std::string>(),
             fmt::join(r.at("effects").get<std::vector<std::string>>(), ", "));
  fmt::print("  accuracy %: float {}, configured chip {}, every layer ideal {}\n\n",
             points(r.at("float").get<double>()),
             points(r.at("configured").at("accuracy").get<double>()),
             points(r.at("ideal").at("accuracy").get<double>()));
  fmt::print("  {:<14} {:>11} {:>16} {:>10} {:>16} {:>10} {:>9} {:>7}\n", "layer", "rows x cols",
             "only it nonideal", "drop", "all but it", "gain", "energy %", "area %");
  for (const auto& l : r.at("layers")) {
    fmt::print(
        "  {:<14} {:>11} {:>16} {:>+10.2f} {:>16} {:>+10.2f} {:>9.1f} {:>7.1f}\n",
        l.at("name").get<std::string>().substr(0, 14),
        fmt::format("{}x{}", l.at("rows").get<std::size_t>(), l.at("cols").get<std::size_t>()),
        points(l.at("only_this_nonideal").at("accuracy").get<double>()),
        -100 * l.at("drop_alone").get<double>(),
        points(l.at("all_but_this_nonideal").at("accuracy").get<double>()),
        100 * l.at("gain_if_ideal").get<double>(), 100 * l.at("energy_share").get<double>(),
        100 * l.at("area_share").get<double>());
  }
  fmt::print(
      "  (drop: only it nonideal against every layer ideal; gain: all but it against the "
      "configured chip; shares of the chip's {:.3g} nJ and {:.3g} mm²)\n",
      r.at("energy_pj").get<double>() * 1e-3, r.at("area_mm2").get<double>());
  if (!r.contains("suggestion")) return;
  const auto& s = r.at("suggestion");
  fmt::print("\n  ADC precision per layer, target accuracy {} % (configured - {:g} points):\n",
             points(s.at("target_accuracy").get<double>()), 100 * s.at("max_drop").get<double>());
  for (const auto& u : s.at("uniform")) {
    fmt::print("    uniform {:>2} bits: {} %, {:.4g} nJ{}\n", u.at("adc_bits").get<int>(),
               points(u.at("accuracy").get<double>()), u.at("energy_pj").get<double>() * 1e-3,
               u.at("meets_target").get<bool>() ? "" : " (below the target)");
  }
  std::string assignment;
  for (const auto& [name, bits] : s.at("assignment").items()) {
    assignment += fmt::format("{}{} {}", assignment.empty() ? "" : ", ", name, bits.get<int>());
  }
  const auto& b = s.at("best_uniform");
  const std::string best = b.at("adc_bits").is_number()
                               ? fmt::format("uniform {} bits", b.at("adc_bits").get<int>())
                               : std::string("the configured chip");
  fmt::print("    suggested ({} greedy steps, each measured): {}\n", s.at("steps").size(),
             assignment);
  fmt::print(
      "      {} %, {:.4g} nJ: {:.1f} % less energy than the best uniform setting that meets "
      "the target ({}, {} %, {:.4g} nJ)\n",
      points(s.at("accuracy").get<double>()), s.at("energy_pj").get<double>() * 1e-3,
      100 * s.at("energy_saving_vs_best_uniform").get<double>(), best,
      points(b.at("accuracy").get<double>()), b.at("energy_pj").get<double>() * 1e-3);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

Action add_sensitivity_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "sensitivity",
      "For each matrix layer of CONFIG's network (default: the embedded LeNet-5 on MNIST),\n"
      "measure the accuracy with only that layer nonideal (every other layer ideal) and with\n"
      "every layer nonideal but that one, over evaluation.trials device draws and\n"
      "evaluation.times_s, beside the layer's share of the chip's energy and area. \"Ideal\"\n"
      "turns off the --effects in a layer's tile (adc, dac: impl \"ideal\"; device: an ideal\n"
      "device, no read noise; wires: the ideal solver). With --adc-bits, suggest an ADC\n"
      "precision per layer (greedy, each step measured) within --max-drop points of the\n"
      "configured chip at the lowest energy, beside every uniform precision. The result is\n"
      "a set of \"layers\" overrides for `xbarsim run` (docs/architecture.md, \"Per-layer\n"
      "hardware\").\n"
      "Example: xbarsim sensitivity --adc-bits 5,4,3 (the default config's ADC has 6 bits)");
  struct Opts {
    std::string config, output, effects = "adc,dac,device,wires", adc_bits;
    std::vector<std::string> sets;
    double max_drop = 1.0;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("CONFIG", o->config, "config file (JSON)");
  cmd->add_option("--set", o->sets, "override a config key: path=value (repeatable)");
  cmd->add_option("--effects", o->effects, "nonidealities a layer loses when ideal")
      ->capture_default_str();
  cmd->add_option("--adc-bits", o->adc_bits,
                  "ADC precisions the suggestion may give a layer, e.g. 6,5,4 (none: no "
                  "suggestion)");
  cmd->add_option("--max-drop", o->max_drop,
                  "accuracy points the suggestion may lose against the configured chip")
      ->capture_default_str();
  cmd->add_option("--output,-o", o->output,
                  "write the JSON report here (checked before the study starts); \"-\" writes "
                  "only the JSON to stdout");
  cmd->add_flag("--quiet,-q", o->quiet, "print no tables");
  return [o, &registry]() {
    jobs::SensitivitySpec spec;
    spec.effects = split_list(o->effects);
    for (const auto& b : split_list(o->adc_bits)) {
      try {
        std::size_t used = 0;
        spec.adc_bits.push_back(std::stoi(b, &used));
        if (used != b.size()) throw std::invalid_argument(b);
      } catch (const std::logic_error&) {
        throw kit::InputError(
            fmt::format("--adc-bits: \"{}\" is not a whole number of bits (e.g. 6,5,4)", b));
      }
    }
    spec.max_drop = o->max_drop / 100;
    spec.check();
    const kit::Json config = load_config(o->config, o->sets, registry);
    jobs::check_sensitivity_config(config);
    std::vector<std::string> warnings;
    jobs::check_config(config, registry, &warnings);  // every check of `run`, before work
    print_warnings(warnings);
    if (!o->output.empty()) kit::require_writable(o->output, "--output");
    const bool tables = !o->quiet && o->output != "-";
    const kit::Json report =
        jobs::run_sensitivity(config, spec, registry, tables && isatty(STDERR_FILENO) != 0);
    if (!o->output.empty()) write_json(o->output, report);
    if (tables) {
      print_sensitivity(report);
      if (!o->output.empty()) fmt::print("\n  report written to {}\n", o->output);
    }
    return 0;
  };
}

}  // namespace xbarsim::cli
