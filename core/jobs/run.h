#pragma once
// The main job (`xbarsim run`, Python xbarsim.run): with a "network" node,
// map it onto the configured chip and report energy, latency, throughput and
// area (the architecture job), plus accuracy on real data when the config
// has an "evaluation" node (core/jobs/accuracy.h); without a network, the
// single-tile demo. progress: stage lines on stderr.
#include <optional>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/registry.h"
#include "core/nn/in_situ/in_situ.h"
#include "core/nn/layer_hardware.h"
#include "core/nn/network.h"
#include "core/ppa/hardware.h"

namespace xbarsim::jobs {

// The report carries "warnings" (see check_config), [] when there are none.
kit::Json run_job(const kit::Json& config, const kit::Registry& registry, bool progress = false);
// Validates a whole config (tile nodes; with "network": the hardware
// hierarchy, the network and its mapping onto the chip) and returns it
// resolved, defaults filled. Throws on the first mistake. warnings (when
// given) receives the valid but suspicious settings (TileSpec::warnings).
kit::Json check_config(const kit::Json& config, const kit::Registry& registry,
                       std::vector<std::string>* warnings = nullptr);

// A config parsed and checked once (the network, an ONNX model perhaps, is
// read once): its resolved form and warnings, and the network when it has
// one. run_prepared runs it: the architecture job ({"job", "config", "ppa"},
// "measured" when the config has published figures, "accuracy" when it has
// "evaluation"), or the tile demo without a network.
struct PreparedJob {
  kit::Json config, resolved;
  std::vector<std::string> warnings;
  std::optional<nn::Network> network;
  // With a network: each layer's tile (the config's and the "layers"
  // overrides) and the hardware hierarchy, as parsed.
  std::optional<nn::LayerHardware> layers;
  std::optional<ppa::HardwareSpec> hw;
  // The in_situ node as parsed and checked against the network, when given.
  std::optional<nn::InSituSpec> in_situ;
};
PreparedJob prepare_job(const kit::Json& config, const kit::Registry& registry);
kit::Json run_prepared(const PreparedJob& job, const kit::Registry& registry,
                       bool progress = false);

}  // namespace xbarsim::jobs
