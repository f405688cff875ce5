#pragma once
// Shift-and-add: recombines the digital results of input bit planes, weight
// slices and signed phases (and, in the architecture layer, the partial sums
// of row splits). The arithmetic is exact (double accumulation); the cost is
// per add of an accumulator of the given width.
//
// Contract: energies in pJ per add, areas in µm² per unit, node in nm.
// Stateless; thread-safe.
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::peripherals {

struct ShiftAddCost {
  double energy_pj = 0;  // per add
  double t_add_ns = 0;   // per add (pipelined behind the ADC)
  double area_um2 = 0;   // per unit (one per ADC)
};

struct ShiftAddSpec {
  int accumulator_bits = 0;      // 0 = as wide as the tile's results need
  double energy_pj_per_bit = 0;  // at 45 nm
  double area_um2 = 0;           // per unit, at 32 nm
  double t_add_ns = 0;

  static std::vector<kit::ParamInfo> params();
  static ShiftAddSpec from_json(const kit::Json& resolved);
};

// The time one conversion holds its ADC and shift-add unit: the add is
// pipelined behind the conversion, so the slower of the two.
inline double conversion_slot_ns(double t_conv_ns, double t_add_ns) {
  return t_conv_ns > t_add_ns ? t_conv_ns : t_add_ns;
}

class ShiftAdd {
 public:
  explicit ShiftAdd(ShiftAddSpec spec) : spec_(spec) {}
  // Cost of one add of a bits-wide accumulator at node_nm.
  ShiftAddCost cost(double node_nm, int bits) const;
  // The accumulator width: configured, or wide enough for the largest sum of
  // adc_bits-wide codes under the group weights (bit planes, phases) and the
  // slice weights, in units of the smallest of each; 32 for analog results
  // (adc_bits 0: single-precision accumulation).
  int width(int adc_bits, const std::vector<double>& group_weights,
            const std::vector<double>& slice_weights) const;
  const ShiftAddSpec& spec() const { return spec_; }

 private:
  ShiftAddSpec spec_;
};

}  // namespace xbarsim::peripherals
