// xbarsim command-line entry point: subcommands, one-line errors, exit codes
// (0 ok, 1 runtime failure, 2 bad input).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/jobs/registry_setup.h"
#include "core/kit/error.h"
#include "core/kit/json.h"
#include "core/kit/memory.h"
#include "core/kit/version.h"

namespace {

int fail(const std::string& message, int code) {
  std::cerr << "xbarsim: error: " << xbarsim::cli::one_line(message) << "\n";
  return code;
}

// OpenMP threads that spin at barriers (libgomp's default) collapse when the
// cores are shared: on a loaded 2-core machine a tile VMM ran 5.5x slower with
// 2 spinning threads than with sleeping ones (BENCHMARKS.md, "Threads under
// load"). libgomp reads OMP_WAIT_POLICY once, when it loads, before main; so
// unless the user chose a policy, set PASSIVE and start again, once.
void prefer_passive_openmp_waits(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) {
    return;
  }
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

}  // namespace

int main(int argc, char** argv) {
  prefer_passive_openmp_waits(argv);
  using namespace xbarsim;
  kit::reuse_freed_memory();
  try {
    const kit::Registry registry = jobs::make_registry();
    CLI::App app{
        "xbarsim: crossbar in-memory-computing simulator (devices, circuits, periphery, "
        "accuracy, energy).\n"
        "Every command reads a JSON config; `xbarsim config schema` documents every key,\n"
        "`xbarsim config defaults` prints the resolved default tile, `xbarsim presets` lists\n"
        "the device presets. Exit codes: 0 ok, 1 runtime failure, 2 bad input."};
    app.set_version_flag("--version", std::string("xbarsim ") + kit::version());
    app.require_subcommand(1);
    std::map<CLI::App*, cli::Action> actions;
    auto add = [&](cli::Action action) { actions[app.get_subcommands({}).back()] = action; };
    add(cli::add_run_command(app, registry));
    add(cli::add_sweep_command(app, registry));
    add(cli::add_sensitivity_command(app, registry));
    add(cli::add_train_command(app, registry));
    add(cli::add_device_command(app, registry));
    add(cli::add_vmm_command(app, registry));
    add(cli::add_circuit_command(app, registry));
    add(cli::add_netlist_command(app, registry));
    add(cli::add_bench_command(app, registry));
    add(cli::add_config_command(app, registry));
    add(cli::add_presets_command(app, registry));
    if (argc > 1 && argv[1][0] != '-') {
      std::vector<std::string> names;
      for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
      const std::string word = argv[1];
      if (std::find(names.begin(), names.end(), word) == names.end()) {
        return fail(fmt::format("unknown command \"{}\"; {}commands: {} (see xbarsim --help)", word,
                                kit::did_you_mean(word, names), fmt::join(names, ", ")),
                    kit::kExitBadInput);
      }
    }
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      return fail(std::string(e.what()) + " (see xbarsim --help)", kit::kExitBadInput);
    }
    for (auto* sub : app.get_subcommands()) return actions.at(sub)();
    return kit::kExitBadInput;
  } catch (const std::exception& e) {
    return fail(e.what(), kit::exit_code_for(e));
  }
}
