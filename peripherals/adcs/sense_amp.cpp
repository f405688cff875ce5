// Sense amplifier: a 1-bit converter (comparator against zero difference
// current); per-node power from NeuroSim's current-mode sense amplifier.
#include <array>
#include <cmath>

#include "core/kit/error.h"
#include "core/kit/technology.h"
#include "peripherals/adc.h"
#include "peripherals/adcs/adcs.h"

namespace xbarsim::peripherals {
namespace {

struct NodePower {
  double nm, uw;
};
// Source: DNN+NeuroSim V1.4, CurrentSenseAmp GetColumnPower: bias power per
// sense amplifier by node (HP roadmap, V_read normalised to 0.5 V), the
// constant term P0 of P0 + a·exp(-b·log10 R_col), i.e. a high-resistance column.
constexpr std::array<NodePower, 9> kPower = {{{7, 0.5},
                                              {10, 0.8},
                                              {14, 1.2},
                                              {22, 1.89},
                                              {32, 3.96},
                                              {45, 7.70},
                                              {65, 9.96},
                                              {90, 13.1},
                                              {130, 19.9}}};

double power_uw(double nm) {
  if (nm <= kPower.front().nm) return kPower.front().uw;
  if (nm >= kPower.back().nm) return kPower.back().uw;
  std::size_t k = 1;
  while (kPower[k].nm < nm) ++k;
  const double t = (std::log(nm) - std::log(kPower[k - 1].nm)) /
                   (std::log(kPower[k].nm) - std::log(kPower[k - 1].nm));
  return std::exp(std::log(kPower[k - 1].uw) +
                  t * (std::log(kPower[k].uw) - std::log(kPower[k - 1].uw)));
}

class SenseAmpAdc final : public Adc {
 public:
  SenseAmpAdc(AdcSpec spec, double t_sense_ns, double area_um2, double ref_nm)
      : Adc(std::move(spec)), t_ns_(t_sense_ns), area_(area_um2), ref_nm_(ref_nm) {}
  AdcCost cost(double node_nm) const override {
    // Bias power over the sensing time (µW·ns = 1e-3 pJ).
    return {power_uw(node_nm) * t_ns_ * 1e-3, t_ns_, area_ * kit::area_scale(ref_nm_, node_nm)};
  }

 private:
  double t_ns_, area_, ref_nm_;
};

}  // namespace

void add_sense_amp_adc(kit::Registry& registry) {
  auto params = AdcSpec::common_params();
  params.front() = kit::int_param("bits", 1, 1, 1, "a sense amplifier resolves one bit");
  // Source: DNN+NeuroSim V1.4, CurrentSenseAmp GetColumnLatency: 1 ns
  // (HP roadmap, and any node at or below 22 nm).
  params.push_back(kit::positive_param("t_sense_ns", 1.0, "ns", "sensing time per decision"));
  // Source: MNSIM 2.0 (Hardware_Model/ADC.py, sense amplifier entry): 1 µm² at 28 nm.
  params.push_back(
      kit::positive_param("area_um2", 1.0, "um2", "per sense amplifier, at ref_node_nm"));
  params.push_back(kit::number_param("ref_node_nm", 28.0, "nm", "node of the area figure",
                                     kit::kMinNodeNm, kit::kMaxNodeNm));
  registry.add_variant<Adc>(
      "adc", {"sense_amp", "1-bit current sense amplifier (comparator)", params},
      [](const kit::Json& j) -> std::unique_ptr<Adc> {
        return std::make_unique<SenseAmpAdc>(
            AdcSpec::from_json(j, "adc"), j.at("t_sense_ns").get<double>(),
            j.at("area_um2").get<double>(), j.at("ref_node_nm").get<double>());
      });
}

}  // namespace xbarsim::peripherals
