#include "core/tile/actions.h"

namespace xbarsim::tile {

Actions count_actions(const GroupShape& g, std::uint64_t vectors) {
  Actions a;
  a.vectors = vectors;
  a.read_cycles = vectors * g.cycles;
  a.array_reads = a.read_cycles * g.slices * g.polarity;
  // Each slice's crossbars have their own row drivers (a slice's G+ and G-,
  // or G and its reference, share them).
  a.dac_conversions = a.read_cycles * g.rows * g.slices;
  a.adc_conversions = vectors * g.groups * g.slices * g.cols;
  a.shift_adds = a.adc_conversions;
  a.bits_in = vectors * g.rows * static_cast<std::uint64_t>(g.dac_bits);
  a.bits_adc = a.adc_conversions * static_cast<std::uint64_t>(g.adc_bits);
  a.bits_out = vectors * g.cols * static_cast<std::uint64_t>(g.accumulator_bits);
  return a;
}

void Actions::add(const Actions& a) {
  vectors += a.vectors;
  read_cycles += a.read_cycles;
  array_reads += a.array_reads;
  dac_conversions += a.dac_conversions;
  dac_pulses += a.dac_pulses;
  adc_conversions += a.adc_conversions;
  adc_clipped += a.adc_clipped;
  shift_adds += a.shift_adds;
  bits_in += a.bits_in;
  bits_adc += a.bits_adc;
  bits_out += a.bits_out;
  dac_pj += a.dac_pj;
  array_pj += a.array_pj;
  adc_pj += a.adc_pj;
  shift_add_pj += a.shift_add_pj;
  latency_ns += a.latency_ns;
}

kit::Json Actions::to_json() const {
  return {{"counts",
           {{"vectors", vectors},
            {"read_cycles", read_cycles},
            {"array_reads", array_reads},
            {"dac_conversions", dac_conversions},
            {"dac_pulses", dac_pulses},
            {"adc_conversions", adc_conversions},
            {"adc_clipped", adc_clipped},
            {"shift_adds", shift_adds},
            {"bits_in", bits_in},
            {"bits_adc", bits_adc},
            {"bits_out", bits_out}}},
          {"energy_pj",
           {{"dac", dac_pj},
            {"array", array_pj},
            {"adc", adc_pj},
            {"shift_add", shift_add_pj},
            {"total", energy_pj()}}},
          {"latency_ns", latency_ns}};
}

}  // namespace xbarsim::tile
