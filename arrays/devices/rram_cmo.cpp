// IBM Zurich CMO/HfOx RRAM statistics, as fitted in aihwkit
// src/aihwkit/inference/noise/reram.py (ReRamCMONoiseModel): linear
// programming spread after write-verify with a 0.2 % or 2 % acceptance
// range, logarithmic relaxation, and 1/f-like read noise.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "arrays/device.h"
#include "arrays/devices/devices.h"
#include "core/kit/fastmath.h"

namespace xbarsim::arrays {
namespace {

// Source: aihwkit ReRamCMONoiseModel (IBM Zurich CMO/HfOx measurements).
constexpr double kProg02[2] = {0.00081107, 0.00106879};      // acceptance 0.2 %
constexpr double kProg2[2] = {0.0112185391, 0.01129027418};  // acceptance 2 %
constexpr double kRelaxMean = -0.08900206;                   // µS per ln(t/1 s)
constexpr double kRelaxSd[2] = {0.04201137, 0.41183342};     // a·ln t + b, µS
constexpr double kReadK = 0.0277316483;
constexpr double kReadT = 1e-6;  // s

class RramCmo final : public DeviceModel<RramCmo> {
 public:
  RramCmo(DeviceCommon c, bool wide) : DeviceModel(c), prog_(wide ? kProg2 : kProg02) {}

  double program_sigma_one(double g_target_us) const { return prog_[0] + prog_[1] * g_target_us; }
  double conductance_at_one(double g_prog_us, double, double xi, double t_s) const {
    if (t_s <= 0) return g_prog_us;
    const double lt = std::log(t_s);
    const double g =
        g_prog_us + kRelaxMean * lt + std::max(kRelaxSd[0] * lt + kRelaxSd[1], 0.0) * xi;
    return std::clamp(g, common().g_min_us, common().g_max_us);
  }
  double read_sigma_one(double, double g_us, double t_s) const {
    const double arg = std::log((t_s + kReadT) / (2.0 * kReadT));
    if (arg <= 0 || g_us <= 1.0) return 0.0;
    return kReadK * kit::log_fast(g_us) * (1.0 / std::numbers::ln10) * std::sqrt(arg);
  }
  static constexpr bool kStatic = false;

 private:
  const double* prog_;
};

}  // namespace

void add_rram_cmo_device(kit::Registry& registry) {
  DeviceCommon d;
  d.g_min_us = 9.0;        // Source: aihwkit ReRamCMONoiseModel converter
  d.g_max_us = 88.199997;  // Source: idem
  auto params = DeviceCommon::params(d);
  params.push_back(kit::choice_param("acceptance", "0.2%", {"0.2%", "2%"},
                                     "write-verify acceptance range of the programming fit"));
  registry.add_variant<Device>(
      "device",
      {"rram_cmo", "IBM CMO/HfOx RRAM: linear programming sigma, log relaxation, read noise",
       params},
      [](const kit::Json& j) -> std::unique_ptr<Device> {
        return std::make_unique<RramCmo>(DeviceCommon::from_json(j, "device"),
                                         j.at("acceptance").get<std::string>() == "2%");
      });
}

}  // namespace xbarsim::arrays
