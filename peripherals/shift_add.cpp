#include "peripherals/shift_add.h"

#include <algorithm>
#include <cmath>

#include "core/kit/technology.h"

namespace xbarsim::peripherals {

std::vector<kit::ParamInfo> ShiftAddSpec::params() {
  using namespace kit;
  return {
      int_param("accumulator_bits", 0, 0, 64,
                "accumulator width; 0 = as wide as the tile's results need"),
      // Source: Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm:
      // 32-bit integer add 0.1 pJ (8-bit 0.03 pJ) -> 0.1/32 pJ per bit.
      number_param("energy_pj_per_bit", 0.1 / 32.0, "pJ", "per accumulator bit per add, at 45 nm",
                   0.0),
      // Source: ISAAC (Shafiee et al., ISCA 2016): shift-and-add unit
      // 0.05 mW and 60 µm² at 32 nm.
      number_param("area_um2", 60.0, "um2", "per unit (one per ADC), at 32 nm", 0.0),
      // Assumption: one add per 1 GHz digital cycle, pipelined behind the ADC.
      number_param("t_add_ns", 1.0, "ns",
                   "per add; pipelined behind the ADC, so it sets a conversion's time only "
                   "where it is longer than the ADC's",
                   0.0),
  };
}

ShiftAddSpec ShiftAddSpec::from_json(const kit::Json& j) {
  ShiftAddSpec s;
  s.accumulator_bits = j.at("accumulator_bits").get<int>();
  s.energy_pj_per_bit = j.at("energy_pj_per_bit").get<double>();
  s.area_um2 = j.at("area_um2").get<double>();
  s.t_add_ns = j.at("t_add_ns").get<double>();
  return s;
}

int ShiftAdd::width(int adc_bits, const std::vector<double>& group_weights,
                    const std::vector<double>& slice_weights) const {
  if (spec_.accumulator_bits > 0) return spec_.accumulator_bits;
  if (adc_bits == 0) return 32;
  auto span = [](const std::vector<double>& w) {
    double sum = 0, low = std::abs(w.front());
    for (const double v : w) {
      sum += std::abs(v);
      low = std::min(low, std::abs(v));
    }
    return sum / low;
  };
  return adc_bits +
         static_cast<int>(std::ceil(std::log2(span(group_weights) * span(slice_weights)) - 1e-9));
}

ShiftAddCost ShiftAdd::cost(double node_nm, int bits) const {
  return {spec_.energy_pj_per_bit * bits * kit::energy_scale(45.0, node_nm), spec_.t_add_ns,
          spec_.area_um2 * kit::area_scale(32.0, node_nm)};
}

}  // namespace xbarsim::peripherals
