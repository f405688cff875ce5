// The chip area in the performance model: every tile of the chip(s) with all
// its crossbars and their periphery, the global buffer and the routers; a
// layer's area is its tiles'.
#include <cmath>

#include "core/ppa/performance.h"

namespace xbarsim::ppa {

TileArea Accelerator::tile_area(std::size_t model, const CostContext& c) const {
  const auto& t = hw_.tile;
  const TileModel& tm = models_[model];
  const TileCosts& tc = c.tiles[model];
  const double arrays = static_cast<double>(t.pes * hw_.pe.arrays);
  const double rows = static_cast<double>(tm.spec.array.rows),
               cols = static_cast<double>(tm.spec.array.cols);
  const double pitch_um = tm.spec.array.cell_pitch_nm * 1e-3;
  const double adcs_per_array = tm.adc->spec().ideal()
                                    ? 0.0
                                    : std::ceil(cols / tm.adc->spec().share_columns) /
                                          static_cast<double>(tm.polarity * hw_.pe.adc_sharing);
  const double dacs_per_array =
      tm.dac->spec().analog() ? 0.0 : rows / static_cast<double>(tm.polarity);
  // The buffers, digital lanes and router are the chip's (the config's tile).
  const TileCosts& base = c.tiles.front();
  const double buf_bits = (t.input_buffer_kb + t.output_buffer_kb) * 8192.0;
  TileArea a;
  a.arrays = arrays * rows * cols * pitch_um * pitch_um;
  a.dac = arrays * dacs_per_array * tc.dac.area_um2;
  a.adc = arrays * adcs_per_array * tc.adc.area_um2;
  a.shift_add = arrays * adcs_per_array * tc.shift_add.area_um2;
  a.buffer = buf_bits * t.buffer_um2_per_bit * c.a32;
  a.digital = static_cast<double>(t.digital_units) *
              (base.acc_bits * t.adder_um2_per_bit + t.compare_um2) * c.a40;
  a.noc = hw_.chip.router_um2 * c.a32;
  return a;
}

double TileArea::total() const { return arrays + dac + adc + shift_add + buffer + digital + noc; }

kit::Json Accelerator::area_json(const CostContext& c) const {
  const auto& chip = hw_.chip;
  // Each tile model's tiles: a layer with its own tile has its arrays and
  // periphery; every other tile of the chip(s), used or spare, is the config's.
  TileArea sum;
  std::size_t own_tiles = 0;
  for (std::size_t k = 1; k < models_.size(); ++k) own_tiles += c.tiles[k].tiles_used;
  for (std::size_t k = 0; k < models_.size(); ++k) {
    const double tiles =
        static_cast<double>(k == 0 ? c.chip_tiles - own_tiles : c.tiles[k].tiles_used);
    const TileArea a = tile_area(k, c);
    sum.arrays += tiles * a.arrays;
    sum.dac += tiles * a.dac;
    sum.adc += tiles * a.adc;
    sum.shift_add += tiles * a.shift_add;
    sum.buffer += tiles * a.buffer;
    sum.digital += tiles * a.digital;
    sum.noc += tiles * a.noc;
  }
  // µm² by component.
  kit::Json area = {
      {"arrays", sum.arrays},
      {"dac", sum.dac},
      {"adc", sum.adc},
      {"shift_add", sum.shift_add},
      {"buffer", sum.buffer},
      {"digital", sum.digital},
      {"global_buffer", c.chips * chip.global_buffer_kb * 8192.0 * chip.gb_um2_per_bit * c.a32},
      {"noc", sum.noc}};
  if (!snn_.empty()) area["neurons"] = snn_neurons_ * neuron_cost_.area_um2;
  double total_um2 = 0;
  for (const auto& [k, v] : area.items()) total_um2 += v.get<double>();
  for (auto& [k, v] : area.items()) v = v.get<double>() * 1e-6;  // mm²
  area["total"] = total_um2 * 1e-6;
  return area;
}

}  // namespace xbarsim::ppa
