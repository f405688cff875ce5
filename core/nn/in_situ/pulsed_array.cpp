#include "core/nn/in_situ/pulsed_array.h"

#include <algorithm>
#include <cmath>

namespace xbarsim::nn {

void PulseTotals::add(const PulseTotals& o) {
  set_pulses += o.set_pulses;
  reset_pulses += o.reset_pulses;
  set_energy_pj += o.set_energy_pj;
  reset_energy_pj += o.reset_energy_pj;
  half_select_energy_pj += o.half_select_energy_pj;
  latency_ns += o.latency_ns;
  refreshed += o.refreshed;
  refresh_reads += o.refresh_reads;
}

kit::Json PulseTotals::to_json() const {
  return {{"set_pulses", set_pulses},           {"reset_pulses", reset_pulses},
          {"write_energy_pj", energy_pj()},     {"set_energy_pj", set_energy_pj},
          {"reset_energy_pj", reset_energy_pj}, {"half_select_energy_pj", half_select_energy_pj},
          {"write_latency_ns", latency_ns},     {"refreshed", refreshed},
          {"refresh_reads", refresh_reads}};
}

PulsedArray::PulsedArray(const arrays::UpdateModel& law, std::size_t rows, std::size_t cols,
                         bool pair, const kit::Stream& draws, kit::Stream c2c)
    : law_(law),
      w_(RowMatrixF::Zero(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols))),
      c2c_(c2c),
      stuck_state_(draws.substream(1)) {
  const std::size_t n = rows * cols;
  for (std::size_t s = 0; s < (pair ? 2u : 1u); ++s) {
    Devices set{law.draw(n, s == 0 ? draws : draws.substream(2)),
                w_,
                std::vector<std::uint32_t>(n, 0),
                std::vector<bool>(n, false),
                {},
                {}};
    for (std::size_t k = 0; k < n; ++k) {
      const double reach = pair ? set.d.w_max[k] : std::max(-set.d.w_min[k], set.d.w_max[k]);
      max_abs_bound_ = std::max(max_abs_bound_, std::abs(reach));
      set.stuck[k] = set.d.scale_up[k] == 0.0 && set.d.scale_down[k] == 0.0;
    }
    sets_.push_back(std::move(set));
  }
}

void PulsedArray::write(const RowMatrixF& w0) {
  for (std::size_t s = 0; s < sets_.size(); ++s) {
    Devices& set = sets_[s];
    for (std::size_t k = 0; k < set.pulses.size(); ++k) {
      const double lo = set.d.w_min[k], hi = set.d.w_max[k];
      double target = w0.data()[k];
      if (pair()) target = s == 0 ? std::max(target, 0.0) : std::max(-target, 0.0);
      const double v = set.stuck[k]
                           ? lo + (hi - lo) * stuck_state_.uniform_at(k + s * set.pulses.size())
                           : std::clamp(target, lo, hi);
      set.h.data()[k] = static_cast<float>(v);
    }
  }
  for (std::size_t k = 0; k < sets_[0].pulses.size(); ++k) sync(k);
  sum_conductances();
}

void PulsedArray::set_half_select(bool on) {
  half_select_ = on;
  sum_conductances();
}

void PulsedArray::sum_conductances() {
  if (!half_select_) return;
  const std::size_t r = rows(), c = cols();
  for (std::size_t s = 0; s < sets_.size(); ++s) {
    Devices& set = sets_[s];
    set.row_g.assign(r, 0.0);
    set.col_g.assign(c, 0.0);
    for (std::size_t i = 0; i < r; ++i) {
      for (std::size_t j = 0; j < c; ++j) {
        const double g = conductance_us(i * c + j, s);
        set.row_g[i] += g;
        set.col_g[j] += g;
      }
    }
  }
}

void PulsedArray::moved(Devices& set, std::size_t k, double g_before) {
  if (!half_select_) return;
  const double dg = law_.conductance_us(set.d, k, set.h.data()[k]) - g_before;
  set.row_g[k / cols()] += dg;
  set.col_g[k % cols()] += dg;
}

void PulsedArray::charge_half_select_row(std::size_t i, const int* n) {
  if (!half_select_) return;
  const std::size_t c = cols();
  // Phase (set s, direction dir, sign of the counts it takes).
  for (const auto& [s, dir, sign] :
       pair() ? std::vector<std::tuple<std::size_t, int, int>>{{0, 1, 1}, {1, 1, -1}}
              : std::vector<std::tuple<std::size_t, int, int>>{{0, 1, 1}, {0, -1, -1}}) {
    const Devices& set = sets_[s];
    int slots = 0;
    double cols_g = 0;
    for (std::size_t j = 0; j < c; ++j) {
      const int k = sign * n[j];
      if (k <= 0) continue;
      slots = std::max(slots, k);
      cols_g += k * set.col_g[j];
    }
    if (slots == 0) continue;
    // (V/2)²·t per µS: a quarter of a full pulse's.
    totals_.half_select_energy_pj +=
        0.25 * law_.pulse_energy_pj(slots * set.row_g[i] + cols_g, dir);
  }
}

void PulsedArray::charge_half_select_trains(const std::vector<std::uint32_t>& row_slots,
                                            const std::vector<std::uint32_t>& col_slots) {
  if (!half_select_) return;
  for (std::size_t s = 0; s < sets_.size(); ++s) {
    const Devices& set = sets_[s];
    double g = 0;
    for (std::size_t i = 0; i < row_slots.size(); ++i) g += row_slots[i] * set.row_g[i];
    for (std::size_t j = 0; j < col_slots.size(); ++j) g += col_slots[j] * set.col_g[j];
    // A single cell's rows and columns pulse in a SET and a RESET phase; a
    // pair's in a SET phase on each set.
    double e = 0.25 * law_.pulse_energy_pj(g, 1);
    if (!pair()) e += 0.25 * law_.pulse_energy_pj(g, -1);
    totals_.half_select_energy_pj += e;
  }
}

void PulsedArray::sync(std::size_t k) {
  double w = sets_[0].h.data()[k];
  if (pair()) w -= static_cast<double>(sets_[1].h.data()[k]);
  const double noise = law_.write_noise();
  if (noise > 0) w += noise * c2c_.normal_at(draws_++);
  w_.data()[k] = static_cast<float>(w);
}

void PulsedArray::pulse_device(Devices& set, std::size_t k, int dir, std::uint32_t count) {
  double w = set.h.data()[k];
  double g = law_.conductance_us(set.d, k, w);
  for (std::uint32_t p = 0; p < count; ++p) {
    const double next = law_.pulse(set.d, k, w, dir, c2c_.normal_at(draws_++));
    const double g_next = law_.conductance_us(set.d, k, next);
    (dir > 0 ? totals_.set_energy_pj : totals_.reset_energy_pj) +=
        law_.pulse_energy_pj(0.5 * (g + g_next), dir);
    // The selected cell, counted in its row's and its column's half-select
    // charge, is at V: taken back out.
    if (half_select_) totals_.half_select_energy_pj -= 0.5 * law_.pulse_energy_pj(g, dir);
    w = next;
    g = g_next;
  }
  const double g_before = law_.conductance_us(set.d, k, set.h.data()[k]);
  set.h.data()[k] = static_cast<float>(w);
  moved(set, k, g_before);
  set.pulses[k] += count;
  (dir > 0 ? totals_.set_pulses : totals_.reset_pulses) += count;
}

void PulsedArray::pulse(std::size_t i, std::size_t j, int n) {
  if (n == 0) return;
  const std::size_t k = i * cols() + j;
  const auto count = static_cast<std::uint32_t>(std::abs(n));
  if (pair()) {
    pulse_device(sets_[n > 0 ? 0 : 1], k, 1, count);
  } else {
    pulse_device(sets_[0], k, n > 0 ? 1 : -1, count);
  }
  sync(k);
}

void PulsedArray::decay() {
  if (sets_[0].d.decay.empty()) return;
  for (Devices& set : sets_) {
    for (std::size_t k = 0; k < set.pulses.size(); ++k) {
      set.h.data()[k] = static_cast<float>(law_.decay(set.d, k, set.h.data()[k]));
    }
  }
  for (std::size_t k = 0; k < sets_[0].pulses.size(); ++k) sync(k);
  sum_conductances();
}

void PulsedArray::reset_pair(std::size_t k) {
  for (Devices& set : sets_) {
    if (set.stuck[k]) continue;
    const double g = conductance_us(k, static_cast<std::size_t>(&set - sets_.data()));
    // One RESET pulse, charged at the conductance it starts from.
    totals_.reset_energy_pj += law_.pulse_energy_pj(g, -1);
    totals_.reset_pulses += 1;
    set.pulses[k] += 1;
    set.h.data()[k] = static_cast<float>(law_.reset(set.d, k, c2c_.normal_at(draws_++)));
    moved(set, k, g);
  }
  totals_.refreshed += 1;
  sync(k);
}

}  // namespace xbarsim::nn
