// Constant step: every pulse moves the state by the device's step whatever
// the state, until a bound clips it (aihwkit's ConstantStepDevice law).
#include "arrays/update.h"
#include "arrays/updates/updates.h"

namespace xbarsim::arrays {
namespace {

class ConstantStep final : public UpdateModel {
 public:
  using UpdateModel::UpdateModel;
  double mean_step(const UpdateDevices& d, std::size_t k, double, int dir) const override {
    return dir > 0 ? d.scale_up[k] : -d.scale_down[k];
  }
};

}  // namespace

void add_constant_step_update(kit::Registry& registry) {
  registry.add_variant<UpdateModel>(
      "update",
      {"constant_step", "the same step at every state, clipped at the bounds",
       UpdateCommon::params(UpdateCommon{})},
      [](const kit::Json& j) -> std::unique_ptr<UpdateModel> {
        return std::make_unique<ConstantStep>(UpdateCommon::from_json(j, "update"));
      });
}

}  // namespace xbarsim::arrays
