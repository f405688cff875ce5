// IBM HERMES 14 nm PCM chip statistics (Le Gallo et al., Nat. Electron. 6,
// 680 (2023)); fits as in aihwkit src/aihwkit/inference/noise/hermes.py.
// One or two devices per weight polarity ("devices_per_weight").
#include <algorithm>
#include <cmath>

#include "arrays/device.h"
#include "arrays/devices/devices.h"
#include "arrays/devices/pcm_common.h"
#include "core/kit/error.h"
#include "core/kit/fastmath.h"

namespace xbarsim::arrays {
namespace {

struct HermesFit {
  double g_ref_us;           // g_max of the fit
  std::vector<double> prog;  // σ_prog/… cubic in x, low order first
  double nu_sd_knee, nu_sd_a, nu_sd_b, nu_sd_lo, nu_sd_hi;  // x < knee: clip(a ln x + b)
  std::vector<double> nu_sd_poly;                           // x >= knee, low order first
  double q_knee, q_a, q_b, q_lo, q_hi;
  std::vector<double> q_poly;  // x >= knee, low order first
};

// Source: aihwkit hermes.py (HermesNoiseModel), fits to Le Gallo 2023 data.
const HermesFit kOneDevice = {10.35,   {0.15781817, 2.32443916, -2.16310839, 0.68841818},
                              0.3039,  -0.0120,
                              -0.0023, 0.0124,
                              0.04,    {0.0104, 0.0116, -0.0165},
                              0.1591,  -0.0078,
                              0.0038,  0.0179,
                              0.04,    {0.0088, 0.0768, -0.1352, 0.0664}};
const HermesFit kTwoDevices = {20.7,    {0.16603222, 4.71806468, -8.48101252, 4.68961419},
                               0.3055,  -0.0117,
                               -0.0057, 0.0091,
                               0.04,    {0.0073, 0.0093, -0.0118},
                               0.16,    -0.0117,
                               -0.0069, 0.015,
                               0.04,    {0.0123, 0.0211, -0.0280, 0.0069}};

class PcmHermes final : public DeviceModel<PcmHermes> {
 public:
  PcmHermes(DeviceCommon c, PcmTimes times, const HermesFit& fit)
      : DeviceModel(c), times_(times), fit_(fit) {}

  double program_sigma_one(double g_target_us) const {
    const double x = g_target_us / common().g_max_us;
    return std::max(polyval_low_first(fit_.prog, x), 0.0) * common().g_max_us / fit_.g_ref_us;
  }
  double drift_nu_one(double g_target_us, double xi) const {
    const double x = std::max(std::abs(g_target_us / common().g_max_us), 1e-7);
    const double lx = kit::log_fast(x);
    const double mu = x < 0.0945 ? std::clamp(-0.0387 * lx - 0.0182, 0.072, 0.13)
                                 : -0.0436 * x * x - 0.0126 * x + 0.0736;
    const double sd = x < fit_.nu_sd_knee ? std::clamp(fit_.nu_sd_a * lx + fit_.nu_sd_b,
                                                       fit_.nu_sd_lo, fit_.nu_sd_hi)
                                          : polyval_low_first(fit_.nu_sd_poly, x);
    return std::abs(mu + sd * xi);
  }
  double conductance_at_one(double g_prog_us, double nu, double, double t_s) const {
    return pcm_drift(g_prog_us, nu, t_s, times_);
  }
  double read_sigma_one(double g_prog_us, double g_us, double t_s) const {
    const double x = std::max(std::abs(g_prog_us) / common().g_max_us, 1e-7);
    const double q = x < fit_.q_knee
                         ? std::clamp(fit_.q_a * kit::log_fast(x) + fit_.q_b, fit_.q_lo, fit_.q_hi)
                         : polyval_low_first(fit_.q_poly, x);
    return std::abs(g_us) * q * pcm_one_over_f_factor(t_s, times_);
  }
  static constexpr bool kStatic = false;

 private:
  PcmTimes times_;
  const HermesFit& fit_;
};

}  // namespace

void add_pcm_hermes_device(kit::Registry& registry) {
  DeviceCommon d;
  d.g_min_us = 0.0;
  d.g_max_us = 20.7;  // Source: Le Gallo 2023 / aihwkit HermesNoiseModel, two devices
  auto params = DeviceCommon::params(d);
  add_pcm_time_params(params, PcmTimes{300.0, 512e-9});  // Source: aihwkit HermesNoiseModel
  params.push_back(kit::int_param("devices_per_weight", 2, 1, 2,
                                  "1 or 2 PCM devices per polarity (selects the fit)"));
  registry.add_variant<Device>(
      "device",
      {"pcm_hermes", "IBM HERMES 14 nm PCM: cubic programming sigma, drift and 1/f fits", params},
      [](const kit::Json& j) -> std::unique_ptr<Device> {
        const int n = j.at("devices_per_weight").get<int>();
        const HermesFit& fit = n == 1 ? kOneDevice : kTwoDevices;
        DeviceCommon c = DeviceCommon::from_json(j, "device");
        if (c.g_max_us > fit.g_ref_us * 1.0001) {
          throw kit::ConfigError("device.g_max_us", "the HERMES fit is measured up to " +
                                                        std::to_string(fit.g_ref_us) +
                                                        " uS for this device count");
        }
        return std::make_unique<PcmHermes>(c, PcmTimes::from_json(j), fit);
      });
}

}  // namespace xbarsim::arrays
