// The chip area in the performance model: every tile of the chip(s) with all
// its crossbars and their periphery, the global buffer and the routers.
#include <cmath>

#include "core/ppa/performance.h"

namespace xbarsim::ppa {

kit::Json Accelerator::area_json(const CostContext& c) const {
  const auto& t = hw_.tile;
  const auto& chip = hw_.chip;
  const double rows = static_cast<double>(tile_.array.rows),
               cols = static_cast<double>(tile_.array.cols);
  const double pitch_um = tile_.array.cell_pitch_nm * 1e-3;
  const double arrays_per_tile = static_cast<double>(t.pes * hw_.pe.arrays);
  const double adcs_per_array = adc_->spec().ideal()
                                    ? 0.0
                                    : std::ceil(cols / adc_->spec().share_columns) /
                                          static_cast<double>(polarity_ * hw_.pe.adc_sharing);
  const double dacs_per_array = dac_->spec().analog() ? 0.0 : rows / static_cast<double>(polarity_);
  const double n_tiles = static_cast<double>(c.chip_tiles);
  const double buf_bits = (t.input_buffer_kb + t.output_buffer_kb) * 8192.0;
  // µm² by component.
  kit::Json area = {
      {"arrays", n_tiles * arrays_per_tile * rows * cols * pitch_um * pitch_um},
      {"dac", n_tiles * arrays_per_tile * dacs_per_array * c.dac.area_um2},
      {"adc", n_tiles * arrays_per_tile * adcs_per_array * c.adc.area_um2},
      {"shift_add", n_tiles * arrays_per_tile * adcs_per_array * c.shift_add.area_um2},
      {"buffer", n_tiles * buf_bits * t.buffer_um2_per_bit * c.a32},
      {"digital", n_tiles * static_cast<double>(t.digital_units) *
                      (c.acc_bits * t.adder_um2_per_bit + t.compare_um2) * c.a40},
      {"global_buffer", c.chips * chip.global_buffer_kb * 8192.0 * chip.gb_um2_per_bit * c.a32},
      {"noc", n_tiles * chip.router_um2 * c.a32}};
  double total_um2 = 0;
  for (const auto& [k, v] : area.items()) total_um2 += v.get<double>();
  for (auto& [k, v] : area.items()) v = v.get<double>() * 1e-6;  // mm²
  area["total"] = total_um2 * 1e-6;
  return area;
}

}  // namespace xbarsim::ppa
