// A generic device from user-given statistics: conductance window and
// levels, programming σ as a polynomial in x = g/g_max, a drift exponent with
// mean and spread, and read noise relative to g and to the window. Used by
// presets built from published switching data.
#include <algorithm>
#include <cmath>

#include "arrays/device.h"
#include "arrays/devices/devices.h"
#include "core/kit/fastmath.h"

namespace xbarsim::arrays {
namespace {

struct TableFit {
  std::vector<double> prog_sigma_poly_us;
  double nu_mean = 0.0, nu_sigma = 0.0, t0_s = 1.0;
  double read_sigma_rel = 0.0, read_sigma_frac = 0.0;
};

class TableDevice final : public DeviceModel<TableDevice> {
 public:
  TableDevice(DeviceCommon c, TableFit f) : DeviceModel(c), f_(std::move(f)) {}

  double program_sigma_one(double g_target_us) const {
    return std::max(polyval_low_first(f_.prog_sigma_poly_us, g_target_us / common().g_max_us), 0.0);
  }
  double drift_nu_one(double, double xi) const { return std::abs(f_.nu_mean + f_.nu_sigma * xi); }
  double conductance_at_one(double g_prog_us, double nu, double, double t_s) const {
    if (t_s <= 0 || nu == 0.0) return g_prog_us;
    return g_prog_us * kit::exp_fast(-nu * kit::log_fast((t_s + f_.t0_s) / f_.t0_s));
  }
  double read_sigma_one(double, double g_us, double) const {
    return f_.read_sigma_rel * std::abs(g_us) + f_.read_sigma_frac * common().range_us();
  }
  static constexpr bool kStatic = false;

 private:
  TableFit f_;
};

}  // namespace

void add_table_device(kit::Registry& registry) {
  DeviceCommon d;
  d.g_min_us = 10.0;
  d.g_max_us = 100.0;
  auto params = DeviceCommon::params(d);
  params.push_back(kit::number_list_param("program_sigma_poly_us", {0.0}, "uS",
                                          "programming sigma = poly(g/g_max), low order first"));
  params.push_back(kit::number_param("drift_nu_mean", 0.0, "", "mean drift exponent", 0.0, 1.0));
  params.push_back(
      kit::number_param("drift_nu_sigma", 0.0, "", "spread of the drift exponent", 0.0, 1.0));
  params.push_back(kit::positive_param("drift_t0_s", 1.0, "s", "drift reference time t0"));
  params.push_back(
      kit::number_param("read_sigma_rel", 0.0, "", "read noise sigma relative to g", 0.0, 1.0));
  params.push_back(kit::number_param("read_sigma_frac", 0.0, "",
                                     "read noise sigma as a fraction of (g_max-g_min)", 0.0, 1.0));
  registry.add_variant<Device>(
      "device",
      {"table", "generic device from given window, levels, sigma polynomial, drift, read noise",
       params},
      [](const kit::Json& j) -> std::unique_ptr<Device> {
        TableFit f;
        f.prog_sigma_poly_us = j.at("program_sigma_poly_us").get<std::vector<double>>();
        f.nu_mean = j.at("drift_nu_mean").get<double>();
        f.nu_sigma = j.at("drift_nu_sigma").get<double>();
        f.t0_s = j.at("drift_t0_s").get<double>();
        f.read_sigma_rel = j.at("read_sigma_rel").get<double>();
        f.read_sigma_frac = j.at("read_sigma_frac").get<double>();
        return std::make_unique<TableDevice>(DeviceCommon::from_json(j, "device"), std::move(f));
      });
}

}  // namespace xbarsim::arrays
