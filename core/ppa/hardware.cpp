#include "core/ppa/hardware.h"

#include "core/kit/error.h"

namespace xbarsim::ppa {

std::vector<kit::ParamInfo> PeSpec::params() {
  using namespace kit;
  return {
      int_param("arrays", 4, 1, 1 << 16, "crossbars per processing element"),
      int_param("adc_sharing", 1, 1, 1 << 10,
                "crossbars of a PE whose columns time-share one ADC bank (costs latency)"),
  };
}

std::vector<kit::ParamInfo> TileHwSpec::params() {
  using namespace kit;
  return {
      int_param("pes", 4, 1, 1 << 16, "processing elements per tile"),
      positive_param("input_buffer_kb", 16, "kB", "input buffer (feature-map rows)"),
      positive_param("output_buffer_kb", 16, "kB", "output buffer (partial and final sums)"),
      int_param("digital_units", 64, 1, 1 << 16,
                "activation / pooling / adder lanes (area; one op per lane per cycle)"),
      // Source: Horowitz, ISSCC 2014 (45 nm): 8 kB SRAM, 10 pJ per 64-bit access.
      number_param("buffer_pj_per_bit", 10.0 / 64.0, "pJ", "SRAM access energy per bit, at 45 nm",
                   0.0),
      // Source: ISAAC (Shafiee et al., ISCA 2016): 2 kB input register 0.0021 mm² at 32 nm.
      number_param("buffer_um2_per_bit", 2100.0 / 16384.0, "um2", "SRAM area per bit, at 32 nm",
                   0.0),
      // Source: Horowitz, ISSCC 2014 (45 nm): 32-bit add 0.1 pJ.
      number_param("adder_pj_per_bit", 0.1 / 32.0, "pJ", "add energy per bit, at 45 nm", 0.0),
      // Source: Aladdin (Shao et al., ISCA 2014) 40 nm library: 32-bit adder 278 µm².
      number_param("adder_um2_per_bit", 278.0 / 32.0, "um2", "adder area per bit, at 40 nm", 0.0),
      // Source: Aladdin 40 nm library: 32-bit comparator 0.0295 pJ, 71 µm².
      number_param("compare_pj", 0.0295, "pJ", "compare (ReLU, max pool), at 40 nm", 0.0),
      number_param("compare_um2", 71.0, "um2", "comparator area, at 40 nm", 0.0),
  };
}

std::vector<kit::ParamInfo> ChipSpec::params() {
  using namespace kit;
  return {
      int_param("tiles", 64, 1, 1 << 20, "tiles on the chip"),
      positive_param("global_buffer_kb", 256, "kB", "global buffer (feature maps between layers)"),
      choice_param("interconnect", "htree", {"htree", "mesh"},
                   "tile network: H-tree (log2 tiles hops) or 2-D mesh (2/3·sqrt(tiles) hops)"),
      // Source: ISAAC (Shafiee et al., ISCA 2016): 256-bit flits; router 42 mW,
      // 0.151 mm² shared by 4 tiles, 20.74 pJ per flit (Accelergy's derivation).
      positive_param("link_bits", 256, "bit", "bits per flit / link transfer"),
      number_param("noc_pj_per_bit_hop", 20.74 / 256.0, "pJ", "per bit per hop, at 32 nm", 0.0),
      number_param("router_um2", 0.151e6 / 4.0, "um2", "router area per tile, at 32 nm", 0.0),
      // Assumption: one hop per 1 GHz cycle.
      positive_param("hop_ns", 1.0, "ns", "per hop and per flit"),
      // Source: ISAAC: 64 kB eDRAM, 20.7 mW, 0.083 mm² -> 20.45 pJ per 256-bit access.
      number_param("gb_pj_per_bit", 20.45 / 256.0, "pJ", "global buffer energy per bit, at 32 nm",
                   0.0),
      number_param("gb_um2_per_bit", 0.083e6 / 524288.0, "um2",
                   "global buffer area per bit, at 32 nm", 0.0),
      // Source: PUMA (Ankit et al., ASPLOS 2019) constants: 64 kB eDRAM leaks 0.46 mW.
      number_param("leakage_mw_per_kb", 0.46 / 64.0, "mW", "buffer leakage per kB, at 32 nm", 0.0),
      choice_param("schedule", "pipelined", {"pipelined", "layer_by_layer"},
                   "pipelined: every layer on its own tiles, throughput set by the slowest; "
                   "layer_by_layer: one layer after another"),
      choice_param("replication", "auto", {"none", "auto"},
                   "auto: copy the slowest layers onto spare tiles to balance the pipeline "
                   "(idle tiles still leak); none: one copy of each layer"),
      bool_param("multiple_chips", false,
                 "a network larger than one chip: report the chips needed instead of an error"),
      number_param("input_activity", 0.5, "",
                   "static estimate: mean v²/v_read² of a driven row per read (bit-serial: the "
                   "fraction of 1 bits)",
                   0.0, 1.0),
      number_param("conductance_fraction", 0.25, "",
                   "static estimate: mean (G - g_min)/(g_max - g_min) of a programmed cell", 0.0,
                   1.0),
  };
}

void register_hardware(kit::Registry& registry) {
  registry.add_component({"pe", "processing element: crossbars sharing ADC banks", "", ""});
  registry.add_variant("pe", {"", "processing element", PeSpec::params()});
  registry.add_component(
      {"tile", "tile: processing elements, buffers, activation and pooling units", "", ""});
  registry.add_variant("tile", {"", "tile", TileHwSpec::params()});
  registry.add_component({"chip", "chip: tiles, global buffer, interconnect, schedule", "", ""});
  registry.add_variant("chip", {"", "chip", ChipSpec::params()});
}

HardwareSpec HardwareSpec::parse(const kit::Json& config, const kit::Registry& registry) {
  HardwareSpec h;
  for (const char* key : {"pe", "tile", "chip"}) {
    const kit::Json node = config.contains(key) ? config.at(key) : kit::Json();
    h.resolved[key] = registry.resolve(key, node, key);
  }
  const auto& pe = h.resolved.at("pe");
  h.pe.arrays = pe.at("arrays").get<std::size_t>();
  h.pe.adc_sharing = pe.at("adc_sharing").get<std::size_t>();
  if (h.pe.adc_sharing > h.pe.arrays) {
    throw kit::ConfigError("pe.adc_sharing", "cannot exceed pe.arrays");
  }
  const auto& t = h.resolved.at("tile");
  h.tile.pes = t.at("pes").get<std::size_t>();
  h.tile.input_buffer_kb = t.at("input_buffer_kb").get<double>();
  h.tile.output_buffer_kb = t.at("output_buffer_kb").get<double>();
  h.tile.digital_units = t.at("digital_units").get<std::size_t>();
  h.tile.buffer_pj_per_bit = t.at("buffer_pj_per_bit").get<double>();
  h.tile.buffer_um2_per_bit = t.at("buffer_um2_per_bit").get<double>();
  h.tile.adder_pj_per_bit = t.at("adder_pj_per_bit").get<double>();
  h.tile.adder_um2_per_bit = t.at("adder_um2_per_bit").get<double>();
  h.tile.compare_pj = t.at("compare_pj").get<double>();
  h.tile.compare_um2 = t.at("compare_um2").get<double>();
  const auto& c = h.resolved.at("chip");
  h.chip.tiles = c.at("tiles").get<std::size_t>();
  h.chip.global_buffer_kb = c.at("global_buffer_kb").get<double>();
  h.chip.interconnect =
      c.at("interconnect") == "htree" ? Interconnect::kHTree : Interconnect::kMesh;
  h.chip.link_bits = c.at("link_bits").get<double>();
  h.chip.noc_pj_per_bit_hop = c.at("noc_pj_per_bit_hop").get<double>();
  h.chip.router_um2 = c.at("router_um2").get<double>();
  h.chip.hop_ns = c.at("hop_ns").get<double>();
  h.chip.gb_pj_per_bit = c.at("gb_pj_per_bit").get<double>();
  h.chip.gb_um2_per_bit = c.at("gb_um2_per_bit").get<double>();
  h.chip.leakage_mw_per_kb = c.at("leakage_mw_per_kb").get<double>();
  h.chip.schedule =
      c.at("schedule") == "pipelined" ? Schedule::kPipelined : Schedule::kLayerByLayer;
  h.chip.replication = c.at("replication") == "auto" ? Replication::kAuto : Replication::kNone;
  h.chip.multiple_chips = c.at("multiple_chips").get<bool>();
  h.chip.input_activity = c.at("input_activity").get<double>();
  h.chip.conductance_fraction = c.at("conductance_fraction").get<double>();
  if (config.contains("snn")) {
    h.snn = SnnChipSpec::parse(config.at("snn"), registry, "snn");
    h.resolved["snn"] = h.snn->resolved;
  }
  return h;
}

}  // namespace xbarsim::ppa
