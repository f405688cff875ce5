// Linear step: the step changes linearly with the state, dw+ = s+·(1 −
// γ+·w/w_max), dw− = s−·(1 + γ−·w/|w_min|), with γ± drawn per device
// (aihwkit's LinearStepDevice; γ = 0 is a constant step, γ = 1 soft bounds
// at the reference bounds). The reference is the mean bounds, or each
// device's own with mean_bound_reference false.
#include <algorithm>
#include <cmath>

#include "arrays/update.h"
#include "arrays/updates/updates.h"

namespace xbarsim::arrays {
namespace {

struct LinearLaw {
  double gamma_up = 0, gamma_down = 0, gamma_up_dtod = 0.05, gamma_down_dtod = 0.05;
  bool mean_bound_reference = true, allow_increasing = false;
};

class LinearStep final : public UpdateModel {
 public:
  LinearStep(UpdateCommon c, LinearLaw law) : UpdateModel(c), law_(law) {}
  double mean_step(const UpdateDevices& d, std::size_t k, double w, int dir) const override {
    if (dir > 0) {
      const double ref = law_.mean_bound_reference ? common().w_max : d.w_max[k];
      if (ref <= 0) return 0.0;
      const double f = 1.0 - d.a[k] * w / ref;
      return d.scale_up[k] * (law_.allow_increasing ? f : std::max(f, 0.0));
    }
    const double ref = law_.mean_bound_reference ? common().w_min : d.w_min[k];
    if (ref >= 0) return 0.0;
    const double f = 1.0 + d.b[k] * w / std::abs(ref);
    return -d.scale_down[k] * (law_.allow_increasing ? f : std::max(f, 0.0));
  }

 protected:
  void draw_law(UpdateDevices& d, const kit::Stream& s) const override {
    d.a.resize(d.size());
    d.b.resize(d.size());
    for (std::size_t k = 0; k < d.size(); ++k) {
      const std::uint64_t base = 8 * static_cast<std::uint64_t>(k);
      const double up = law_.gamma_up + law_.gamma_up_dtod * s.normal_at(base + 4);
      const double down = law_.gamma_down + law_.gamma_down_dtod * s.normal_at(base + 5);
      // A slope whose sign the draw flipped would make steps grow with the
      // state: kept only when allowed (aihwkit's allow_increasing).
      d.a[k] = law_.allow_increasing ? up : std::abs(up);
      d.b[k] = law_.allow_increasing ? down : std::abs(down);
    }
  }

 private:
  LinearLaw law_;
};

}  // namespace

void add_linear_step_update(kit::Registry& registry) {
  auto params = UpdateCommon::params(UpdateCommon{});
  params.push_back(kit::number_param(
      "gamma_up", 0.0, "", "relative decrease of the up step from w = 0 to w_max", -10.0, 10.0));
  params.push_back(kit::number_param("gamma_down", 0.0, "",
                                     "relative decrease of the down step from w = 0 to w_min",
                                     -10.0, 10.0));
  params.push_back(kit::number_param("gamma_up_dtod", 0.05, "",
                                     "device-to-device sigma of gamma_up (absolute)", 0.0, 10.0));
  params.push_back(kit::number_param("gamma_down_dtod", 0.05, "",
                                     "device-to-device sigma of gamma_down (absolute)", 0.0, 10.0));
  params.push_back(
      kit::bool_param("mean_bound_reference", true,
                      "slopes relative to the mean bounds (false: each device's own)"));
  params.push_back(kit::bool_param("allow_increasing", false,
                                   "keep steps that grow towards a bound (else clipped at 0)"));
  registry.add_variant<UpdateModel>(
      "update", {"linear_step", "step changing linearly with the state", params},
      [](const kit::Json& j) -> std::unique_ptr<UpdateModel> {
        LinearLaw law;
        law.gamma_up = j.at("gamma_up").get<double>();
        law.gamma_down = j.at("gamma_down").get<double>();
        law.gamma_up_dtod = j.at("gamma_up_dtod").get<double>();
        law.gamma_down_dtod = j.at("gamma_down_dtod").get<double>();
        law.mean_bound_reference = j.at("mean_bound_reference").get<bool>();
        law.allow_increasing = j.at("allow_increasing").get<bool>();
        return std::make_unique<LinearStep>(UpdateCommon::from_json(j, "update"), law);
      });
}

}  // namespace xbarsim::arrays
