// IBM PCM statistical model (Nandakumar et al. 2019; Joshi et al., Nat.
// Commun. 2020), in the form aihwkit's PCMLikeNoiseModel implements it.
// Conductances normalised by g_max: x = g/g_max.
#include <algorithm>
#include <array>
#include <cmath>

#include "arrays/device.h"
#include "arrays/devices/devices.h"
#include "arrays/devices/pcm_common.h"
#include "core/kit/fastmath.h"

namespace xbarsim::arrays {
namespace {

// Source: Joshi et al., Nat. Commun. 11, 2473 (2020); constants as in
// aihwkit src/aihwkit/inference/noise/pcm.py (PCMLikeNoiseModel).
constexpr double kProgRefGmaxUs = 25.0;
constexpr std::array<double, 3> kProgCoeff = {0.26348, 1.9650, -1.1731};

class PcmIbm final : public DeviceModel<PcmIbm> {
 public:
  PcmIbm(DeviceCommon c, PcmTimes times) : DeviceModel(c), times_(times) {}

  double program_sigma_one(double g_target_us) const {
    const double x = g_target_us / common().g_max_us;
    return std::max(polyval_low_first(kProgCoeff, x), 0.0) * common().g_max_us / kProgRefGmaxUs;
  }
  double drift_nu_one(double g_target_us, double xi) const {
    const double x = std::max(std::abs(g_target_us / common().g_max_us), 1e-7);
    const double lx = kit::log_fast(x);
    const double mu = std::clamp(-0.0155 * lx + 0.0244, 0.049, 0.1);
    const double sd = std::clamp(-0.0125 * lx - 0.0059, 0.008, 0.045);
    return std::abs(mu + sd * xi);
  }
  double conductance_at_one(double g_prog_us, double nu, double, double t_s) const {
    return pcm_drift(g_prog_us, nu, t_s, times_);
  }
  double read_sigma_one(double g_prog_us, double g_us, double t_s) const {
    // 1/f noise amplitude Q from the programmed state.
    const double x = std::abs(g_prog_us) / common().g_max_us;
    const double q = std::min(0.0088 / std::max(x > 0 ? kit::pow_fast(x, 0.65) : 0.0, 1e-3), 0.2);
    return std::abs(g_us) * q * pcm_one_over_f_factor(t_s, times_);
  }
  static constexpr bool kStatic = false;

 private:
  PcmTimes times_;
};

}  // namespace

void add_pcm_ibm_device(kit::Registry& registry) {
  DeviceCommon d;
  d.g_min_us = 0.0;
  d.g_max_us = 25.0;  // Source: aihwkit SinglePairConductanceConverter default
  auto params = DeviceCommon::params(d);
  const PcmTimes defaults{20.0, 250e-9};  // Source: aihwkit PCMLikeNoiseModel t_0, t_read
  add_pcm_time_params(params, defaults);
  registry.add_variant<Device>(
      "device",
      {"pcm_ibm", "IBM PCM: quadratic programming sigma, per-device drift nu, 1/f read noise",
       params},
      [](const kit::Json& j) -> std::unique_ptr<Device> {
        return std::make_unique<PcmIbm>(DeviceCommon::from_json(j, "device"),
                                        PcmTimes::from_json(j));
      });
}

}  // namespace xbarsim::arrays
