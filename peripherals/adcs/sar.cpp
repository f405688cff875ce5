// Successive-approximation ADC: one conversion per sample period; energy and
// area from the Murmann-survey regression at the configured rate and node.
#include "peripherals/adc.h"
#include "peripherals/adcs/adcs.h"
#include "peripherals/adcs/murmann.h"

namespace xbarsim::peripherals {
namespace {

class SarAdc final : public Adc {
 public:
  using Adc::Adc;
  AdcCost cost(double node_nm) const override {
    const double enob = spec().enob > 0 ? spec().enob : spec().bits;
    AdcCost c;
    c.energy_pj = murmann_energy_pj(enob, spec().f_s_hz);
    c.area_um2 = murmann_area_um2(enob, spec().f_s_hz, node_nm, c.energy_pj);
    c.t_conv_ns = 1e9 / spec().f_s_hz;
    return c;
  }
};

}  // namespace

void add_sar_adc(kit::Registry& registry) {
  auto params = AdcSpec::common_params();
  // Source: ISAAC (Shafiee et al., ISCA 2016) runs its 8-bit SAR ADCs at
  // 1.28 GS/s; 1 GS/s is the regression's usual reference point (MODELS.md).
  params.push_back(kit::positive_param("f_s_hz", 1e9, "Hz", "conversions per second of one ADC"));
  params.push_back(kit::number_param("enob", 0.0, "bits",
                                     "effective bits for the energy model (0 = bits)", 0.0, 20.0));
  registry.add_variant<Adc>(
      "adc", {"sar", "successive approximation; Murmann-survey energy and area", params},
      [](const kit::Json& j) -> std::unique_ptr<Adc> {
        return std::make_unique<SarAdc>(AdcSpec::from_json(j, "adc"));
      });
}

}  // namespace xbarsim::peripherals
