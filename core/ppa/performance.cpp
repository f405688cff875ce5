#include "core/ppa/performance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "arrays/device.h"
#include "core/kit/error.h"
#include "core/kit/technology.h"
#include "core/nn/layer_blocks.h"

namespace xbarsim::ppa {
namespace {

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// Energy of one layer by component (pJ per inference).
struct LayerEnergy {
  double array = 0, dac = 0, adc = 0, shift_add = 0, adder_tree = 0, digital = 0, buffer = 0,
         global_buffer = 0, noc = 0;
  double total() const {
    return array + dac + adc + shift_add + adder_tree + digital + buffer + global_buffer + noc;
  }
  void add(const LayerEnergy& o) {
    array += o.array;
    dac += o.dac;
    adc += o.adc;
    shift_add += o.shift_add;
    adder_tree += o.adder_tree;
    digital += o.digital;
    buffer += o.buffer;
    global_buffer += o.global_buffer;
    noc += o.noc;
  }
  kit::Json to_json() const {
    return {{"array", array},
            {"dac", dac},
            {"adc", adc},
            {"shift_add", shift_add},
            {"adder_tree", adder_tree},
            {"digital", digital},
            {"buffer", buffer},
            {"global_buffer", global_buffer},
            {"noc", noc},
            {"total", total()}};
  }
};

}  // namespace

Accelerator::Accelerator(tile::TileSpec tile, HardwareSpec hw, const kit::Registry& registry)
    : tile_(std::move(tile)),
      hw_(std::move(hw)),
      dac_(registry.build<peripherals::Dac>("dac", tile_.dac)),
      adc_(registry.build<peripherals::Adc>("adc", tile_.adc)),
      shift_add_(std::make_unique<peripherals::ShiftAdd>(
          peripherals::ShiftAddSpec::from_json(tile_.shift_add))) {
  const auto device = registry.build<arrays::Device>("device", tile_.device);
  g_min_us_ = device->common().g_min_us;
  g_max_us_ = device->common().g_max_us;
  const arrays::Mapping mapping(tile_.mapping, g_min_us_, g_max_us_, device->common().levels);
  slices_ = mapping.slices();
  slice_weights_ = mapping.slice_weights();
  // Differential: G+ and G- on a crossbar each. Offset: one crossbar whose
  // last column is the reference.
  polarity_ = mapping.differential() ? 2 : 1;
  data_cols_ = tile_.weight_cols();
  if (data_cols_ == 0) {
    throw kit::ConfigError("array.cols",
                           "the offset mapping needs at least 2 columns "
                           "(data and the reference)");
  }
}

int Accelerator::accumulator_bits() const {
  return shift_add_->width(adc_->spec().ideal() ? 0 : adc_->spec().bits, dac_->group_weights(true),
                           slice_weights_);
}

int Accelerator::activation_bits() const { return dac_->spec().analog() ? 8 : dac_->spec().bits; }

double Accelerator::vector_ns() const {
  const auto adc = adc_->cost(tile_.node_nm);
  const double share = adc_->spec().ideal() ? 0.0
                                            : static_cast<double>(adc_->spec().share_columns) *
                                                  static_cast<double>(hw_.pe.adc_sharing);
  return dac_->read_ns(tile_.array.t_read_ns) +
         static_cast<double>(dac_->conversions()) * share * adc.t_conv_ns;
}

std::size_t Accelerator::tiles_for(std::size_t arrays) const {
  return ceil_div(ceil_div(arrays, hw_.pe.arrays), hw_.tile.pes);
}

tile::Actions Accelerator::group_actions(std::size_t vectors, std::size_t rows,
                                         std::size_t cols) const {
  tile::GroupShape g;
  g.rows = rows;
  g.cols = cols;
  g.slices = static_cast<std::uint64_t>(slices_);
  g.polarity = polarity_;
  g.cycles = static_cast<std::uint64_t>(dac_->cycles());
  g.groups = static_cast<std::uint64_t>(dac_->conversions());
  g.dac_bits = dac_->spec().analog() ? 0 : dac_->spec().bits;
  g.adc_bits = adc_->spec().ideal() ? 0 : adc_->spec().bits;
  g.accumulator_bits = accumulator_bits();
  return tile::count_actions(g, static_cast<std::uint64_t>(vectors));
}

std::vector<LayerMap> Accelerator::map(const nn::Network& net) const {
  const std::size_t arows = tile_.array.rows;
  std::vector<LayerMap> maps;
  std::size_t used = 0;
  for (const auto idx : net.matrix_layers()) {
    const nn::Layer& l = net.layers[idx];
    LayerMap m;
    m.layer = idx;
    const nn::BlockPlan plan = nn::block_plan(l.rows(), l.cols(), arows, data_cols_);
    m.row_splits = plan.rows.size();
    m.col_splits = plan.cols.size();
    m.arrays = m.row_splits * m.col_splits * static_cast<std::size_t>(slices_) * polarity_;
    m.tiles = tiles_for(m.arrays);
    m.utilization = static_cast<double>(l.rows() * l.cols() * polarity_) *
                    static_cast<double>(slices_) /
                    (static_cast<double>(m.arrays) * static_cast<double>(arows * tile_.array.cols));
    used += m.tiles;
    maps.push_back(m);
  }
  const std::size_t chip = hw_.chip.tiles;
  if (used > chip && !hw_.chip.multiple_chips) {
    throw kit::InputError(fmt::format(
        "network \"{}\" needs {} tiles of {} crossbars of {}x{}, the chip has {} (chip.tiles); "
        "raise chip.tiles, tile.pes, pe.arrays or the array size, or set chip.multiple_chips",
        net.name, used, hw_.tile.pes * hw_.pe.arrays, arows, tile_.array.cols, chip));
  }
  if (hw_.chip.replication == "auto" && used < chip) {
    // Copy the slowest stage while spare tiles allow (the throughput of a
    // pipeline is that of its slowest stage).
    std::size_t spare = chip - used;
    for (;;) {
      auto slowest = maps.end();
      double worst = -1;
      for (auto it = maps.begin(); it != maps.end(); ++it) {
        const double t = std::ceil(static_cast<double>(net.layers[it->layer].vectors()) /
                                   static_cast<double>(it->replicas));
        if (t > worst) {
          worst = t;
          slowest = it;
        }
      }
      const std::size_t extra = tiles_for(slowest->arrays * (slowest->replicas + 1)) -
                                tiles_for(slowest->arrays * slowest->replicas);
      if (worst <= 1 || extra > spare) break;
      spare -= extra;
      ++slowest->replicas;
      slowest->tiles = tiles_for(slowest->arrays * slowest->replicas);
    }
  }
  return maps;
}

kit::Json Accelerator::estimate(const nn::Network& net) const {
  const auto maps = map(net);
  const double node = tile_.node_nm;
  const auto& t = hw_.tile;
  const auto& c = hw_.chip;
  const double e45 = kit::energy_scale(45, node), e40 = kit::energy_scale(40, node),
               e32 = kit::energy_scale(32, node);
  const double a40 = kit::area_scale(40, node), a32 = kit::area_scale(32, node);
  const auto dac = dac_->cost(node);
  const auto adc = adc_->cost(node);
  const int acc_bits = accumulator_bits(), act_bits = activation_bits();
  const auto sa = shift_add_->cost(node, acc_bits);
  const double v_read = tile_.array.v_read_v;
  const double g_avg = g_min_us_ + c.conductance_fraction * (g_max_us_ - g_min_us_);
  const auto& ds = dac_->spec();
  // Time a driven row is at v_read per read cycle (ns) and the mean
  // "activity" weight: v² per read, or |v|·(longest pulse) for pulse widths.
  const double t_on =
      ds.impl == "pwm" ? static_cast<double>(ds.levels()) * ds.t_lsb_ns : tile_.array.t_read_ns;
  std::size_t total_tiles = 0;
  for (const auto& m : maps) total_tiles += m.tiles;
  const double chips = std::ceil(static_cast<double>(total_tiles) / static_cast<double>(c.tiles));
  const std::size_t chip_tiles = static_cast<std::size_t>(chips) * c.tiles;
  const double hops =
      c.interconnect == "htree"
          ? std::ceil(std::log2(static_cast<double>(std::max<std::size_t>(chip_tiles, 2))))
          : std::max(1.0, std::round(2.0 * std::sqrt(static_cast<double>(chip_tiles)) / 3.0));

  kit::Json layers = kit::Json::array();
  LayerEnergy total;
  tile::Actions counts;
  double latency = 0, interval = 0, macs = 0, macs_padded = 0;
  std::size_t map_k = 0;
  for (std::size_t idx = 0; idx < net.layers.size(); ++idx) {
    const nn::Layer& l = net.layers[idx];
    LayerEnergy e;
    double lat = 0;
    const double out_el = static_cast<double>(l.out_elements());
    // Digital work of the non-matrix layers (and bias adds) on the tile's lanes.
    double digital_ops = 0;
    switch (l.kind) {
      case nn::LayerKind::kActivation:
        e.digital =
            out_el * t.compare_pj * e40;  // ReLU: a compare; others: a lookup of similar cost
        digital_ops = out_el;
        break;
      case nn::LayerKind::kMaxPool:
        e.digital = out_el * static_cast<double>(l.kernel * l.kernel - 1) * t.compare_pj * e40;
        digital_ops = out_el * static_cast<double>(l.kernel * l.kernel);
        break;
      case nn::LayerKind::kAvgPool:
      case nn::LayerKind::kAdd:
        digital_ops =
            out_el *
            (l.kind == nn::LayerKind::kAdd ? 1.0 : static_cast<double>(l.kernel * l.kernel));
        e.digital = digital_ops * act_bits * t.adder_pj_per_bit * e45;
        break;
      default:
        break;
    }
    kit::Json lj = {{"name", l.name}, {"type", l.type}, {"out_shape", l.out_shape}};
    if (l.matrix()) {
      const LayerMap& m = maps[map_k++];
      const std::size_t rows = l.rows(), cols = l.cols(), vec = l.vectors();
      tile::Actions a;
      for (std::size_t i = 0; i < m.row_splits; ++i) {
        const std::size_t ri = std::min(tile_.array.rows, rows - i * tile_.array.rows);
        for (std::size_t j = 0; j < m.col_splits; ++j) {
          const std::size_t cj = std::min(data_cols_, cols - j * data_cols_);
          a.add(group_actions(vec, ri, cj));
          // Array: Σ V²·G·t over the driven rows' cells (µS·V²·ns = 1e-3 pJ).
          e.array += static_cast<double>(vec * dac_->cycles() * polarity_) *
                     static_cast<double>(slices_) * static_cast<double>(ri) * c.input_activity *
                     static_cast<double>(cj) * g_avg * v_read * v_read * t_on * 1e-3;
        }
      }
      a.dac_pulses =
          static_cast<std::uint64_t>(static_cast<double>(a.dac_conversions) * c.input_activity);
      e.dac = static_cast<double>(a.dac_conversions) * dac.energy_pj;
      const auto shape = dac_->conversion_shape();
      e.adc = static_cast<double>(a.adc_conversions) *
              adc_->conversion_pj(node, shape.planes, shape.steps);
      e.shift_add = static_cast<double>(a.shift_adds) * sa.energy_pj;
      // Partial sums of the row splits, then the bias.
      const double tree_adds =
          static_cast<double>(vec * cols * (m.row_splits - 1) + (l.bias ? vec * cols : 0));
      e.adder_tree = tree_adds * acc_bits * t.adder_pj_per_bit * e45;
      digital_ops = tree_adds;
      // Tile buffers: inputs read by every column split, outputs written once.
      const double in_bits =
          static_cast<double>(a.bits_in > 0 ? a.bits_in : vec * rows * m.col_splits * 8);
      const double out_bits = static_cast<double>(vec * cols) * acc_bits;
      e.buffer = (in_bits + out_bits) * t.buffer_pj_per_bit * e45;
      counts.add(a);
      const double compute =
          std::ceil(static_cast<double>(vec) / static_cast<double>(m.replicas)) * vector_ns();
      lat = compute;
      macs += l.macs();
      macs_padded += l.macs_padded();
      lj.update({{"rows", rows},
                 {"cols", cols},
                 {"vectors", vec},
                 {"row_splits", m.row_splits},
                 {"col_splits", m.col_splits},
                 {"arrays", m.arrays * m.replicas},
                 {"tiles", m.tiles},
                 {"replicas", m.replicas},
                 {"utilization", m.utilization},
                 {"macs", l.macs()},
                 {"macs_padded", l.macs_padded()},
                 {"counts", a.to_json().at("counts")}});
    }
    // Feature maps: a matrix layer reads its input from the global buffer over
    // the network and writes its output back; elementwise and pooling layers
    // run in the producing tile's digital units on the way out, and a
    // residual add fetches its second operand.
    double fm_bits = 0;
    if (l.matrix()) {
      fm_bits = static_cast<double>(l.in_elements() + l.out_elements()) * act_bits;
    } else if (l.kind == nn::LayerKind::kAdd) {
      fm_bits = static_cast<double>(l.in_elements()) * act_bits;
    }
    e.global_buffer = fm_bits * c.gb_pj_per_bit * e32;
    e.noc = fm_bits * hops * c.noc_pj_per_bit_hop * e32;
    const double transfer = fm_bits > 0 ? (fm_bits / c.link_bits + hops) * c.hop_ns : 0.0;
    const double digital = digital_ops / static_cast<double>(t.digital_units);  // 1 GHz lanes
    lat = std::max({lat, transfer, digital});
    lj["energy_pj"] = e.to_json();
    lj["latency_ns"] = lat;
    layers.push_back(lj);
    total.add(e);
    latency += lat;
    interval = c.schedule == "pipelined" ? std::max(interval, lat) : interval + lat;
  }

  // Area (µm²): every tile of the chip(s), with all its crossbars and their periphery.
  const double rows = static_cast<double>(tile_.array.rows),
               cols = static_cast<double>(tile_.array.cols);
  const double pitch_um = tile_.array.cell_pitch_nm * 1e-3;
  const double arrays_per_tile = static_cast<double>(t.pes * hw_.pe.arrays);
  const double adcs_per_array = adc_->spec().ideal()
                                    ? 0.0
                                    : std::ceil(cols / adc_->spec().share_columns) /
                                          static_cast<double>(polarity_ * hw_.pe.adc_sharing);
  const double dacs_per_array = dac_->spec().analog() ? 0.0 : rows / static_cast<double>(polarity_);
  const double n_tiles = static_cast<double>(chip_tiles);
  const double buf_bits = (t.input_buffer_kb + t.output_buffer_kb) * 8192.0;
  kit::Json area = {{"arrays", n_tiles * arrays_per_tile * rows * cols * pitch_um * pitch_um},
                    {"dac", n_tiles * arrays_per_tile * dacs_per_array * dac.area_um2},
                    {"adc", n_tiles * arrays_per_tile * adcs_per_array * adc.area_um2},
                    {"shift_add", n_tiles * arrays_per_tile * adcs_per_array * sa.area_um2},
                    {"buffer", n_tiles * buf_bits * t.buffer_um2_per_bit * a32},
                    {"digital", n_tiles * static_cast<double>(t.digital_units) *
                                    (acc_bits * t.adder_um2_per_bit + t.compare_um2) * a40},
                    {"global_buffer", chips * c.global_buffer_kb * 8192.0 * c.gb_um2_per_bit * a32},
                    {"noc", n_tiles * c.router_um2 * a32}};
  double area_um2 = 0;
  for (const auto& [k, v] : area.items()) area_um2 += v.get<double>();
  for (auto& [k, v] : area.items()) v = v.get<double>() * 1e-6;  // mm²
  area["total"] = area_um2 * 1e-6;

  // Leakage of every buffer on the chip(s) over one inference interval (mW·ns = pJ).
  const double buffer_kb =
      n_tiles * (t.input_buffer_kb + t.output_buffer_kb) + chips * c.global_buffer_kb;
  const double leakage_pj = buffer_kb * c.leakage_mw_per_kb * e32 * interval;
  kit::Json energy = total.to_json();
  energy["leakage"] = leakage_pj;
  energy["total"] = total.total() + leakage_pj;
  const double e_pj = total.total() + leakage_pj;
  const double ops = 2.0 * macs;
  const double tops = interval > 0 ? ops / interval * 1e-3 : 0.0;  // 1 op/ns = 1e-3 TOPS
  kit::Json totals = {{"energy_pj", energy},
                      {"latency_ns", latency},
                      {"interval_ns", interval},
                      {"inferences_per_s", interval > 0 ? 1e9 / interval : 0.0},
                      {"macs", macs},
                      {"macs_padded", macs_padded},
                      {"tops", tops},
                      {"tops_per_w", e_pj > 0 ? ops / e_pj : 0.0},  // ops per pJ = TOPS/W
                      {"tops_per_mm2", area_um2 > 0 ? tops / (area_um2 * 1e-6) : 0.0},
                      {"area_mm2", area},
                      {"tiles_used", total_tiles},
                      {"tiles", chip_tiles},
                      {"chips", chips},
                      {"counts", counts.to_json().at("counts")}};
  return {{"network", net.name},
          {"layers", layers},
          {"totals", totals},
          {"notes",
           {{"ops", fmt::format("TOPS and TOPS/W count 2 ops per multiply-accumulate with a real "
                                "input operand ({:.4g} MACs); the crossbars also multiply {:.4g} "
                                "padded zeros ({:.1f}% more), which are not counted",
                                macs, macs_padded - macs,
                                macs > 0 ? 100.0 * (macs_padded / macs - 1.0) : 0.0)},
            {"array_energy",
             fmt::format("static estimate: each driven row carries mean v² = {} of v_read² "
                         "(chip.input_activity) and each cell G = g_min + {}·(g_max - g_min) "
                         "(chip.conductance_fraction)",
                         c.input_activity, c.conductance_fraction)},
            {"latency",
             "per layer: vectors / replicas × (DAC read cycles × (read time + shared "
             "conversions)), overlapped with its feature-map transfer and digital work (the "
             "longest counts); pipelined interval = slowest layer, layer_by_layer = sum"}}}};
}

}  // namespace xbarsim::ppa
