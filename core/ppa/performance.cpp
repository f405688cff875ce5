#include "core/ppa/performance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <queue>
#include <stdexcept>

#include "arrays/device.h"
#include "core/kit/error.h"
#include "core/kit/technology.h"
#include "core/nn/layer_blocks.h"

namespace xbarsim::ppa {
namespace {

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

}  // namespace

TileModel::TileModel(tile::TileSpec tile, const kit::Registry& registry)
    : spec(std::move(tile)),
      dac(registry.build<peripherals::Dac>("dac", spec.dac)),
      adc(registry.build<peripherals::Adc>("adc", spec.adc)),
      shift_add(std::make_unique<peripherals::ShiftAdd>(
          peripherals::ShiftAddSpec::from_json(spec.shift_add))) {
  const auto device = registry.build<arrays::Device>("device", spec.device);
  g_min_us = device->common().g_min_us;
  g_max_us = device->common().g_max_us;
  const arrays::Mapping mapping(spec.mapping, g_min_us, g_max_us, device->common().levels);
  slices = mapping.slices();
  slice_weights = mapping.slice_weights();
  // Differential: G+ and G- on a crossbar each. Offset: one crossbar whose
  // last column is the reference.
  polarity = mapping.differential() ? 2 : 1;
  data_cols = spec.weight_cols();
  if (data_cols == 0) {
    throw kit::ConfigError("array.cols",
                           "the offset mapping needs at least 2 columns "
                           "(data and the reference)");
  }
  acc_bits_ = shift_add->width(adc->spec().ideal() ? 0 : adc->spec().bits, dac->group_weights(true),
                               slice_weights);
}

int TileModel::activation_bits() const { return dac->spec().analog() ? 8 : dac->spec().bits; }

double TileModel::vector_ns(std::size_t adc_sharing) const {
  const auto cost = adc->cost(spec.node_nm);
  const double share = adc->spec().ideal() ? 0.0
                                           : static_cast<double>(adc->spec().share_columns) *
                                                 static_cast<double>(adc_sharing);
  const double t_add = shift_add->cost(spec.node_nm, accumulator_bits()).t_add_ns;
  return dac->read_ns(spec.array.t_read_ns) +
         static_cast<double>(dac->conversions()) * share *
             peripherals::conversion_slot_ns(cost.t_conv_ns, t_add);
}

tile::Actions TileModel::group_actions(std::size_t vectors, std::size_t rows,
                                       std::size_t cols) const {
  tile::GroupShape g;
  g.rows = rows;
  g.cols = cols;
  g.slices = static_cast<std::uint64_t>(slices);
  g.polarity = polarity;
  g.cycles = static_cast<std::uint64_t>(dac->cycles());
  g.groups = static_cast<std::uint64_t>(dac->conversions());
  g.dac_bits = dac->spec().analog() ? 0 : dac->spec().bits;
  g.adc_bits = adc->spec().ideal() ? 0 : adc->spec().bits;
  g.accumulator_bits = accumulator_bits();
  return tile::count_actions(g, static_cast<std::uint64_t>(vectors));
}

Accelerator::Accelerator(tile::TileSpec tile, HardwareSpec hw, const kit::Registry& registry)
    : Accelerator(nn::LayerHardware(std::move(tile)), std::move(hw), registry) {}

Accelerator::Accelerator(nn::LayerHardware layers, HardwareSpec hw, const kit::Registry& registry)
    : layers_(std::move(layers)), hw_(std::move(hw)) {
  if (hw_.snn) {
    throw std::logic_error(
        "a spiking chip (config \"snn\") is priced with its network: "
        "Accelerator(layers, hw, net, registry)");
  }
  build_models(registry);
}

Accelerator::Accelerator(nn::LayerHardware layers, HardwareSpec hw, const nn::Network& net,
                         const kit::Registry& registry)
    : layers_(std::move(layers)), hw_(std::move(hw)) {
  if (hw_.snn) plan_snn(net, registry);
  build_models(registry);
}

void Accelerator::build_models(const kit::Registry& registry) {
  models_.emplace_back(layers_.base(), registry);
  model_.assign(layers_.size(), 0);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (!layers_.overridden(i)) continue;
    const tile::TileSpec& spec = layers_.spec(i);
    std::size_t k = 1;
    while (k < models_.size() && models_[k].spec.resolved != spec.resolved) ++k;
    if (k == models_.size()) models_.emplace_back(spec, registry);
    model_[i] = k;
  }
}

std::size_t Accelerator::model_of(std::size_t layer) const {
  return layer < model_.size() ? model_[layer] : 0;
}

tile::Actions Accelerator::group_actions(std::size_t vectors, std::size_t rows,
                                         std::size_t cols) const {
  return models_.front().group_actions(vectors, rows, cols);
}

std::size_t Accelerator::tiles_for(std::size_t arrays) const {
  return ceil_div(ceil_div(arrays, hw_.pe.arrays), hw_.tile.pes);
}

std::vector<LayerMap> Accelerator::map(const nn::Network& net) const {
  std::vector<LayerMap> maps;
  std::size_t used = 0;
  for (const auto idx : net.matrix_layers()) {
    if (layers_.digital(idx)) continue;
    const nn::Layer& l = net.layers[idx];
    const TileModel& t = models_[model_of(idx)];
    const auto& a = t.spec.array;
    LayerMap m;
    m.layer = idx;
    m.model = model_of(idx);
    m.plan = nn::block_plan(l, a.rows, t.data_cols);
    m.row_splits = m.plan.rows.size();
    m.col_splits = m.plan.cols.size();
    m.arrays = m.plan.blocks() * static_cast<std::size_t>(t.slices) * t.polarity;
    m.tiles = tiles_for(m.arrays);
    m.utilization = static_cast<double>(l.rows() * l.cols() * t.polarity) *
                    static_cast<double>(t.slices) /
                    (static_cast<double>(m.arrays) * static_cast<double>(a.rows * a.cols));
    used += m.tiles;
    maps.push_back(m);
  }
  const auto& base = models_.front().spec.array;
  const std::size_t chip = hw_.chip.tiles;
  if (used > chip && !hw_.chip.multiple_chips) {
    throw kit::InputError(
        fmt::format("network \"{}\" needs {} tiles of {} crossbars of {}x{}{}, the chip has {} "
                    "(chip.tiles); raise chip.tiles, tile.pes, pe.arrays or the array size, or set "
                    "chip.multiple_chips",
                    net.name, used, hw_.tile.pes * hw_.pe.arrays, base.rows, base.cols,
                    models_.size() > 1 ? " (and the layers' own tiles)" : "", chip));
  }
  if (hw_.chip.replication == Replication::kAuto && used < chip && !maps.empty()) {
    // Copy the slowest stage while spare tiles allow (the throughput of a
    // pipeline is that of its slowest stage); of equally slow stages, the
    // first. A heap finds it in log(layers), not by a scan per copy.
    std::size_t spare = chip - used;
    std::vector<double> vectors(maps.size());
    for (std::size_t k = 0; k < maps.size(); ++k) {
      vectors[k] = static_cast<double>(net.layers[maps[k].layer].vectors());
    }
    const auto stage_time = [&](std::size_t k) {
      return std::ceil(vectors[k] / static_cast<double>(maps[k].replicas));
    };
    using Stage = std::pair<double, std::size_t>;  // time, map index
    const auto later = [](const Stage& a, const Stage& b) {
      return a.first < b.first || (a.first == b.first && a.second > b.second);
    };
    std::priority_queue<Stage, std::vector<Stage>, decltype(later)> slowest(later);
    for (std::size_t k = 0; k < maps.size(); ++k) slowest.push({stage_time(k), k});
    for (;;) {
      const auto [worst, k] = slowest.top();
      LayerMap& m = maps[k];
      const std::size_t extra =
          tiles_for(m.arrays * (m.replicas + 1)) - tiles_for(m.arrays * m.replicas);
      if (worst <= 1 || extra > spare) break;
      spare -= extra;
      ++m.replicas;
      m.tiles = tiles_for(m.arrays * m.replicas);
      slowest.pop();
      slowest.push({stage_time(k), k});
    }
  }
  return maps;
}

CostContext Accelerator::context(const std::vector<LayerMap>& maps) const {
  const double node = models_.front().spec.node_nm;  // the chip's (overrides cannot set it)
  const auto& chip = hw_.chip;
  CostContext c;
  c.e45 = kit::energy_scale(45, node);
  c.e40 = kit::energy_scale(40, node);
  c.e32 = kit::energy_scale(32, node);
  c.a40 = kit::area_scale(40, node);
  c.a32 = kit::area_scale(32, node);
  for (const TileModel& t : models_) {
    TileCosts tc;
    tc.dac = t.dac->cost(node);
    tc.adc = t.adc->cost(node);
    tc.acc_bits = t.accumulator_bits();
    tc.act_bits = t.activation_bits();
    tc.shift_add = t.shift_add->cost(node, tc.acc_bits);
    tc.g_avg_us = t.g_min_us + chip.conductance_fraction * (t.g_max_us - t.g_min_us);
    // Time a driven row is at v_read per read cycle (ns) and the mean
    // "activity" weight: v² per read, or |v|·(longest pulse) for pulse widths.
    tc.t_on_ns = t.dac->on_time_ns(t.spec.array.t_read_ns);
    c.tiles.push_back(tc);
  }
  for (const auto& m : maps) {
    c.tiles_used += m.tiles;
    c.tiles[m.model].tiles_used += m.tiles;
  }
  // At least one chip: a network with every matrix layer digital still runs
  // on the tiles' digital units.
  c.chips =
      std::max(1.0, std::ceil(static_cast<double>(c.tiles_used) / static_cast<double>(chip.tiles)));
  c.chip_tiles = static_cast<std::size_t>(c.chips) * chip.tiles;
  c.hops =
      chip.interconnect == Interconnect::kHTree
          ? std::ceil(std::log2(static_cast<double>(std::max<std::size_t>(c.chip_tiles, 2))))
          : std::max(1.0, std::round(2.0 * std::sqrt(static_cast<double>(c.chip_tiles)) / 3.0));
  return c;
}

kit::Json Accelerator::estimate(const nn::Network& net) const {
  const auto maps = map(net);
  const CostContext ctx = context(maps);
  const auto& c = hw_.chip;

  kit::Json layers = kit::Json::array();
  LayerEnergy total;
  tile::Actions counts;
  double latency = 0, interval = 0, macs = 0, macs_padded = 0, digital_macs = 0;
  double tiles_area_mm2 = 0;  // the tiles the layers use
  std::vector<const LayerMap*> map_of(net.layers.size(), nullptr);
  for (const auto& m : maps) map_of[m.layer] = &m;
  for (std::size_t idx = 0; idx < net.layers.size(); ++idx) {
    const nn::Layer& l = net.layers[idx];
    const LayerMap* m = map_of[idx];
    const LayerCost cost = layer_cost(l, idx, m, ctx);
    kit::Json lj = {{"name", l.name}, {"type", l.type}, {"out_shape", l.out_shape}};
    if (layers_.resolved().contains(l.name)) lj["tile"] = layers_.resolved().at(l.name);
    if (m != nullptr) {
      counts.add(cost.actions);
      const double layer_area_mm2 =
          static_cast<double>(m->tiles) * tile_area(m->model, ctx).total() * 1e-6;
      tiles_area_mm2 += layer_area_mm2;
      macs += l.macs();
      macs_padded += l.macs_padded();
      lj.update({{"rows", l.rows()},
                 {"cols", l.cols()},
                 {"vectors", l.vectors()},
                 {"row_splits", m->row_splits},
                 {"col_splits", m->col_splits},
                 {"arrays", m->arrays * m->replicas},
                 {"tiles", m->tiles},
                 {"replicas", m->replicas},
                 {"utilization", m->utilization},
                 {"area_mm2", layer_area_mm2},
                 {"macs", l.macs()},
                 {"macs_padded", l.macs_padded()},
                 {"counts", cost.actions.to_json().at("counts")}});
      if (l.groups > 1) lj["groups"] = l.groups;
    }
    if (const double dm = digital_work(l, idx).macs; dm > 0) {
      // A product of two activations, or a matrix layer set digital: no
      // crossbar, the tile's digital units.
      digital_macs += dm;
      lj.update({{"on", "digital units"}, {"digital_macs", dm}});
    }
    lj["energy_pj"] = cost.energy.to_json(!snn_.empty());
    lj["latency_ns"] = cost.latency_ns;
    layers.push_back(lj);
    total.add(cost.energy);
    latency += cost.latency_ns;
    interval = c.schedule == Schedule::kPipelined ? std::max(interval, cost.latency_ns)
                                                  : interval + cost.latency_ns;
  }
  if (!snn_.empty() && c.schedule == Schedule::kPipelined) {
    // A spiking chip's pipeline runs over the steps too: step t of a layer
    // beside step t - 1 of the next, so an inference takes each layer's step
    // once and the slowest layer's the other T - 1 times.
    const double steps = static_cast<double>(hw_.snn->steps);
    latency = latency / steps + (steps - 1.0) * interval / steps;
  }

  kit::Json area = area_json(ctx);
  const double area_mm2 = area.at("total").get<double>();
  // Leakage of every buffer on the chip(s) over one inference interval (mW·ns = pJ).
  const auto& t = hw_.tile;
  const double buffer_kb =
      static_cast<double>(ctx.chip_tiles) * (t.input_buffer_kb + t.output_buffer_kb) +
      ctx.chips * c.global_buffer_kb;
  const double leakage_pj = buffer_kb * c.leakage_mw_per_kb * ctx.e32 * interval;
  kit::Json energy = total.to_json(!snn_.empty());
  energy["leakage"] = leakage_pj;
  energy["total"] = total.total() + leakage_pj;
  const double e_pj = total.total() + leakage_pj;
  const double ops = 2.0 * (macs + digital_macs);  // every multiply-accumulate of the network
  const double tops = interval > 0 ? ops / interval * 1e-3 : 0.0;  // 1 op/ns = 1e-3 TOPS
  kit::Json totals = {{"energy_pj", energy},
                      {"latency_ns", latency},
                      {"interval_ns", interval},
                      {"inferences_per_s", interval > 0 ? 1e9 / interval : 0.0},
                      {"macs", macs},
                      {"macs_padded", macs_padded},
                      {"digital_macs", digital_macs},
                      {"tops", tops},
                      {"tops_per_w", e_pj > 0 ? ops / e_pj : 0.0},  // ops per pJ = TOPS/W
                      {"tops_per_mm2", area_mm2 > 0 ? tops / area_mm2 : 0.0},
                      // The same throughput over only the tiles the layers use.
                      {"tops_per_mm2_tiles_used", tiles_area_mm2 > 0 ? tops / tiles_area_mm2 : 0.0},
                      {"area_mm2", area},
                      {"tiles_used", ctx.tiles_used},
                      {"tiles", ctx.chip_tiles},
                      {"chips", ctx.chips},
                      {"counts", counts.to_json().at("counts")}};
  kit::Json report = {
      {"network", net.name},
      {"layers", layers},
      {"totals", totals},
      {"notes",
       {{"ops",
         fmt::format("TOPS and TOPS/W count 2 ops per multiply-accumulate with a real "
                     "input operand ({:.4g} MACs{}); the crossbars also multiply {:.4g} "
                     "padded zeros ({:.1f}% more), which are not counted",
                     macs + digital_macs,
                     digital_macs > 0
                         ? fmt::format(", {:.4g} of them products of two activations on "
                                       "the digital units",
                                       digital_macs)
                         : std::string(),
                     macs_padded - macs, macs > 0 ? 100.0 * (macs_padded / macs - 1.0) : 0.0)},
        {"array_energy",
         snn_.empty()
             ? fmt::format("static estimate: each driven row carries mean v² = {} of v_read² "
                           "(chip.input_activity) and each cell G = g_min + {}·(g_max - g_min) "
                           "(chip.conductance_fraction)",
                           c.input_activity, c.conductance_fraction)
             : fmt::format("static estimate: a row reading spikes is at v_read at its input's "
                           "spike rate (ppa.snn.layers), the analog input at mean v² = {} of "
                           "v_read² (chip.input_activity); each cell G = g_min + {}·(g_max - "
                           "g_min) (chip.conductance_fraction)",
                           c.input_activity, c.conductance_fraction)},
        {"latency",
         snn_.empty()
             ? "per layer: vectors / replicas × (DAC read cycles × (read time + shared "
               "conversions)), overlapped with its feature-map transfer and digital work (the "
               "longest counts); pipelined interval = slowest layer, layer_by_layer = sum"
             : "per layer: snn.steps × its step (vectors / replicas × (read time + shared "
               "conversions), overlapped with its feature-map transfer and digital work); "
               "pipelined: the layers run the steps as a pipeline (latency = one step of each "
               "layer + (T - 1) steps of the slowest, interval = T steps of the slowest), "
               "layer_by_layer = sum"}}}};
  if (!snn_.empty()) report["snn"] = snn_json(net);
  return report;
}

}  // namespace xbarsim::ppa
