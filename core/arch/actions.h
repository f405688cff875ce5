#pragma once
// What a tile's VMMs did, counted per action, and what that cost. The
// architecture layer prices the same counts from its mapping; the functional
// pipeline counts them as it runs (tests check that the two agree).
#include <cstdint>

#include "core/kit/json.h"

namespace xbarsim::arch {

struct Actions {
  std::uint64_t vectors = 0;          // input vectors read
  std::uint64_t read_cycles = 0;      // array read cycles (vectors x DAC cycles)
  std::uint64_t array_reads = 0;      // crossbar reads (read cycles x crossbars)
  std::uint64_t dac_conversions = 0;  // rows driven per read cycle
  std::uint64_t dac_pulses = 0;       // of those, rows at a nonzero voltage
  std::uint64_t adc_conversions = 0;
  std::uint64_t adc_clipped = 0;  // conversions beyond the ADC's range
  std::uint64_t shift_adds = 0;   // one per conversion into its column's accumulator
  std::uint64_t bits_in = 0;      // input bits into the DACs
  std::uint64_t bits_adc = 0;     // bits out of the ADCs into the shift-add
  std::uint64_t bits_out = 0;     // accumulator bits out of the tile
  // Energy (pJ) by component; array energy is Σ V²·G·t over the cells read.
  double dac_pj = 0, array_pj = 0, adc_pj = 0, shift_add_pj = 0;
  double latency_ns = 0;  // the vectors one after another, conversions after each read

  double energy_pj() const { return dac_pj + array_pj + adc_pj + shift_add_pj; }
  void add(const Actions& a);
  kit::Json to_json() const;
};

}  // namespace xbarsim::arch
