#include "core/arch/schema.h"

#include "core/arch/accuracy.h"
#include "core/arch/demo.h"
#include "core/arch/network.h"
#include "core/arch/tile_spec.h"
#include "core/arch/train.h"

namespace xbarsim::arch {
namespace {

kit::Json single(const std::string& doc, const std::string& what,
                 const std::vector<kit::ParamInfo>& params) {
  return {{"doc", doc},
          {"variants", {{"(single)", {{"doc", what}, {"params", kit::params_schema(params)}}}}}};
}

}  // namespace

kit::Json full_schema(const kit::Registry& registry) {
  kit::Json all = {
      {"(top level)", single("top-level keys of a tile config", "tile", TileSpec::params())}};
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
      single("IDX files of a network run's evaluation", "dataset", AccuracySpec::dataset_params());
  all["evaluation.train"] = single("the built-in trainer (used when evaluation.weights is empty)",
                                   "trainer", TrainSpec::params());
  all["network"] = network_schema();
  const kit::Json components = registry.schema();
  for (const auto& [k, v] : components.items()) all[k] = v;
  return all;
}

}  // namespace xbarsim::arch
