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
  return {
      {"cells", cells},
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

namespace {

// Runs f(begin, end) over [0, n) in fixed chunks on the OpenMP threads. Every
// cell's result depends only on its index, so the output is the same for any
// thread count.
constexpr std::size_t kChunk = 4096;

template <class F>
void for_chunks(std::size_t n, F&& f) {
  const auto chunks = static_cast<std::ptrdiff_t>((n + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (std::ptrdiff_t c = 0; c < chunks; ++c) {
    const auto begin = static_cast<std::size_t>(c) * kChunk;
    f(begin, std::min(n, begin + kChunk));
  }
}

}  // namespace

Crossbar::Crossbar(const Device& device, kit::Stream stream) : device_(device), stream_(stream) {}

ProgramReport Crossbar::program(const std::vector<double>& targets_in, std::size_t rows,
                                std::size_t cols) {
  const DeviceCommon& c = device_.common();
  rows_ = rows;
  cols_ = cols;
  const std::size_t n = rows * cols;
  stuck_.assign(n, 0);
  xi_relax_.assign(n, 0.0);

  // Every draw comes from its own stream, indexed by cell (and pulse).
  const kit::Stream faults = stream_.substream(kit::hash_name("faults"));
  const kit::Stream d2d = stream_.substream(kit::hash_name("d2d_window"));
  const kit::Stream prog = stream_.substream(kit::hash_name("programming"));
  const kit::Stream drift = stream_.substream(kit::hash_name("drift"));
  const kit::Stream relax = stream_.substream(kit::hash_name("relaxation"));

  ProgramReport r;
  r.cells = n;
  // 1. Device window (d2d variation), faults, reachable targets.
  std::vector<double> target(targets_in.begin(),
                             targets_in.begin() + static_cast<std::ptrdiff_t>(n));
  std::vector<double> g_max_dev(n, c.g_max_us);
  if (c.d2d_window_sigma > 0) {
    d2d.fill_normal(std::span<double>(g_max_dev));
    for (auto& g : g_max_dev) g = c.g_max_us * std::max(0.0, 1.0 + c.d2d_window_sigma * g);
  }
  if (c.stuck_lrs_fraction > 0 || c.stuck_hrs_fraction > 0) {
    for (std::size_t k = 0; k < n; ++k) {
      const double u = faults.uniform_at(k);
      stuck_[k] = u < c.stuck_lrs_fraction                          ? 1
                  : u < c.stuck_lrs_fraction + c.stuck_hrs_fraction ? 2
                                                                    : 0;
    }
  }
  if (c.levels >= 2) {  // a device with discrete levels is aimed at the nearest one
    const double step = c.range_us() / (c.levels - 1);
    for (auto& t : target) t = c.g_min_us + std::round((t - c.g_min_us) / step) * step;
  }
  for (std::size_t k = 0; k < n; ++k) {
    if (stuck_[k] == 0 && (target[k] > g_max_dev[k] || target[k] < c.g_min_us)) {
      ++r.unreachable;
      target[k] = std::clamp(target[k], std::min(c.g_min_us, g_max_dev[k]), g_max_dev[k]);
    }
  }

  // 2. First pulse of every cell, vectorised: g = max(target + σ(target)·ξ, 0).
  std::vector<double> sigma(n);
  g_prog_.resize(n);
  for_chunks(n, [&](std::size_t b, std::size_t e) {
    const std::span<double> g(g_prog_.data() + b, e - b), s(sigma.data() + b, e - b);
    device_.program_sigma_us(std::span<const double>(target).subspan(b, e - b), s);
    prog.fill_normal(g, b);
    for (std::size_t k = 0; k < g.size(); ++k) g[k] = std::max(target[b + k] + s[k] * g[k], 0.0);
  });

  // 3. Write-verify: cells outside tolerance get further pulses, each
  //    redrawing the programming error, until accepted or out of budget.
  //    Stuck cells ignore programming and take no pulses. Energy is the
  //    ohmic V²·G·t of each pulse at the conductance it reached.
  std::vector<std::uint32_t> pulses(n, 1);
  const double tol_us = c.verify_tolerance * c.range_us();
  const auto budget = static_cast<std::uint32_t>(c.max_pulses);
  // Per-chunk partial sums, added in chunk order: the same for any thread count.
  struct Partial {
    double g_sum_us = 0.0;  // Σ over pulses of the conductance reached
    std::size_t failures = 0, stuck_lrs = 0, stuck_hrs = 0;
  };
  std::vector<Partial> partial(n / kChunk + 1);
  for_chunks(n, [&](std::size_t b, std::size_t e) {
    Partial& p = partial[b / kChunk];
    for (std::size_t k = b; k < e; ++k) {
      if (stuck_[k] != 0) {
        g_prog_[k] = stuck_[k] == 1 ? g_max_dev[k] : c.g_min_us;
        pulses[k] = 0;
        stuck_[k] == 1 ? ++p.stuck_lrs : ++p.stuck_hrs;
        continue;
      }
      double g = g_prog_[k];
      p.g_sum_us += g;
      if (tol_us <= 0) continue;
      while (std::abs(g - target[k]) > tol_us && pulses[k] < budget) {
        g = std::max(target[k] + sigma[k] * prog.normal_at(n + k * budget + pulses[k]), 0.0);
        p.g_sum_us += g;
        ++pulses[k];
      }
      if (std::abs(g - target[k]) > tol_us) ++p.failures;
      g_prog_[k] = g;
    }
  });
  double g_sum_us = 0.0;
  for (const Partial& p : partial) {
    g_sum_us += p.g_sum_us;
    r.verify_failures += p.failures;
    r.stuck_lrs += p.stuck_lrs;
    r.stuck_hrs += p.stuck_hrs;
  }
  r.energy_pj = g_sum_us * c.v_write_v * c.v_write_v * 1e-6 * c.t_write_ns * 1e-9 * 1e12;
  for (std::size_t i = 0; i < rows; ++i) {
    std::uint32_t row_pulses = 0;
    for (std::size_t j = 0; j < cols; ++j) {
      r.pulses += pulses[i * cols + j];
      row_pulses = std::max(row_pulses, pulses[i * cols + j]);
    }
    r.time_ns += static_cast<double>(row_pulses) * (c.t_write_ns + c.t_verify_ns);
  }

  // 5. Per-device drift exponent and relaxation draw, at the target level.
  nu_.assign(n, 0.0);
  if (!device_.is_static()) {
    std::vector<double> xi(n);
    for_chunks(n, [&](std::size_t b, std::size_t e) {
      const std::span<double> x(xi.data() + b, e - b);
      drift.fill_normal(x, b);
      device_.drift_nu(std::span<const double>(target).subspan(b, e - b), x,
                       std::span<double>(nu_).subspan(b, e - b));
      relax.fill_normal(std::span<double>(xi_relax_).subspan(b, e - b), b);
      for (std::size_t k = b; k < e; ++k) {
        if (stuck_[k] != 0) nu_[k] = 0.0;
      }
    });
  }
  return r;
}

std::vector<double> Crossbar::conductances_at(double t_s) const {
  if (device_.is_static()) return g_prog_;
  std::vector<double> g(g_prog_.size());
  for_chunks(g.size(), [&](std::size_t b, std::size_t e) {
    const auto part = [b, e](const std::vector<double>& v) {
      return std::span<const double>(v).subspan(b, e - b);
    };
    device_.conductance_at(part(g_prog_), part(nu_), part(xi_relax_), t_s,
                           std::span<double>(g).subspan(b, e - b));
    for (std::size_t k = b; k < e; ++k) g[k] = stuck_[k] ? g_prog_[k] : std::max(g[k], 0.0);
  });
  return g;
}

std::vector<double> Crossbar::read_sigma_at(const std::vector<double>& g, double t_s) const {
  std::vector<double> s(g.size());
  for_chunks(g.size(), [&](std::size_t b, std::size_t e) {
    device_.read_sigma_us(std::span<const double>(g_prog_).subspan(b, e - b),
                          std::span<const double>(g).subspan(b, e - b), t_s,
                          std::span<double>(s).subspan(b, e - b));
  });
  return s;
}

}  // namespace xbarsim::arrays
