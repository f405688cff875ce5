#pragma once
// The hardware hierarchy around the crossbars: array -> processing element
// (arrays sharing ADC banks) -> tile (PEs, buffers, digital units) -> chip
// (tiles, global buffer, interconnect), with the cost figures of each level.
// The arrays themselves (size, device, mapping, DAC, ADC) are the tile config
// nodes at the top level of the run config.
//
// Contract: parse() validates the "pe", "tile" and "chip" nodes (absent =
// defaults) and the "snn" node (absent: not a spiking chip), and refuses
// impossible sizes before any work.
#include <optional>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/registry.h"
#include "core/ppa/snn_chip.h"

namespace xbarsim::ppa {

struct PeSpec {
  std::size_t arrays = 4;       // crossbars per processing element
  std::size_t adc_sharing = 1;  // crossbars whose columns time-share one ADC bank
  static std::vector<kit::ParamInfo> params();
};

struct TileHwSpec {
  std::size_t pes = 4;
  double input_buffer_kb = 16, output_buffer_kb = 16;
  std::size_t digital_units = 64;  // activation / pooling / adder lanes
  // Costs at their reference nodes (cited in params()).
  double buffer_pj_per_bit = 0, buffer_um2_per_bit = 0;
  double adder_pj_per_bit = 0, adder_um2_per_bit = 0;
  double compare_pj = 0, compare_um2 = 0;
  static std::vector<kit::ParamInfo> params();
};

// The chip's closed choices, as enums from parse time on.
enum class Interconnect { kHTree, kMesh };
enum class Schedule { kPipelined, kLayerByLayer };
enum class Replication { kNone, kAuto };

struct ChipSpec {
  std::size_t tiles = 64;
  double global_buffer_kb = 256;
  Interconnect interconnect = Interconnect::kHTree;
  double link_bits = 256, hop_ns = 1.0;
  double noc_pj_per_bit_hop = 0, router_um2 = 0;
  double gb_pj_per_bit = 0, gb_um2_per_bit = 0;
  double leakage_mw_per_kb = 0;  // buffers (SRAM/eDRAM), at 32 nm
  Schedule schedule = Schedule::kPipelined;
  Replication replication = Replication::kAuto;
  bool multiple_chips = false;         // a network larger than one chip: report chips needed
  double input_activity = 0.5;         // mean v² of a driven row per read (static estimate)
  double conductance_fraction = 0.25;  // mean (G - g_min)/(g_max - g_min) of a cell
  static std::vector<kit::ParamInfo> params();
};

struct HardwareSpec {
  PeSpec pe;
  TileHwSpec tile;
  ChipSpec chip;
  std::optional<SnnChipSpec> snn;  // a spiking chip (the config's "snn" node)
  kit::Json resolved;              // {"pe": ..., "tile": ..., "chip": ...[, "snn": ...]}
  static HardwareSpec parse(const kit::Json& config, const kit::Registry& registry);
};

void register_hardware(kit::Registry& registry);

}  // namespace xbarsim::ppa
