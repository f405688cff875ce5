#include "core/nn/snn/spike_tile.h"

namespace xbarsim::nn {

tile::TileSpec spike_tile(tile::TileSpec s, bool reads_spikes, bool signed_spikes, bool adc,
                          const kit::Registry& registry) {
  if (reads_spikes) {
    kit::Json dac = {{"impl", "bit_serial"},
                     {"bits", signed_spikes ? 2 : 1},
                     {"signed_drive", signed_spikes ? "differential" : "none"},
                     {"range", "fixed"},
                     {"full_scale", 1.0}};
    if (s.dac.at("impl") == "bit_serial") {
      for (const char* k : {"energy_pj", "area_um2", "ref_node_nm", "t_cycle_ns"}) {
        if (s.dac.contains(k)) dac[k] = s.dac.at(k);
      }
    }
    s.dac = registry.resolve("dac", dac, "dac");
    s.resolved["dac"] = s.dac;
  }
  if (!adc) {
    s.adc = registry.resolve("adc", {{"impl", "ideal"}}, "adc");
    s.resolved["adc"] = s.adc;
  }
  return s;
}

LayerHardware spiking_hardware(const LayerHardware& tiles, const Network& net, const SnnPlan& plan,
                               bool adc, const kit::Registry& registry) {
  return tiles.per_layer(
      [&](const tile::TileSpec& s, std::size_t i) {
        const SnnLayer& l = plan.layers[i];
        return net.layers[i].matrix()
                   ? spike_tile(s, l.reads_spikes, l.signed_spikes, adc, registry)
                   : s;
      },
      spike_tile(tiles.base(), true, false, adc, registry));
}

}  // namespace xbarsim::nn
