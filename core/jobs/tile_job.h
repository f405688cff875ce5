#pragma once
// The single-tile job (`xbarsim run` on a config without a network):
// program a seeded random weight matrix onto the configured tile and measure
// how far its VMM outputs fall from the exact product, right after
// programming and at later drift times, over Monte Carlo device draws.
#include <cstddef>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/registry.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::jobs {

// Keys of the "evaluation" node and their defaults.
std::vector<kit::ParamInfo> evaluation_params();

// The job's "evaluation" node resolved and checked (read times finite and
// >= 0, at most kMaxReadTimes of them) and its memory estimated against the
// machine's before any work; config check runs it too.
inline constexpr std::size_t kMaxReadTimes = 1000;
struct TileDemoPlan {
  kit::Json eval;  // resolved
  std::size_t batch = 0, trials = 0;
  std::vector<double> times_s;
};
TileDemoPlan plan_tile_demo(const kit::Json& config, const tile::TileSpec& spec);

// Runs the job on a whole config (tile keys plus "evaluation"); returns the
// report: resolved config, programming report, error per drift time.
kit::Json run_tile_demo(const kit::Json& config, const kit::Registry& registry);

}  // namespace xbarsim::jobs
