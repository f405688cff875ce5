// Power step: dw+ = s+·((w_max − w)/range)^γ+ and dw− = s−·((w −
// w_min)/range)^γ−, with range = w_max − w_min of each device and γ± drawn
// per device around pow_gamma with their own asymmetry (aihwkit's
// PowStepDevice).
#include <algorithm>
#include <cmath>

#include "arrays/update.h"
#include "arrays/updates/updates.h"

namespace xbarsim::arrays {
namespace {

struct PowLaw {
  double gamma = 1.0, gamma_dtod = 0.1, up_down = 0.0, up_down_dtod = 0.0;
};

class PowStep final : public UpdateModel {
 public:
  PowStep(UpdateCommon c, PowLaw law) : UpdateModel(c), law_(law) {}
  double mean_step(const UpdateDevices& d, std::size_t k, double w, int dir) const override {
    const double range = d.w_max[k] - d.w_min[k];
    if (range <= 0) return 0.0;
    if (dir > 0) return d.scale_up[k] * std::pow(std::max((d.w_max[k] - w) / range, 0.0), d.a[k]);
    return -d.scale_down[k] * std::pow(std::max((w - d.w_min[k]) / range, 0.0), d.b[k]);
  }

 protected:
  void draw_law(UpdateDevices& d, const kit::Stream& s) const override {
    d.a.resize(d.size());
    d.b.resize(d.size());
    for (std::size_t k = 0; k < d.size(); ++k) {
      const std::uint64_t base = 8 * static_cast<std::uint64_t>(k);
      const double g = 1.0 + law_.gamma_dtod * s.normal_at(base + 4);
      const double r = law_.up_down_dtod * s.normal_at(base + 5);
      d.a[k] = std::abs((std::min(law_.up_down, 0.0) + g + r) * law_.gamma);
      d.b[k] = std::abs((-std::max(law_.up_down, 0.0) + g - r) * law_.gamma);
    }
  }

 private:
  PowLaw law_;
};

}  // namespace

void add_pow_step_update(kit::Registry& registry) {
  auto params = UpdateCommon::params(UpdateCommon{});
  params.push_back(kit::positive_param("pow_gamma", 1.0, "", "exponent of the step's shape"));
  params.push_back(kit::number_param("pow_gamma_dtod", 0.1, "",
                                     "device-to-device relative sigma of the exponent", 0.0, 10.0));
  params.push_back(kit::number_param("pow_up_down", 0.0, "",
                                     "asymmetry of the exponent between up and down", -1.0, 1.0));
  params.push_back(kit::number_param("pow_up_down_dtod", 0.0, "",
                                     "device-to-device sigma of pow_up_down", 0.0, 10.0));
  registry.add_variant<UpdateModel>(
      "update", {"pow_step", "step following a power of the distance to the bound", params},
      [](const kit::Json& j) -> std::unique_ptr<UpdateModel> {
        PowLaw law;
        law.gamma = j.at("pow_gamma").get<double>();
        law.gamma_dtod = j.at("pow_gamma_dtod").get<double>();
        law.up_down = j.at("pow_up_down").get<double>();
        law.up_down_dtod = j.at("pow_up_down_dtod").get<double>();
        return std::make_unique<PowStep>(UpdateCommon::from_json(j, "update"), law);
      });
}

}  // namespace xbarsim::arrays
