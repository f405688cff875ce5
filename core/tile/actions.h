#pragma once
// What a tile's VMMs did, counted per action, and what that cost. The counts
// come from one function, count_actions(GroupShape, vectors): the functional
// pipeline (core/tile/pipeline.cpp) calls it with the planes it encoded and
// adds the data-dependent parts (pulses, energies, clipping); the performance
// model (core/ppa/) calls it with the shape its mapping gives.
#include <cstdint>

#include "core/kit/json.h"

namespace xbarsim::tile {

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

// The shape of one array group's work (one block of a layer's weights on its
// crossbars): everything the action counts depend on apart from the data.
struct GroupShape {
  std::uint64_t rows = 0;      // weight rows driven
  std::uint64_t cols = 0;      // data columns read (each converted once per group)
  std::uint64_t slices = 1;    // bit slices, each on its own crossbars and row drivers
  std::uint64_t polarity = 1;  // crossbars per slice: 2 differential (G+, G-), 1 offset
  std::uint64_t cycles = 1;    // DAC read cycles per vector
  std::uint64_t groups = 1;    // conversions per column and slice per vector
  int dac_bits = 0;            // input bits per row into the DACs; 0 for an analog drive
  int adc_bits = 0;            // bits per conversion; 0 for an ideal ADC
  int accumulator_bits = 0;    // bits of each output out of the shift-add
};

// The counts (not the energies) of `vectors` input vectors through one group.
Actions count_actions(const GroupShape& g, std::uint64_t vectors);

}  // namespace xbarsim::tile
