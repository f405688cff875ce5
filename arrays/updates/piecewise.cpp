// Piecewise step: the step at n + 1 evenly spaced states from w_min to w_max
// of each device, as multiples of the device's step, interpolated linearly
// between them (aihwkit's PiecewiseStepDevice). The hook for a measured
// device: the nodes are its step sizes read off a pulse-response series.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "arrays/update.h"
#include "arrays/updates/updates.h"
#include "core/kit/error.h"

namespace xbarsim::arrays {
namespace {

class Piecewise final : public UpdateModel {
 public:
  Piecewise(UpdateCommon c, std::vector<double> up, std::vector<double> down)
      : UpdateModel(c), up_(std::move(up)), down_(std::move(down)) {}
  double mean_step(const UpdateDevices& d, std::size_t k, double w, int dir) const override {
    const std::vector<double>& v = dir > 0 ? up_ : down_;
    const double scale = dir > 0 ? d.scale_up[k] : -d.scale_down[k];
    const double lo = d.w_min[k], hi = d.w_max[k];
    if (v.size() == 1 || hi <= lo) return scale * v.front();
    const auto n = static_cast<double>(v.size() - 1);
    const double u = std::max((w - lo) / (hi - lo) * n, 0.0);
    const auto i = static_cast<std::size_t>(std::min(std::floor(u), n - 1));
    const double t = std::min(u - static_cast<double>(i), 1.0);
    return scale * ((1.0 - t) * v[i] + t * v[i + 1]);
  }

 private:
  std::vector<double> up_, down_;
};

}  // namespace

void add_piecewise_update(kit::Registry& registry) {
  auto params = UpdateCommon::params(UpdateCommon{});
  params.push_back(kit::number_list_param("piecewise_up", {1.0}, "",
                                          "up step (x the device's step) at evenly spaced states "
                                          "from w_min to w_max"));
  params.push_back(kit::number_list_param("piecewise_down", {1.0}, "",
                                          "down step magnitude at the same states"));
  registry.add_variant<UpdateModel>(
      "update", {"piecewise", "step interpolated between given states (measured devices)", params},
      [](const kit::Json& j) -> std::unique_ptr<UpdateModel> {
        auto up = j.at("piecewise_up").get<std::vector<double>>();
        auto down = j.at("piecewise_down").get<std::vector<double>>();
        if (up.empty() || up.size() != down.size()) {
          throw kit::ConfigError("update.piecewise_down",
                                 fmt::format("needs as many nodes as piecewise_up ({}), has {}",
                                             up.size(), down.size()));
        }
        for (const auto* v : {&up, &down}) {
          for (const double x : *v) {
            if (!(x >= 0.0) || !std::isfinite(x)) {
              throw kit::ConfigError(
                  v == &up ? "update.piecewise_up" : "update.piecewise_down",
                  fmt::format("step multiples must be finite and >= 0, got {}", x));
            }
          }
        }
        return std::make_unique<Piecewise>(UpdateCommon::from_json(j, "update"), std::move(up),
                                           std::move(down));
      });
}

}  // namespace xbarsim::arrays
