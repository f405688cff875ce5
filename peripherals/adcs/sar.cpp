// Successive-approximation ADC: one conversion per sample period; energy and
// area from the Murmann-survey regression at the configured rate and node.
#include "core/kit/error.h"
#include "peripherals/adc.h"
#include "peripherals/adcs/adcs.h"
#include "peripherals/adcs/murmann.h"

namespace xbarsim::peripherals {
namespace {

class SarAdc final : public Adc {
 public:
  SarAdc(AdcSpec spec, bool fit2024) : Adc(std::move(spec)), fit2024_(fit2024) {}
  AdcCost cost(double node_nm) const override {
    const double enob = spec().enob > 0 ? spec().enob : spec().bits;
    const double f_s = spec().f_s_hz;
    AdcCost c;
    if (fit2024_) {
      c.energy_pj = murmann2024_energy_pj(enob, f_s, node_nm);
      c.area_um2 = murmann2024_area_um2(f_s, node_nm, c.energy_pj);
    } else {
      c.energy_pj = murmann_energy_pj(enob, f_s);
      c.area_um2 = murmann_area_um2(enob, f_s, node_nm, c.energy_pj);
    }
    c.t_conv_ns = 1e9 / f_s;
    return c;
  }

 private:
  bool fit2024_;
};

}  // namespace

void add_sar_adc(kit::Registry& registry) {
  auto params = AdcSpec::common_params();
  // Source: ISAAC (Shafiee et al., ISCA 2016) runs its 8-bit SAR ADCs at
  // 1.28 GS/s; 1 GS/s is the regression's usual reference point (docs/models.md,
  // "Peripherals").
  params.push_back(kit::positive_param("f_s_hz", 1e9, "Hz", "conversions per second of one ADC"));
  params.push_back(kit::number_param("enob", 0.0, "bits",
                                     "effective bits for the energy model (0 = bits)", 0.0, 20.0));
  // The 2022 fit is a Schreier-FOM bound (best designs, node-free energy:
  // about 0.04 pJ at 6 bits, 1 GS/s); the 2024 refit adds the node and is
  // several times higher at low resolution.
  params.push_back(kit::choice_param("fit", "murmann2022", {"murmann2022", "murmann2024"},
                                     "Murmann-survey regression: the 2022 fit in docs/models.md, "
                                     "or the 2024 refit (bits >= 4)"));
  registry.add_variant<Adc>(
      "adc", {"sar", "successive approximation; Murmann-survey energy and area", params},
      [](const kit::Json& j) -> std::unique_ptr<Adc> {
        const bool fit2024 = j.at("fit").get<std::string>() == "murmann2024";
        auto spec = AdcSpec::from_json(j, "adc");
        const double enob = spec.enob > 0 ? spec.enob : spec.bits;
        if (fit2024 && enob < 4) {
          throw kit::ConfigError("adc.fit",
                                 "the 2024 fit covers 4 bits and more; use \"murmann2022\"");
        }
        return std::make_unique<SarAdc>(std::move(spec), fit2024);
      });
}

}  // namespace xbarsim::peripherals
