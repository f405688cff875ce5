#include "arrays/crossbar.h"

#include <algorithm>
#include <cmath>

namespace xbarsim::arrays {

void ProgramReport::add(const ProgramReport& o) {
  cells += o.cells;
  pulses += o.pulses;
  verify_failures += o.verify_failures;
  unreachable += o.unreachable;
  stuck_lrs += o.stuck_lrs;
  stuck_hrs += o.stuck_hrs;
  clipped_weights += o.clipped_weights;
  energy_pj += o.energy_pj;
  time_ns += o.time_ns;
}

kit::Json ProgramReport::to_json() const {
  return {{"cells", cells},
          {"pulses", pulses},
          {"pulses_per_cell", cells ? static_cast<double>(pulses) / static_cast<double>(cells) : 0.0},
          {"verify_failures", verify_failures},
          {"unreachable_targets", unreachable},
          {"stuck_lrs", stuck_lrs},
          {"stuck_hrs", stuck_hrs},
          {"clipped_weights", clipped_weights},
          {"write_energy_pj", energy_pj},
          {"write_time_ns", time_ns}};
}

Crossbar::Crossbar(const Device& device, kit::Stream stream)
    : device_(device), stream_(stream) {}

ProgramReport Crossbar::program(const std::vector<double>& targets, std::size_t rows,
                                std::size_t cols) {
  const DeviceCommon& c = device_.common();
  rows_ = rows;
  cols_ = cols;
  const std::size_t n = rows * cols;
  g_prog_.assign(n, 0.0);
  nu_.assign(n, 0.0);
  xi_relax_.assign(n, 0.0);
  stuck_.assign(n, 0);

  // Faults and device-to-device window, drawn per cell from their own streams.
  const kit::Stream faults = stream_.substream(kit::hash_name("faults"));
  const kit::Stream d2d = stream_.substream(kit::hash_name("d2d_window"));
  const kit::Stream prog = stream_.substream(kit::hash_name("programming"));
  const kit::Stream drift = stream_.substream(kit::hash_name("drift"));
  const kit::Stream relax = stream_.substream(kit::hash_name("relaxation"));
  std::vector<double> xi_window(n, 0.0), xi_first(n), xi_nu(n);
  if (c.d2d_window_sigma > 0) d2d.fill_normal(std::span<double>(xi_window));
  // The first pulse of every cell in one vectorised fill; retries draw singly.
  const auto max_pulses = static_cast<std::uint64_t>(c.max_pulses);
  prog.fill_normal(std::span<double>(xi_first));
  if (!device_.is_static()) {
    drift.fill_normal(std::span<double>(xi_nu));
    relax.fill_normal(std::span<double>(xi_relax_));
  }
  const bool faults_on = c.stuck_lrs_fraction > 0 || c.stuck_hrs_fraction > 0;
  const double tol_us = c.verify_tolerance * c.range_us();
  const double pulse_pj_per_us = c.v_write_v * c.v_write_v * 1e-6 * c.t_write_ns * 1e-9 * 1e12;

  ProgramReport r;
  r.cells = n;
  for (std::size_t i = 0; i < rows; ++i) {
    std::uint64_t row_pulses = 0;
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t idx = i * cols + j;
      const double g_max_dev = c.g_max_us * std::max(0.0, 1.0 + c.d2d_window_sigma * xi_window[idx]);
      if (faults_on) {
        const double u = faults.uniform_at(idx);
        if (u < c.stuck_lrs_fraction) {
          stuck_[idx] = 1;
          g_prog_[idx] = g_max_dev;
          ++r.stuck_lrs;
          continue;
        }
        if (u < c.stuck_lrs_fraction + c.stuck_hrs_fraction) {
          stuck_[idx] = 2;
          g_prog_[idx] = c.g_min_us;
          ++r.stuck_hrs;
          continue;
        }
      }
      double target = targets[idx];
      if (target > g_max_dev || target < c.g_min_us) {
        ++r.unreachable;
        target = std::clamp(target, std::min(c.g_min_us, g_max_dev), g_max_dev);
      }
      const double sigma = device_.program_sigma_us(target);
      double g = std::max(target + sigma * xi_first[idx], 0.0);
      std::uint64_t pulses = 1;
      r.energy_pj += pulse_pj_per_us * g;
      if (tol_us > 0) {
        // Write-verify: each further pulse redraws the programming error.
        while (std::abs(g - target) > tol_us && pulses < max_pulses) {
          g = std::max(target + sigma * prog.normal_at(n + idx * max_pulses + pulses), 0.0);
          ++pulses;
          r.energy_pj += pulse_pj_per_us * g;
        }
        if (std::abs(g - target) > tol_us) ++r.verify_failures;
      }
      g_prog_[idx] = g;
      // The drift statistics are fitted per target level (Joshi 2020; aihwkit
      // draws nu from g_target), so the programming spread is not counted twice.
      nu_[idx] = device_.drift_nu(target, xi_nu[idx]);
      r.pulses += pulses;
      row_pulses = std::max(row_pulses, pulses);
    }
    r.time_ns += static_cast<double>(row_pulses) * (c.t_write_ns + c.t_verify_ns);
  }
  return r;
}

std::vector<double> Crossbar::conductances_at(double t_s) const {
  if (device_.is_static()) return g_prog_;
  std::vector<double> g(g_prog_.size());
  for (std::size_t k = 0; k < g.size(); ++k) {
    g[k] = stuck_[k] ? g_prog_[k]
                     : std::max(device_.conductance_at(g_prog_[k], nu_[k], t_s, xi_relax_[k]), 0.0);
  }
  return g;
}

std::vector<double> Crossbar::read_sigma_at(const std::vector<double>& g, double t_s) const {
  std::vector<double> s(g.size());
  for (std::size_t k = 0; k < g.size(); ++k) s[k] = device_.read_sigma_us(g_prog_[k], g[k], t_s);
  return s;
}

}  // namespace xbarsim::arrays
