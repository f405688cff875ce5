// `xbarsim device`: an update law's pulse response (`device pulses`), and a
// law fitted to measured pulse-response data (`device fit`,
// arrays/update_fit.h).
#include <fmt/format.h>

#include <fstream>

#include "arrays/update.h"
#include "arrays/update_fit.h"
#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/rng.h"

namespace xbarsim::cli {
namespace {

// The update node from --update: a preset name or a JSON object.
kit::Json update_node(const std::string& text) {
  if (!text.empty() && text.front() == '{') return kit::parse_json(text, "--update");
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
  auto* fit = cmd->add_subcommand(
      "fit",
      "Fit an update law (--model soft_bounds, neurosim or piecewise) to a measured\n"
      "pulse-response CSV (header: pulse, g_us, direction [+1 SET, -1 RESET], optional\n"
      "cycle and device) and write it as an update preset (in_situ.update) with the fit's\n"
      "residuals and the data's provenance (docs/in_situ.md, \"Fit your own device\").\n"
      "Example: xbarsim device fit epiram.csv --model neurosim -o my_device.json");
  struct Opts {
    std::string update = "neurosim_ag_si", output = "-", data, model = "soft_bounds", source;
    std::size_t devices = 1, cycles = 1, pulses = 100, nodes = 9;
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
  fit->add_option("DATA", o->data, "pulse-response CSV")->required();
  fit->add_option("--model", o->model, "soft_bounds, neurosim or piecewise")->capture_default_str();
  fit->add_option("--nodes", o->nodes, "piecewise: states per direction")->capture_default_str();
  fit->add_option("--source", o->source,
                  "the data's provenance for the preset's \"source\" (default: the file name)");
  fit->add_option("--output,-o", o->output, "preset JSON (\"-\": stdout)")->capture_default_str();
  return [o, pulses, fit, &registry]() {
    if (pulses->parsed()) {
      if (o->devices == 0 || o->cycles == 0 || o->pulses == 0 ||
          o->devices * o->cycles * o->pulses > (std::size_t{1} << 24)) {
        throw kit::InputError(
            "--devices, --cycles, --pulses: each at least 1, at most 2^24 "
            "pulses in all");
      }
      const kit::Json node = registry.resolve("update", update_node(o->update), "--update");
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
    if (o->nodes < 2 || o->nodes > 1000) throw kit::InputError("--nodes: 2 to 1000 states");
    if (o->output != "-") kit::require_writable(o->output, "--output");
    const auto data = arrays::read_pulse_csv(o->data);
    const std::string source = o->source.empty()
                                   ? fmt::format("fitted to the pulse-response data in {}", o->data)
                                   : o->source;
    kit::Json preset = arrays::fit_update(data, o->model, source, o->nodes);
    // The preset must build as it stands: the fit's values within the law's ranges.
    const kit::Json resolved = registry.resolve("update", preset, "fitted preset");
    registry.build<arrays::UpdateModel>("update", resolved);
    write_json(o->output, preset);
    if (o->output != "-") {
      fmt::print("xbarsim device fit: {} ({} series) -> {} ({})\n", o->data, data.size(), o->output,
                 o->model);
    }
    return 0;
  };
}

}  // namespace xbarsim::cli
