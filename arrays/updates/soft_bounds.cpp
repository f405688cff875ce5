// Soft bounds: the step shrinks linearly to zero at the device's own bound,
// dw+ = s+·(1 − w/w_max), dw− = s−·(1 − w/w_min) (aihwkit's
// SoftBoundsDevice; Fuller et al., Science 364, 570 (2019) for ECRAM).
#include <algorithm>

#include "arrays/update.h"
#include "arrays/updates/updates.h"

namespace xbarsim::arrays {
namespace {

class SoftBounds final : public UpdateModel {
 public:
  using UpdateModel::UpdateModel;
  double mean_step(const UpdateDevices& d, std::size_t k, double w, int dir) const override {
    if (dir > 0) {
      return d.w_max[k] > 0 ? d.scale_up[k] * std::max(1.0 - w / d.w_max[k], 0.0) : 0.0;
    }
    return d.w_min[k] < 0 ? -d.scale_down[k] * std::max(1.0 - w / d.w_min[k], 0.0) : 0.0;
  }
};

}  // namespace

void add_soft_bounds_update(kit::Registry& registry) {
  registry.add_variant<UpdateModel>(
      "update",
      {"soft_bounds", "step shrinking linearly to zero at each device's bounds",
       UpdateCommon::params(UpdateCommon{})},
      [](const kit::Json& j) -> std::unique_ptr<UpdateModel> {
        return std::make_unique<SoftBounds>(UpdateCommon::from_json(j, "update"));
      });
}

}  // namespace xbarsim::arrays
