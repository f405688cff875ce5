// RRAM from the NeuRRAM chip (Wan et al., Nature 608, 504 (2022)):
// conductance spread after write-verify, measured 1 s, 1 day and 2 days
// after programming (relaxation). Quartic fits as in aihwkit
// src/aihwkit/inference/noise/reram.py (ReRamWan2022NoiseModel).
//
// Model: programming leaves σ_1s(g); relaxation adds an independent,
// per-device Gaussian step whose variance brings the total to σ_t(g)², with
// σ_t² interpolated linearly in ln t between the measured times and held
// after 2 days. Each device keeps one relaxation draw, so its trajectory is
// consistent across read times, and the spread at each measured time equals
// the published one.
#include <algorithm>
#include <array>
#include <cmath>

#include "arrays/device.h"
#include "arrays/devices/devices.h"

namespace xbarsim::arrays {
namespace {

// Source: Wan 2022 data, fits in aihwkit reram.py; σ in µS, x = g/g_max,
// low order first, fitted with g_max = 40 µS.
constexpr double kFitGmaxUs = 40.0;
const std::array<double, 3> kTimesS = {1.0, 86400.0, 172800.0};
const std::array<std::vector<double>, 3> kSigma = {
    std::vector<double>{0.348, 16.030, -43.853, 45.393, -16.815},
    std::vector<double>{0.701, 22.086, -50.773, 47.095, -16.458},
    std::vector<double>{0.782, 20.274, -43.507, 37.062, -11.934}};

class RramWan final : public DeviceModel<RramWan> {
 public:
  RramWan(DeviceCommon c, double read_sigma_frac) : DeviceModel(c), read_frac_(read_sigma_frac) {}

  double sigma_at_point(std::size_t k, double g_us) const {
    const double x = std::clamp(g_us / common().g_max_us, 0.0, 1.0);
    return std::max(polyval_low_first(kSigma[k], x), 0.0) * common().g_max_us / kFitGmaxUs;
  }
  // Total spread t_s after programming (σ_1s before 1 s).
  double sigma_total(double g_us, double t_s) const {
    if (t_s <= kTimesS[0]) return sigma_at_point(0, g_us);
    if (t_s >= kTimesS[2]) return sigma_at_point(2, g_us);
    const std::size_t k = t_s < kTimesS[1] ? 0 : 1;
    const double f =
        (std::log(t_s) - std::log(kTimesS[k])) / (std::log(kTimesS[k + 1]) - std::log(kTimesS[k]));
    const double v0 = std::pow(sigma_at_point(k, g_us), 2);
    const double v1 = std::pow(sigma_at_point(k + 1, g_us), 2);
    return std::sqrt(v0 + f * (v1 - v0));
  }

  double program_sigma_one(double g_target_us) const { return sigma_at_point(0, g_target_us); }
  double conductance_at_one(double g_prog_us, double, double xi, double t_s) const {
    if (t_s <= kTimesS[0]) return g_prog_us;  // nothing relaxes before the first point
    const double s = sigma_total(g_prog_us, t_s), s0 = sigma_at_point(0, g_prog_us);
    return g_prog_us + std::sqrt(std::max((s - s0) * (s + s0), 0.0)) * xi;
  }
  double read_sigma_one(double, double, double) const { return read_frac_ * common().range_us(); }
  static constexpr bool kStatic = false;

 private:
  double read_frac_;
};

}  // namespace

void add_rram_wan_device(kit::Registry& registry) {
  DeviceCommon d;
  d.g_min_us = 1.0;
  d.g_max_us = 40.0;  // Source: Wan 2022 fits' reference g_max (docs/models.md, "Devices")
  auto params = DeviceCommon::params(d);
  // Assumption: the fits hold no read noise; aihwkit's docstring for this model
  // suggests an additive ≈1 % (0.01) of range (docs/models.md, "Devices").
  params.push_back(kit::number_param("read_sigma_frac", 0.01, "",
                                     "read noise sigma as a fraction of (g_max-g_min)", 0.0, 1.0));
  registry.add_variant<Device>(
      "device",
      {"rram_wan", "NeuRRAM RRAM: quartic spread at 1 s, 1 day, 2 days (relaxation)", params},
      [](const kit::Json& j) -> std::unique_ptr<Device> {
        return std::make_unique<RramWan>(DeviceCommon::from_json(j, "device"),
                                         j.at("read_sigma_frac").get<double>());
      });
}

}  // namespace xbarsim::arrays
