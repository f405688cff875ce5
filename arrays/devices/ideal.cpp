// An ideal device: programs exactly to its target, never drifts, reads
// without noise. Faults and device-to-device variation still apply if set.
#include "arrays/device.h"
#include "arrays/devices/devices.h"

namespace xbarsim::arrays {
namespace {

class IdealDevice final : public DeviceModel<IdealDevice> {
 public:
  using DeviceModel::DeviceModel;
  double program_sigma_one(double) const { return 0.0; }
};

}  // namespace

void add_ideal_device(kit::Registry& registry) {
  DeviceCommon d;
  d.g_min_us = 0.0;
  d.g_max_us = 100.0;
  registry.add_variant<Device>(
      "device", {"ideal", "exact programming, no drift, noiseless reads", DeviceCommon::params(d)},
      [](const kit::Json& j) -> std::unique_ptr<Device> {
        return std::make_unique<IdealDevice>(DeviceCommon::from_json(j, "device"));
      });
}

}  // namespace xbarsim::arrays
