#pragma once
// The single-tile job `xbarsim run` performs until networks are mapped:
// program a seeded random weight matrix onto the configured tile and measure
// how far its VMM outputs fall from the exact product, right after
// programming and at later drift times, over Monte Carlo device draws.
#include "core/kit/json.h"
#include "core/kit/registry.h"

namespace xbarsim::arch {

// Keys of the "evaluation" node and their defaults.
std::vector<kit::ParamInfo> evaluation_params();

// Runs the job on a whole config (tile keys plus "evaluation"); returns the
// report: resolved config, programming report, error per drift time.
kit::Json run_tile_demo(const kit::Json& config, const kit::Registry& registry);

}  // namespace xbarsim::arch
