// The chip area in the performance model: every tile of the chip(s) with all
// its crossbars and their periphery, the global buffer and the routers.
#include <cmath>

#include "core/ppa/performance.h"

namespace xbarsim::ppa {

kit::Json Accelerator::area_json(const CostContext& c) const {
  const auto& t = hw_.tile;
  const auto& chip = hw_.chip;
  const double arrays_per_tile = static_cast<double>(t.pes * hw_.pe.arrays);
  const double n_tiles = static_cast<double>(c.chip_tiles);
  const double buf_bits = (t.input_buffer_kb + t.output_buffer_kb) * 8192.0;
  // The crossbars and converters of each tile model's tiles: a layer with
  // its own tile has its arrays and periphery; every other tile of the
  // chip(s), used or spare, is the config's.
  double arrays = 0, dac = 0, adc = 0, shift_add = 0;
  std::size_t own_tiles = 0;
  for (std::size_t k = models_.size(); k-- > 0;) {
    const TileModel& tm = models_[k];
    const TileCosts& tc = c.tiles[k];
    const double tiles =
        k == 0 ? static_cast<double>(c.chip_tiles - own_tiles) : static_cast<double>(tc.tiles_used);
    own_tiles += k == 0 ? 0 : tc.tiles_used;
    const double rows = static_cast<double>(tm.spec.array.rows),
                 cols = static_cast<double>(tm.spec.array.cols);
    const double pitch_um = tm.spec.array.cell_pitch_nm * 1e-3;
    const double adcs_per_array = tm.adc->spec().ideal()
                                      ? 0.0
                                      : std::ceil(cols / tm.adc->spec().share_columns) /
                                            static_cast<double>(tm.polarity * hw_.pe.adc_sharing);
    const double dacs_per_array =
        tm.dac->spec().analog() ? 0.0 : rows / static_cast<double>(tm.polarity);
    arrays += tiles * arrays_per_tile * rows * cols * pitch_um * pitch_um;
    dac += tiles * arrays_per_tile * dacs_per_array * tc.dac.area_um2;
    adc += tiles * arrays_per_tile * adcs_per_array * tc.adc.area_um2;
    shift_add += tiles * arrays_per_tile * adcs_per_array * tc.shift_add.area_um2;
  }
  const TileCosts& base = c.tiles.front();
  // µm² by component.
  kit::Json area = {
      {"arrays", arrays},
      {"dac", dac},
      {"adc", adc},
      {"shift_add", shift_add},
      {"buffer", n_tiles * buf_bits * t.buffer_um2_per_bit * c.a32},
      {"digital", n_tiles * static_cast<double>(t.digital_units) *
                      (base.acc_bits * t.adder_um2_per_bit + t.compare_um2) * c.a40},
      {"global_buffer", c.chips * chip.global_buffer_kb * 8192.0 * chip.gb_um2_per_bit * c.a32},
      {"noc", n_tiles * chip.router_um2 * c.a32}};
  double total_um2 = 0;
  for (const auto& [k, v] : area.items()) total_um2 += v.get<double>();
  for (auto& [k, v] : area.items()) v = v.get<double>() * 1e-6;  // mm²
  area["total"] = total_um2 * 1e-6;
  return area;
}

}  // namespace xbarsim::ppa
