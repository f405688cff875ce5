#include "core/nn/in_situ/pulsed_array.h"

#include <algorithm>
#include <cmath>

namespace xbarsim::nn {

void PulseTotals::add(const PulseTotals& o) {
  set_pulses += o.set_pulses;
  reset_pulses += o.reset_pulses;
  set_energy_pj += o.set_energy_pj;
  reset_energy_pj += o.reset_energy_pj;
  latency_ns += o.latency_ns;
  refreshed += o.refreshed;
  refresh_reads += o.refresh_reads;
}

kit::Json PulseTotals::to_json() const {
  return {{"set_pulses", set_pulses},
          {"reset_pulses", reset_pulses},
          {"write_energy_pj", energy_pj()},
          {"set_energy_pj", set_energy_pj},
          {"reset_energy_pj", reset_energy_pj},
          {"write_latency_ns", latency_ns},
          {"refreshed", refreshed},
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
    Devices set{law.draw(n, s == 0 ? draws : draws.substream(2)), w_,
                std::vector<std::uint32_t>(n, 0), std::vector<bool>(n, false)};
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
    w = next;
    g = g_next;
  }
  set.h.data()[k] = static_cast<float>(w);
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
  }
  totals_.refreshed += 1;
  sync(k);
}

}  // namespace xbarsim::nn
