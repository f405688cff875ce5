// Exponential step: with z = 2a·w/(w_max − w_min) + b on each device's
// bounds, dw+ = s+·max(1 − A_up·e^(γ_up·z), 0) and dw− = s−·max(1 −
// A_down·e^(−γ_down·z), 0) (aihwkit's ExpStepDevice; its defaults fit the
// ReRAM of Gong et al., Nat. Commun. 9, 2102 (2018)). With dw_min_std_add
// or dw_min_std_slope set, the cycle-to-cycle noise is aihwkit's "complex"
// one: w += dw + dw_min_std·(|dw| + add + slope·|w|)·ξ.
#include <algorithm>
#include <cmath>

#include "arrays/update.h"
#include "arrays/updates/updates.h"

namespace xbarsim::arrays {
namespace {

struct ExpLaw {
  double a_up = 0.00081, a_down = 0.36833, gamma_up = 12.44625, gamma_down = 12.78785, a = 0.244,
         b = 0.2425;
  double std_add = 0.0, std_slope = 0.0;
};

class ExpStep final : public UpdateModel {
 public:
  ExpStep(UpdateCommon c, ExpLaw law) : UpdateModel(c), law_(law) {}
  double mean_step(const UpdateDevices& d, std::size_t k, double w, int dir) const override {
    const double range = d.w_max[k] - d.w_min[k];
    if (range <= 0) return 0.0;
    const double z = 2.0 * law_.a * w / range + law_.b;
    if (dir > 0)
      return d.scale_up[k] * std::max(1.0 - law_.a_up * std::exp(law_.gamma_up * z), 0.0);
    return -d.scale_down[k] * std::max(1.0 - law_.a_down * std::exp(-law_.gamma_down * z), 0.0);
  }
  double pulse(const UpdateDevices& d, std::size_t k, double w, int dir, double xi) const override {
    if (law_.std_add == 0 && law_.std_slope == 0) return UpdateModel::pulse(d, k, w, dir, xi);
    const double dw = mean_step(d, k, w, dir);
    if (dw == 0.0) return w;
    const double sigma =
        common().dw_min_std * (std::abs(dw) + law_.std_add + law_.std_slope * std::abs(w));
    return std::clamp(w + dw + sigma * xi, d.w_min[k], d.w_max[k]);
  }

 private:
  ExpLaw law_;
};

}  // namespace

void add_exp_step_update(kit::Registry& registry) {
  const ExpLaw def;
  auto params = UpdateCommon::params(UpdateCommon{});
  params.push_back(
      kit::number_param("A_up", def.a_up, "", "amplitude of the up step's decrease", -1e3, 1e3));
  params.push_back(kit::number_param("A_down", def.a_down, "",
                                     "amplitude of the down step's decrease", -1e3, 1e3));
  params.push_back(kit::number_param("gamma_up", def.gamma_up, "", "exponent rate, up", -1e3, 1e3));
  params.push_back(
      kit::number_param("gamma_down", def.gamma_down, "", "exponent rate, down", -1e3, 1e3));
  params.push_back(
      kit::number_param("a", def.a, "", "z = 2a*w/(w_max - w_min) + b: slope", -1e3, 1e3));
  params.push_back(
      kit::number_param("b", def.b, "", "z = 2a*w/(w_max - w_min) + b: offset", -1e3, 1e3));
  params.push_back(kit::number_param(
      "dw_min_std_add", def.std_add, "",
      "complex c2c noise: sigma = dw_min_std*(|dw| + this + dw_min_std_slope*|w|)", 0.0, 1e3));
  params.push_back(kit::number_param("dw_min_std_slope", def.std_slope, "",
                                     "complex c2c noise: the |w| term's factor", 0.0, 1e3));
  registry.add_variant<UpdateModel>(
      "update", {"exp_step", "step shrinking exponentially towards the bounds", params},
      [](const kit::Json& j) -> std::unique_ptr<UpdateModel> {
        ExpLaw law;
        law.a_up = j.at("A_up").get<double>();
        law.a_down = j.at("A_down").get<double>();
        law.gamma_up = j.at("gamma_up").get<double>();
        law.gamma_down = j.at("gamma_down").get<double>();
        law.a = j.at("a").get<double>();
        law.b = j.at("b").get<double>();
        law.std_add = j.at("dw_min_std_add").get<double>();
        law.std_slope = j.at("dw_min_std_slope").get<double>();
        return std::make_unique<ExpStep>(UpdateCommon::from_json(j, "update"), law);
      });
}

}  // namespace xbarsim::arrays
