#pragma once
// `xbarsim train`: the config's network trained in situ on its devices
// (core/nn/in_situ/in_situ.h) with the "in_situ" node's update law and
// rule, on evaluation.dataset's training images, scored after every epoch
// on its test images (evaluation.test_samples of them) through the same
// devices. The report ("name": the config's, else the network's): accuracy, loss, pulses, write
// energy and time per epoch; per layer the pulses per device against the law's endurance; the
// recorded device trajectories.
//
// Contract: every check of `xbarsim run` (prepare_job) and the in_situ
// node's run before work; deterministic for a seed whatever the thread
// count.
#include "core/kit/json.h"
#include "core/kit/registry.h"

namespace xbarsim::jobs {

kit::Json run_in_situ(const kit::Json& config, const kit::Registry& registry, bool progress);

}  // namespace xbarsim::jobs
