#pragma once
// The main job (`xbarsim run`, Python xbarsim.run): with a "network" node,
// map it onto the configured chip and report energy, latency, throughput and
// area (the architecture job); without one, the single-tile demo.
#include "core/kit/json.h"
#include "core/kit/registry.h"

namespace xbarsim::arch {

kit::Json run_job(const kit::Json& config, const kit::Registry& registry);
// Validates a whole config (tile nodes; with "network": the hardware
// hierarchy, the network and its mapping onto the chip) and returns it
// resolved, defaults filled. Throws on the first mistake.
kit::Json check_config(const kit::Json& config, const kit::Registry& registry);
// The architecture job alone: {"job", "config", "ppa"}.
kit::Json run_architecture(const kit::Json& config, const kit::Registry& registry);

}  // namespace xbarsim::arch
