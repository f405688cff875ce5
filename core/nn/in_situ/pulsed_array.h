#pragma once
// The devices of one in-situ layer: their states, what each drew, the
// weights a read sees, and the pulses they took with the energy those cost.
//
// A weight is one device (w = its state), or a one-sided pair (aihwkit's
// OneSidedUnitCell, the PCM arrangement): two devices that are only ever
// potentiated, w = w⁺ − w⁻, a positive update pulsing w⁺ and a negative one
// w⁻; a refresh (refresh.h) resets saturated pairs and rewrites their
// difference. A read sees the states plus the law's write noise, drawn
// afresh whenever a weight is written.
//
// Contract: rows x cols weights, weight (i, j) at i·cols + j; states in
// weight units inside each device's bounds. pulse() applies n pulses one
// at a time through the update law, each with a fresh cycle-to-cycle draw
// from the array's c2c stream (drawn in call order, so a serial caller is
// reproducible), and charges each V²·Ḡ·t with Ḡ the mean of the device's
// conductance before and after it. Not thread-safe.
//
// Half-select (1R arrays, set_half_select): a pulse of amplitude V on a
// selected cell puts V/2 on the unselected cells of its row and column
// (the V/2 scheme), each charged (V/2)²·G·t. The rules charge a phase's
// half-selected cells from the row and column conductance sums the array
// keeps (charge_half_select_*); pulse() takes the selected cells back out.
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
  double half_select_energy_pj = 0;               // 1R arrays: the cells at V/2
  double latency_ns = 0;                          // the update rule's schedule
  double refreshed = 0, refresh_reads = 0;        // pairs refreshed; one-hot reads it took
  double energy_pj() const { return set_energy_pj + reset_energy_pj + half_select_energy_pj; }
  void add(const PulseTotals& o);
  kit::Json to_json() const;
};

class PulsedArray {
 public:
  // draws keys the devices' parameters (the pair's second devices from its
  // substream 2); c2c the pulses' noise.
  PulsedArray(const arrays::UpdateModel& law, std::size_t rows, std::size_t cols, bool pair,
              const kit::Stream& draws, kit::Stream c2c);
  // Writes initial weights (clipped to each device's bounds; a pair puts
  // a positive weight on w⁺ and a negative one on w⁻) without pulses;
  // stuck devices keep a state drawn uniformly inside their bounds.
  void write(const RowMatrixF& w0);
  // What a read sees.
  const RowMatrixF& w() const { return w_; }
  std::size_t rows() const { return static_cast<std::size_t>(w_.rows()); }
  std::size_t cols() const { return static_cast<std::size_t>(w_.cols()); }
  bool pair() const { return sets_.size() == 2; }
  // n pulses on weight (i, j): n > 0 raises it (potentiates its device, or
  // w⁺ of a pair), n < 0 lowers it (depresses it, or potentiates w⁻).
  void pulse(std::size_t i, std::size_t j, int n);
  // 1R arrays: charge the half-selected cells of every pulse (off: 1T1R,
  // whose access transistors isolate the unselected rows).
  void set_half_select(bool on);
  bool half_select() const { return half_select_; }
  // Row i written by the V/2 scheme with signed counts n[0..cols): a SET
  // phase of max n⁺ slots, then a RESET phase (a pair: a SET phase on each
  // device set), each slot charging row i's and the pulsed columns' cells.
  void charge_half_select_row(std::size_t i, const int* n);
  // Stochastic trains applied to the whole array: row i active in
  // row_slots[i] slots and column j in col_slots[j], each in a SET and a
  // RESET phase (a pair: a SET phase on each set).
  void charge_half_select_trains(const std::vector<std::uint32_t>& row_slots,
                                 const std::vector<std::uint32_t>& col_slots);
  // One update's decay of every device (the law's lifetime; none without).
  void decay();
  // Resets both devices of pair k (one RESET pulse each).
  void reset_pair(std::size_t k);
  const arrays::UpdateModel& law() const { return law_; }
  // Largest |w| any weight can reach (for the full-range output bound).
  double max_abs_bound() const { return max_abs_bound_; }
  // States of device set s (0, or 1 = w⁻ of a pair), row-major.
  const RowMatrixF& state(std::size_t s) const { return sets_[s].h; }
  // Conductance (µS) of device k of set s now.
  double conductance_us(std::size_t k, std::size_t s = 0) const {
    return law_.conductance_us(sets_[s].d, k, static_cast<double>(sets_[s].h.data()[k]));
  }
  // Pulses each device of set s took (up + down).
  const std::vector<std::uint32_t>& pulses(std::size_t s = 0) const { return sets_[s].pulses; }
  PulseTotals& totals() { return totals_; }
  const PulseTotals& totals() const { return totals_; }

 private:
  struct Devices {
    arrays::UpdateDevices d;
    RowMatrixF h;  // states
    std::vector<std::uint32_t> pulses;
    std::vector<bool> stuck;
    std::vector<double> row_g, col_g;  // half-select: conductance sums (µS)
  };
  // Recomputes the sets' row and column conductance sums (half-select on).
  void sum_conductances();
  // Device k of set moved from conductance g_before: the sums follow.
  void moved(Devices& set, std::size_t k, double g_before);
  void pulse_device(Devices& set, std::size_t k, int dir, std::uint32_t count);
  // The read of weight k from the states, with fresh write noise.
  void sync(std::size_t k);

  const arrays::UpdateModel& law_;
  std::vector<Devices> sets_;
  RowMatrixF w_;
  kit::Stream c2c_;
  std::uint64_t draws_ = 0;
  double max_abs_bound_ = 0;
  bool half_select_ = false;
  kit::Stream stuck_state_;
  PulseTotals totals_;
};

}  // namespace xbarsim::nn
