#pragma once
// Each subcommand adds itself to the CLI11 app and returns the action to run
// after parsing (which returns the process exit code).
#include <CLI/CLI.hpp>
#include <functional>

#include "core/kit/registry.h"

namespace xbarsim::cli {

using Action = std::function<int()>;

Action add_run_command(CLI::App& app, const kit::Registry& registry);
Action add_vmm_command(CLI::App& app, const kit::Registry& registry);
Action add_config_command(CLI::App& app, const kit::Registry& registry);
Action add_presets_command(CLI::App& app, const kit::Registry& registry);
Action add_circuit_command(CLI::App& app, const kit::Registry& registry);
Action add_netlist_command(CLI::App& app, const kit::Registry& registry);
Action add_bench_command(CLI::App& app, const kit::Registry& registry);
Action add_sweep_command(CLI::App& app, const kit::Registry& registry);
Action add_sensitivity_command(CLI::App& app, const kit::Registry& registry);
Action add_train_command(CLI::App& app, const kit::Registry& registry);
Action add_device_command(CLI::App& app, const kit::Registry& registry);

}  // namespace xbarsim::cli
