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
}

kit::Json PulseTotals::to_json() const {
  return {{"set_pulses", set_pulses},           {"reset_pulses", reset_pulses},
          {"write_energy_pj", energy_pj()},     {"set_energy_pj", set_energy_pj},
          {"reset_energy_pj", reset_energy_pj}, {"write_latency_ns", latency_ns}};
}

PulsedArray::PulsedArray(const arrays::UpdateModel& law, std::size_t rows, std::size_t cols,
                         const kit::Stream& draws, kit::Stream c2c)
    : law_(law),
      d_(law.draw(rows * cols, draws)),
      w_(RowMatrixF::Zero(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols))),
      c2c_(c2c),
      pulses_(rows * cols, 0),
      stuck_(rows * cols, false),
      stuck_state_(draws.substream(1)) {
  for (std::size_t k = 0; k < rows * cols; ++k) {
    max_abs_bound_ = std::max({max_abs_bound_, std::abs(d_.w_min[k]), std::abs(d_.w_max[k])});
    stuck_[k] = d_.scale_up[k] == 0.0 && d_.scale_down[k] == 0.0;
  }
}

void PulsedArray::write(const RowMatrixF& w0) {
  for (std::size_t k = 0; k < pulses_.size(); ++k) {
    const double lo = d_.w_min[k], hi = d_.w_max[k];
    const double v = stuck_[k] ? lo + (hi - lo) * stuck_state_.uniform_at(k)
                               : std::clamp(static_cast<double>(w0.data()[k]), lo, hi);
    w_.data()[k] = static_cast<float>(v);
  }
}

void PulsedArray::pulse(std::size_t i, std::size_t j, int n) {
  if (n == 0) return;
  const std::size_t k = i * cols() + j;
  const int dir = n > 0 ? 1 : -1;
  const auto count = static_cast<std::uint32_t>(std::abs(n));
  double w = w_.data()[k];
  double g = law_.conductance_us(d_, k, w);
  for (std::uint32_t p = 0; p < count; ++p) {
    const double next = law_.pulse(d_, k, w, dir, c2c_.normal_at(draws_++));
    const double g_next = law_.conductance_us(d_, k, next);
    (dir > 0 ? totals_.set_energy_pj : totals_.reset_energy_pj) +=
        law_.pulse_energy_pj(0.5 * (g + g_next), dir);
    w = next;
    g = g_next;
  }
  w_.data()[k] = static_cast<float>(w);
  pulses_[k] += count;
  (dir > 0 ? totals_.set_pulses : totals_.reset_pulses) += count;
}

}  // namespace xbarsim::nn
