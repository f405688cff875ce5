// `xbarsim device`: an update law's pulse response (`device pulses`), and a
// law fitted to measured pulse-response data or a device fitted to
// programming and relaxation data (`device fit`, arrays/update_fit.h,
// arrays/device_fit.h).
#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "arrays/crossbar.h"
#include "arrays/device.h"
#include "arrays/update.h"
#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/jobs/device_fit.h"
#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/rng.h"

namespace xbarsim::cli {
namespace {

// A node from --update or --device: a preset name or a JSON object.
kit::Json preset_node(const std::string& text, const std::string& option) {
  if (!text.empty() && text.front() == '{') return kit::parse_json(text, option);
  return {{"preset", text}};
}

// cycles × (pulses SET from the lower bound, then pulses RESET) per device,
// as CSV rows (the format `device fit` reads).
std::string pulse_csv(const arrays::UpdateModel& law, std::size_t devices, std::size_t cycles,
                      std::size_t pulses, std::uint64_t seed) {
  const auto d = law.draw(devices, kit::Stream(seed, "device", "draws"));
  const kit::Stream c2c(seed, "device", "c2c");
  std::string out = "device,cycle,direction,pulse,g_us\n";
  std::uint64_t draw = 0;
  for (std::size_t k = 0; k < devices; ++k) {
    double w = d.w_min[k];
    for (std::size_t c = 0; c < cycles; ++c) {
      for (const int dir : {1, -1}) {
        out += fmt::format("{},{},{},0,{:.9g}\n", k, c, dir, law.conductance_us(d, k, w));
        for (std::size_t p = 1; p <= pulses; ++p) {
          w = law.pulse(d, k, w, dir, c2c.normal_at(draw++));
          out += fmt::format("{},{},{},{},{:.9g}\n", k, c, dir, p, law.conductance_us(d, k, w));
        }
      }
    }
  }
  return out;
}

// Programming data (g_target_us, g_us) of `cells` cells at each of `levels`
// targets spread over the device's window, programmed as a tile programs
// them (write-verify, faults); and, when times are given, every cell's
// reads at those times (drift and read noise) as relaxation data.
std::pair<std::string, std::string> program_csv(const arrays::Device& device, std::size_t levels,
                                                std::size_t cells,
                                                const std::vector<double>& times_s,
                                                std::uint64_t seed) {
  const auto& c = device.common();
  std::vector<double> targets;
  for (std::size_t l = 0; l < levels; ++l) {
    const double x = levels > 1 ? static_cast<double>(l) / static_cast<double>(levels - 1) : 1.0;
    targets.insert(targets.end(), cells, c.g_min_us + x * c.range_us());
  }
  arrays::Crossbar xbar(device, kit::Stream(seed, "device", "program"));
  xbar.program(targets, levels, cells);
  std::string prog = "g_target_us,g_us\n", relax;
  for (std::size_t k = 0; k < targets.size(); ++k) {
    prog += fmt::format("{:.9g},{:.9g}\n", targets[k], xbar.programmed()[k]);
  }
  if (!times_s.empty()) relax = "device,t_s,g_us\n";
  const kit::Stream read(seed, "device", "reads");
  for (std::size_t t = 0; t < times_s.size(); ++t) {
    const std::vector<double> g = xbar.conductances_at(times_s[t]);
    const std::vector<double> sigma = xbar.read_sigma_at(g, times_s[t]);
    for (std::size_t k = 0; k < g.size(); ++k) {
      const double v = g[k] + sigma[k] * read.normal_at(t * g.size() + k);
      relax += fmt::format("{},{:g},{:.9g}\n", k, times_s[t], v);
    }
  }
  return {prog, relax};
}

}  // namespace

Action add_device_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "device", "Pulse responses of the update laws, and laws fitted to measured data");
  cmd->require_subcommand(1);
  auto* pulses = cmd->add_subcommand(
      "pulses",
      "Simulate an update law's pulse response: per device and cycle, --pulses SET pulses\n"
      "from the lower bound, then --pulses RESET pulses, as CSV (device, cycle, direction,\n"
      "pulse, g_us), the format `device fit` reads.\n"
      "Example: xbarsim device pulses --update neurosim_epiram --pulses 64 -o epiram.csv");
  auto* program = cmd->add_subcommand(
      "program",
      "Simulate a device's programming and relaxation data: --cells cells at each of\n"
      "--levels targets over the device's window, programmed as a tile programs them\n"
      "(write-verify, faults), as CSV (g_target_us, g_us); with --relaxation, every cell's\n"
      "reads at --times (drift, read noise) as CSV (device, t_s, g_us). These are the\n"
      "formats `device fit --model table` reads.\n"
      "Example: xbarsim device program --device pcm_ibm -o prog.csv --relaxation drift.csv");
  auto* fit = cmd->add_subcommand(
      "fit",
      "Fit an update law (--model soft_bounds, exp_step, neurosim or piecewise) to a\n"
      "measured pulse-response CSV (header: pulse, g_us, direction [+1 SET, -1 RESET],\n"
      "optional cycle and device) and write it as an update preset (in_situ.update), or\n"
      "fit a device (--model table) to programming data (header: g_target_us, g_us) and\n"
      "optionally relaxation data (--relaxation, header: device, t_s, g_us) and write it as\n"
      "a device preset (device): programming sigma(G), drift nu, read noise. Each preset\n"
      "holds the fit's residuals and the data's provenance (docs/in_situ.md, \"Fit your own\n"
      "device\").\n"
      "Examples: xbarsim device fit epiram.csv --model neurosim -o my_device.json\n"
      "          xbarsim device fit prog.csv --model table --relaxation drift.csv -o my_rram.json");
  struct Opts {
    std::string update = "neurosim_ag_si", output = "-";
    jobs::FitRequest fit;
    std::size_t devices = 1, cycles = 1, pulses = 100;
    std::string device = "rram_wan", relaxation_out;
    std::size_t levels = 8, cells = 200;
    std::vector<double> times_s = {1, 10, 100, 1e3, 1e4, 1e5};
    std::uint64_t seed = 1;
  };
  auto o = std::make_shared<Opts>();
  pulses->add_option("--update", o->update, "an update preset name or a JSON update node")
      ->capture_default_str();
  pulses->add_option("--devices", o->devices, "devices")->capture_default_str();
  pulses->add_option("--cycles", o->cycles, "SET/RESET cycles per device")->capture_default_str();
  pulses->add_option("--pulses", o->pulses, "pulses per direction and cycle")
      ->capture_default_str();
  pulses->add_option("--seed", o->seed, "device and cycle-to-cycle draws")->capture_default_str();
  pulses->add_option("--output,-o", o->output, "CSV file (\"-\": stdout)")->capture_default_str();
  program->add_option("--device", o->device, "a device preset name or a JSON device node")
      ->capture_default_str();
  program->add_option("--levels", o->levels, "target levels over the window")
      ->capture_default_str();
  program->add_option("--cells", o->cells, "cells per level")->capture_default_str();
  program->add_option("--times", o->times_s, "relaxation read times (s)")
      ->delimiter(',')
      ->capture_default_str();
  program->add_option("--relaxation", o->relaxation_out, "relaxation CSV to write");
  program->add_option("--seed", o->seed, "programming and read draws")->capture_default_str();
  program->add_option("--output,-o", o->output, "programming CSV (\"-\": stdout)")
      ->capture_default_str();
  fit->add_option("DATA", o->fit.data, "pulse-response CSV (table: programming CSV)")->required();
  fit->add_option("--model", o->fit.model,
                  "update laws: soft_bounds, exp_step, neurosim, piecewise; a device: table")
      ->capture_default_str();
  fit->add_option("--nodes", o->fit.nodes, "piecewise: states per direction")
      ->capture_default_str();
  fit->add_option("--relaxation", o->fit.table.relaxation_csv,
                  "table: relaxation CSV (device, t_s, g_us) for the drift and read noise");
  fit->add_option("--degree", o->fit.table.degree, "table: degree of the sigma(G) polynomial")
      ->capture_default_str();
  fit->add_option("--t0", o->fit.table.t0_s, "table: drift reference time t0 (s)")
      ->capture_default_str();
  fit->add_option("--source", o->fit.source,
                  "the data's provenance for the preset's \"source\" (default: the file name)");
  fit->add_option("--output,-o", o->output, "preset JSON (\"-\": stdout)")->capture_default_str();
  return [o, pulses, program, fit, &registry]() {
    if (program->parsed()) {
      if (o->levels == 0 || o->cells == 0 || o->levels * o->cells > (std::size_t{1} << 22)) {
        throw kit::InputError("--levels, --cells: each at least 1, at most 2^22 cells in all");
      }
      for (const double t : o->times_s) {
        if (!(t >= 0) || !std::isfinite(t)) {
          throw kit::InputError(fmt::format("--times: {} is not a time >= 0 s", t));
        }
      }
      const kit::Json node =
          registry.resolve("device", preset_node(o->device, "--device"), "--device");
      const auto device = registry.build<arrays::Device>("device", node);
      if (o->output != "-") kit::require_writable(o->output, "--output");
      if (!o->relaxation_out.empty()) kit::require_writable(o->relaxation_out, "--relaxation");
      const auto [prog, relax] =
          program_csv(*device, o->levels, o->cells,
                      o->relaxation_out.empty() ? std::vector<double>{} : o->times_s, o->seed);
      if (o->output == "-") {
        fmt::print("{}", prog);
      } else {
        kit::write_file_atomic(o->output, prog);
      }
      if (!o->relaxation_out.empty()) kit::write_file_atomic(o->relaxation_out, relax);
      return 0;
    }
    if (pulses->parsed()) {
      if (o->devices == 0 || o->cycles == 0 || o->pulses == 0 ||
          o->devices * o->cycles * o->pulses > (std::size_t{1} << 24)) {
        throw kit::InputError(
            "--devices, --cycles, --pulses: each at least 1, at most 2^24 "
            "pulses in all");
      }
      const kit::Json node =
          registry.resolve("update", preset_node(o->update, "--update"), "--update");
      const auto law = registry.build<arrays::UpdateModel>("update", node);
      if (o->output != "-") kit::require_writable(o->output, "--output");
      const std::string csv = pulse_csv(*law, o->devices, o->cycles, o->pulses, o->seed);
      if (o->output == "-") {
        fmt::print("{}", csv);
      } else {
        kit::write_file_atomic(o->output, csv);
      }
      return 0;
    }
    if (o->output != "-") kit::require_writable(o->output, "--output");
    const jobs::FitResult r = jobs::fit_preset(o->fit, registry);
    write_json(o->output, r.preset);
    if (o->output != "-") {
      fmt::print("xbarsim device fit: {} ({}) -> {} ({})\n", o->fit.data, r.summary, o->output,
                 o->fit.model);
    }
    return 0;
  };
}

}  // namespace xbarsim::cli
