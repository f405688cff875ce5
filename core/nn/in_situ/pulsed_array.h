#pragma once
// The devices of one in-situ layer: their states (the layer's weights),
// what each drew, and the pulses they took with the energy those cost.
//
// Contract: rows x cols devices, device (i, j) at i·cols + j; states in
// weight units inside each device's bounds. pulse() applies n pulses one
// at a time through the update law, each with a fresh cycle-to-cycle draw
// from the array's c2c stream (drawn in call order, so a serial caller is
// reproducible), and charges each V²·Ḡ·t with Ḡ the mean of the device's
// conductance before and after it. Not thread-safe.
#include <cstdint>
#include <vector>

#include "arrays/update.h"
#include "core/kit/rng.h"
#include "peripherals/dac.h"

namespace xbarsim::nn {

using peripherals::RowMatrixF;

struct PulseTotals {
  double set_pulses = 0, reset_pulses = 0;        // pulses applied
  double set_energy_pj = 0, reset_energy_pj = 0;  // Σ V²·Ḡ·t per direction
  double latency_ns = 0;                          // the update rule's schedule
  double energy_pj() const { return set_energy_pj + reset_energy_pj; }
  void add(const PulseTotals& o);
  kit::Json to_json() const;
};

class PulsedArray {
 public:
  // draws keys the devices' parameters; c2c the pulses' noise.
  PulsedArray(const arrays::UpdateModel& law, std::size_t rows, std::size_t cols,
              const kit::Stream& draws, kit::Stream c2c);
  // Writes initial weights (clipped to each device's bounds) without
  // pulses; stuck devices keep a state drawn uniformly inside their bounds.
  void write(const RowMatrixF& w0);
  const RowMatrixF& w() const { return w_; }
  std::size_t rows() const { return static_cast<std::size_t>(w_.rows()); }
  std::size_t cols() const { return static_cast<std::size_t>(w_.cols()); }
  // n pulses (n > 0: potentiation) on device (i, j).
  void pulse(std::size_t i, std::size_t j, int n);
  const arrays::UpdateModel& law() const { return law_; }
  // Largest |w| any device can hold (for the full-range output bound).
  double max_abs_bound() const { return max_abs_bound_; }
  // Conductance (µS) of device k now.
  double conductance_us(std::size_t k) const {
    return law_.conductance_us(d_, k, static_cast<double>(w_.data()[k]));
  }
  // Pulses each device took (up + down).
  const std::vector<std::uint32_t>& pulses() const { return pulses_; }
  PulseTotals& totals() { return totals_; }
  const PulseTotals& totals() const { return totals_; }

 private:
  const arrays::UpdateModel& law_;
  arrays::UpdateDevices d_;
  RowMatrixF w_;
  kit::Stream c2c_;
  std::uint64_t draws_ = 0;
  double max_abs_bound_ = 0;
  std::vector<std::uint32_t> pulses_;
  std::vector<bool> stuck_;
  kit::Stream stuck_state_;
  PulseTotals totals_;
};

}  // namespace xbarsim::nn
