// Ramp (single-slope / counting) ADC: a ramp or an oscillator is counted
// until it crosses the column signal, 2^bits steps per conversion; energy
// per step, scaled from its reference node.
#include <cmath>

#include "core/kit/technology.h"
#include "peripherals/adc.h"
#include "peripherals/adcs/adcs.h"

namespace xbarsim::peripherals {
namespace {

class RampAdc final : public Adc {
 public:
  RampAdc(AdcSpec spec, double step_pj, double step_ns, double area_um2, double ref_nm)
      : Adc(std::move(spec)),
        step_pj_(step_pj),
        step_ns_(step_ns),
        area_(area_um2),
        ref_nm_(ref_nm) {}
  AdcCost cost(double node_nm) const override {
    const double steps = std::ldexp(1.0, spec().bits);
    return {steps * step_pj_ * kit::energy_scale(ref_nm_, node_nm), steps * step_ns_,
            area_ * kit::area_scale(ref_nm_, node_nm)};
  }

 private:
  double step_pj_, step_ns_, area_, ref_nm_;
};

}  // namespace

void add_ramp_adc(kit::Registry& registry) {
  auto params = AdcSpec::common_params();
  // Source: NeuRRAM (Wan et al., Nature 2022): the neuron's integrate-and-
  // count ADC, 0.3 pJ per step and 400 µm² at 130 nm (as tabulated in
  // Accelergy's component library for NeuRRAM).
  params.push_back(
      kit::positive_param("step_energy_pj", 0.3, "pJ", "per ramp step, at ref_node_nm"));
  params.push_back(kit::positive_param("area_um2", 400.0, "um2", "per ADC, at ref_node_nm"));
  params.push_back(kit::number_param("ref_node_nm", 130.0, "nm", "node of the figures above",
                                     kit::kMinNodeNm, kit::kMaxNodeNm));
  // Source: HERMES core (Khaddam-Aljameh et al., IEEE JSSC 2022): the
  // column ADC counts a current-controlled oscillator at 300 ps per LSB.
  params.push_back(kit::positive_param("t_step_ns", 0.3, "ns", "duration of one ramp step"));
  registry.add_variant<Adc>(
      "adc", {"ramp", "single-slope / counting: 2^bits steps per conversion", params},
      [](const kit::Json& j) -> std::unique_ptr<Adc> {
        return std::make_unique<RampAdc>(
            AdcSpec::from_json(j, "adc"), j.at("step_energy_pj").get<double>(),
            j.at("t_step_ns").get<double>(), j.at("area_um2").get<double>(),
            j.at("ref_node_nm").get<double>());
      });
}

}  // namespace xbarsim::peripherals
