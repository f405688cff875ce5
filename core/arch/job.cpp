#include "core/arch/job.h"

#include "core/arch/demo.h"
#include "core/arch/hardware.h"
#include "core/arch/network.h"
#include "core/arch/ppa.h"
#include "core/arch/tile_spec.h"

namespace xbarsim::arch {

kit::Json run_architecture(const kit::Json& config, const kit::Registry& registry) {
  // Everything is parsed and checked before any estimate.
  TileSpec tile = TileSpec::parse(config, registry);
  HardwareSpec hw = HardwareSpec::parse(config, registry);
  const Network net = Network::parse(config.at("network"), "network");
  kit::Json resolved = tile.resolved;
  for (const auto& [k, v] : hw.resolved.items()) resolved[k] = v;
  resolved["network"] = net.resolved;
  const Accelerator acc(std::move(tile), std::move(hw), registry);
  return {{"job", "architecture: network mapped onto the chip (static estimate)"},
          {"config", resolved},
          {"ppa", acc.estimate(net)}};
}

kit::Json check_config(const kit::Json& config, const kit::Registry& registry) {
  TileSpec tile = TileSpec::parse(config, registry);
  kit::Json resolved = tile.resolved;
  if (!config.contains("network")) return resolved;
  HardwareSpec hw = HardwareSpec::parse(config, registry);
  const Network net = Network::parse(config.at("network"), "network");
  for (const auto& [k, v] : hw.resolved.items()) resolved[k] = v;
  resolved["network"] = net.resolved;
  Accelerator(std::move(tile), std::move(hw), registry).map(net);  // fits on the chip
  return resolved;
}

kit::Json run_job(const kit::Json& config, const kit::Registry& registry) {
  if (config.is_object() && config.contains("network")) return run_architecture(config, registry);
  return run_tile_demo(config, registry);
}

}  // namespace xbarsim::arch
