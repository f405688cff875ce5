#include "core/jobs/schema.h"

#include "core/jobs/accuracy.h"
#include "core/jobs/tile_job.h"
#include "core/nn/in_situ/in_situ.h"
#include "core/nn/layer_hardware.h"
#include "core/nn/network.h"
#include "core/nn/snn/spec.h"
#include "core/nn/train.h"
#include "core/ppa/snn_chip.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::jobs {
namespace {

kit::Json single(const std::string& doc, const std::string& what,
                 const std::vector<kit::ParamInfo>& params) {
  return {{"doc", doc},
          {"variants", {{"(single)", {{"doc", what}, {"params", kit::params_schema(params)}}}}}};
}

}  // namespace

kit::Json full_schema(const kit::Registry& registry) {
  kit::Json all = {
      {"(top level)", single("top-level keys of a tile config", "tile", tile::TileSpec::params())}};
  all["evaluation"] = {
      {"doc",
       "what `xbarsim run` evaluates: with a network, accuracy on a dataset "
       "(docs/accuracy.md); without one, the tile demo"},
      {"variants",
       {{"(with a network)",
         {{"doc", "network runs"}, {"params", kit::params_schema(AccuracySpec::params())}}},
        {"(without a network: the tile demo)",
         {{"doc", "tile-only configs"}, {"params", kit::params_schema(evaluation_params())}}}}}};
  all["evaluation.dataset"] =
      single("IDX files of a network run's evaluation (or a name: \"mnist\", \"fashion-mnist\")",
             "dataset", AccuracySpec::dataset_params());
  all["evaluation.train"] = single("the built-in trainer (used when evaluation.weights is empty)",
                                   "trainer", nn::TrainSpec::params());
  all["in_situ"] = single(
      "in-situ training for `xbarsim train` (docs/in_situ.md); its update node is the "
      "\"update\" component",
      "in-situ training", nn::InSituSpec::params());
  for (const auto* dir : {"forward", "backward"}) {
    all[std::string("in_situ.") + dir] =
        single(std::string("the ") + dir + " periphery of in-situ training (aihwkit's analog MVM)",
               "periphery", nn::IoSpec::params(nn::IoSpec{}));
  }
  all["evaluation.snn"] = single(
      "the network run as a spiking network, accuracy and spikes (docs/snn.md); its "
      "neuron node is the \"neuron\" component",
      "SNN evaluation", nn::SnnSpec::params());
  all["snn"] = single(
      "a spiking chip: the static performance model prices the network as the SNN of its "
      "conversion at these spike rates (docs/snn.md)",
      "spiking chip", ppa::SnnChipSpec::params());
  all["network"] = nn::network_schema();
  all["layers"] = nn::layer_overrides_schema();
  const kit::Json components = registry.schema();
  for (const auto& [k, v] : components.items()) all[k] = v;
  return all;
}

}  // namespace xbarsim::jobs
