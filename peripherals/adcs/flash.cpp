// Flash ADC: 2^bits - 1 comparators decide in one cycle; energy and area are
// the comparators', scaled from their reference node.
#include <cmath>

#include "core/kit/technology.h"
#include "peripherals/adc.h"
#include "peripherals/adcs/adcs.h"

namespace xbarsim::peripherals {
namespace {

class FlashAdc final : public Adc {
 public:
  FlashAdc(AdcSpec spec, double comparator_pj, double comparator_um2, double ref_nm)
      : Adc(std::move(spec)), e_pj_(comparator_pj), a_um2_(comparator_um2), ref_nm_(ref_nm) {}
  AdcCost cost(double node_nm) const override {
    const double n = std::ldexp(1.0, spec().bits) - 1.0;
    return {n * e_pj_ * kit::energy_scale(ref_nm_, node_nm), 1e9 / spec().f_s_hz,
            n * a_um2_ * kit::area_scale(ref_nm_, node_nm)};
  }

 private:
  double e_pj_, a_um2_, ref_nm_;
};

}  // namespace

void add_flash_adc(kit::Registry& registry) {
  auto params = AdcSpec::common_params();
  params.push_back(kit::positive_param("f_s_hz", 1e9, "Hz", "conversions per second of one ADC"));
  // Source: TIMELY (Li et al., ISCA 2020), Table II: charging comparator
  // 0.0417 pJ per comparison and 40 µm² at 65 nm, 1 ns cycle.
  params.push_back(kit::positive_param("comparator_energy_pj", 0.0417, "pJ",
                                       "per comparator per conversion, at ref_node_nm"));
  params.push_back(
      kit::positive_param("comparator_area_um2", 40.0, "um2", "per comparator, at ref_node_nm"));
  params.push_back(kit::number_param("ref_node_nm", 65.0, "nm", "node of the comparator figures",
                                     kit::kMinNodeNm, kit::kMaxNodeNm));
  registry.add_variant<Adc>(
      "adc", {"flash", "2^bits - 1 comparators in one cycle; comparator energy and area", params},
      [](const kit::Json& j) -> std::unique_ptr<Adc> {
        return std::make_unique<FlashAdc>(
            AdcSpec::from_json(j, "adc"), j.at("comparator_energy_pj").get<double>(),
            j.at("comparator_area_um2").get<double>(), j.at("ref_node_nm").get<double>());
      });
}

}  // namespace xbarsim::peripherals
