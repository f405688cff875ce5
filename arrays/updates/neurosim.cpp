// NeuroSim's LTP/LTD curves: after P of N pulses from the lower bound a
// device sits at x(P) = (1 − e^(−P/A))/(1 − e^(−N/A)) of its window, with one
// A for potentiation and another for depression on the same axis (a negative
// A bends the curve the other way). A pulse finds the device's P from its
// state on the curve of its direction and moves it to P ± 1, so switching
// direction re-maps the state as MLP_NeuroSim V3.0 does.
// Source: P.-Y. Chen, X. Peng, S. Yu, "NeuroSim+: an integrated
// device-to-algorithm framework", IEDM 2017, and the MLP_NeuroSim V3.0 user
// manual, Eqs. 1-3 (curves) and Table 1 (nonlinearity label -> A).
//
// Each direction is given as NeuroSim's nonlinearity label NL (|NL| <= 9).
// The label measures the curve's bend: on the normalised curve (N = 1) the
// largest distance of x(P) above the straight line x = P is 0.07·√2·NL
// (this reproduces NeuroSim's tabulated A(NL), e.g. 2.40 -> 0.4992 and
// 4.88 -> 0.2003 of the manual's Table 1), so A is solved from it here.
// Cycle-to-cycle noise is additive, σ = c2c_sigma·(w_max − w_min) per
// pulse (NeuroSim adds σ·√n per write of n pulses: the same distribution).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "arrays/update.h"
#include "arrays/updates/updates.h"
#include "core/kit/error.h"

namespace xbarsim::arrays {
namespace {

// Largest x(p) − p on the normalised curve with A > 0.
double bend(double a) {
  const double den = -std::expm1(-1.0 / a);  // 1 − e^(−1/A)
  const double p = std::clamp(-a * std::log(a * den), 0.0, 1.0);
  return -std::expm1(-p / a) / den - p;
}

}  // namespace

double neurosim_step(double x, double a_norm, int states, int dir) {
  const double n = states;
  double x_new = x + dir / n;
  if (a_norm != 0.0) {
    // On the axis u = P/N: x(u) = (1 − e^(−u/a))/(1 − e^(−1/a)).
    const double den = -std::expm1(-1.0 / a_norm);
    const double u = -a_norm * std::log1p(-x * den);
    x_new = -std::expm1(-(u + dir / n) / a_norm) / den;
  }
  return std::clamp(x_new, 0.0, 1.0) - x;
}

double neurosim_label(double a_norm) {
  if (a_norm == 0.0) return 0.0;
  return std::copysign(bend(std::abs(a_norm)) / (0.07 * std::sqrt(2.0)), a_norm);
}

// A on the normalised axis (N = 1) for a nonlinearity label; 0 = linear.
double neurosim_a_norm(double nl) {
  const double target = 0.07 * std::sqrt(2.0) * std::abs(nl);
  if (target < 1e-9) return 0.0;
  double lo = std::log(1e-4), hi = std::log(1e6);  // bend falls with A
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (bend(std::exp(mid)) > target ? lo : hi) = mid;
  }
  return std::copysign(std::exp(0.5 * (lo + hi)), nl);
}

namespace {

struct NeurosimLaw {
  int states = 100;
  double nl_ltp = 0, nl_ltd = 0, nl_dtod = 0, c2c_sigma = 0;
};

class Neurosim final : public UpdateModel {
 public:
  Neurosim(UpdateCommon c, NeurosimLaw law)
      : UpdateModel(c),
        law_(law),
        a_ltp_(neurosim_a_norm(law.nl_ltp)),
        a_ltd_(neurosim_a_norm(law.nl_ltd)) {}

  double mean_step(const UpdateDevices& d, std::size_t k, double w, int dir) const override {
    const double lo = d.w_min[k], range = d.w_max[k] - lo;
    if (range <= 0 || d.scale_up[k] == 0.0) return 0.0;  // stuck
    const double a = law_.nl_dtod > 0 ? (dir > 0 ? d.a[k] : d.b[k]) : (dir > 0 ? a_ltp_ : a_ltd_);
    return neurosim_step(std::clamp((w - lo) / range, 0.0, 1.0), a, law_.states, dir) * range;
  }

 protected:
  void draw_law(UpdateDevices& d, const kit::Stream& s) const override {
    if (law_.nl_dtod <= 0) return;
    d.a.resize(d.size());
    d.b.resize(d.size());
    for (std::size_t k = 0; k < d.size(); ++k) {
      const std::uint64_t base = 8 * static_cast<std::uint64_t>(k);
      // NeuroSim's device-to-device spread is of the label; it keeps its sign.
      const auto label = [&](double nl, std::uint64_t j) {
        const double v = nl + law_.nl_dtod * s.normal_at(base + j);
        return nl < 0 ? std::min(v, 0.0) : std::max(v, 0.0);
      };
      d.a[k] = neurosim_a_norm(label(law_.nl_ltp, 4));
      d.b[k] = neurosim_a_norm(label(law_.nl_ltd, 5));
    }
  }

 private:
  NeurosimLaw law_;
  double a_ltp_, a_ltd_;
};

// The common parameters NeuroSim's law sets from its own.
const std::vector<std::string> kDerived = {"dw_min",       "dw_min_dtod", "dw_min_std",
                                           "additive_c2c", "up_down",     "up_down_dtod"};

}  // namespace

void add_neurosim_update(kit::Registry& registry) {
  UpdateCommon def;
  def.w_min = -1.0;
  def.w_max = 1.0;
  def.w_min_dtod = def.w_max_dtod = 0.0;
  auto params = UpdateCommon::params(def, kDerived);
  params.push_back(kit::int_param("states", 100, 2, 1 << 20,
                                  "pulses from the lower to the upper bound (maxNumLevel)"));
  params.push_back(kit::number_param("nl_ltp", 0.0, "",
                                     "nonlinearity label of potentiation (0 = linear)", -9.0, 9.0));
  params.push_back(kit::number_param("nl_ltd", 0.0, "",
                                     "nonlinearity label of depression (NeuroSim prints it "
                                     "negative for the usual curve)",
                                     -9.0, 9.0));
  params.push_back(kit::number_param(
      "nl_dtod", 0.0, "", "device-to-device sigma of both labels (sigmaDtoD)", 0.0, 9.0));
  params.push_back(kit::number_param("c2c_sigma", 0.0, "",
                                     "cycle-to-cycle sigma per pulse, fraction of w_max - w_min "
                                     "(sigmaCtoC)",
                                     0.0, 1.0));
  registry.add_variant<UpdateModel>(
      "update",
      {"neurosim", "NeuroSim's exponential LTP/LTD curves over a fixed number of states", params},
      [def](const kit::Json& j) -> std::unique_ptr<UpdateModel> {
        NeurosimLaw law;
        law.states = j.at("states").get<int>();
        law.nl_ltp = j.at("nl_ltp").get<double>();
        law.nl_ltd = j.at("nl_ltd").get<double>();
        law.nl_dtod = j.at("nl_dtod").get<double>();
        law.c2c_sigma = j.at("c2c_sigma").get<double>();
        UpdateCommon c = def;
        // One pulse is 1/N of the window on a linear device; the noise is
        // the step's multiple that gives c2c_sigma of the window.
        c.dw_min = (j.at("w_max").get<double>() - j.at("w_min").get<double>()) / law.states;
        c.dw_min_dtod = 0.0;
        c.up_down = c.up_down_dtod = 0.0;
        c.additive_c2c = true;
        c.dw_min_std = law.c2c_sigma * law.states;
        return std::make_unique<Neurosim>(UpdateCommon::from_json(j, "update", c), law);
      });
}

}  // namespace xbarsim::arrays
