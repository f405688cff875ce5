#include "arrays/device_fit.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "arrays/device.h"
#include "core/kit/csv_table.h"
#include "core/kit/error.h"
#include "core/kit/stats.h"

namespace xbarsim::arrays {
namespace {

constexpr std::size_t kMinCells = 5;   // per level
constexpr std::size_t kMaxExact = 32;  // distinct targets grouped exactly
constexpr std::size_t kBins = 16;      // otherwise

struct Cell {
  double target, g;
};

struct Level {
  double target = 0;  // mean target of the group
  std::size_t cells = 0;
  double sigma = 0, mean_error = 0;
};

std::vector<Cell> read_programming(const std::string& path) {
  const kit::CsvTable t = kit::CsvTable::read(path, "programming data");
  t.require({"g_target_us", "g_us"},
            "programming data names g_target_us and g_us (one row per programmed cell)");
  const long ct = t.column("g_target_us"), cg = t.column("g_us");
  std::vector<Cell> out;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const Cell c{t.number(r, ct), t.number(r, cg)};
    if (c.target < 0) {
      throw kit::InputError(
          fmt::format("{}: row {}: g_target_us {} is negative", path, t.row_number(r), c.target));
    }
    out.push_back(c);
  }
  return out;
}

// Cells grouped by target (exactly, or into equal bins when the targets
// are many), each group's σ of g − target.
std::vector<Level> levels_of(std::vector<Cell> cells) {
  std::sort(cells.begin(), cells.end(),
            [](const Cell& a, const Cell& b) { return a.target < b.target; });
  std::vector<double> distinct;
  for (const Cell& c : cells) {
    if (distinct.empty() || c.target != distinct.back()) distinct.push_back(c.target);
  }
  const double lo = cells.front().target, hi = cells.back().target;
  const auto group = [&](double target) -> std::size_t {
    if (distinct.size() <= kMaxExact) {
      return static_cast<std::size_t>(std::lower_bound(distinct.begin(), distinct.end(), target) -
                                      distinct.begin());
    }
    return std::min(kBins - 1, static_cast<std::size_t>((target - lo) / (hi - lo) * kBins));
  };
  const std::size_t n = distinct.size() <= kMaxExact ? distinct.size() : kBins;
  std::vector<double> st(n, 0), se(n, 0), se2(n, 0);
  std::vector<std::size_t> count(n, 0);
  for (const Cell& c : cells) {
    const std::size_t k = group(c.target);
    const double e = c.g - c.target;
    st[k] += c.target;
    se[k] += e;
    se2[k] += e * e;
    ++count[k];
  }
  std::vector<Level> out;
  for (std::size_t k = 0; k < n; ++k) {
    if (count[k] < kMinCells) continue;
    const double m = static_cast<double>(count[k]);
    const double mean = se[k] / m;
    const double var = std::max(se2[k] - m * mean * mean, 0.0) / (m - 1);
    out.push_back({st[k] / m, count[k], std::sqrt(var), mean});
  }
  return out;
}

// Weighted least squares of σ on x = target/g_max: coefficients low order first.
std::vector<double> polyfit(const std::vector<Level>& levels, double g_max, int degree) {
  const auto rows = static_cast<Eigen::Index>(levels.size());
  Eigen::MatrixXd a(rows, degree + 1);
  Eigen::VectorXd b(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    const Level& l = levels[static_cast<std::size_t>(i)];
    const double w = std::sqrt(static_cast<double>(l.cells)), x = l.target / g_max;
    double p = 1;
    for (int d = 0; d <= degree; ++d, p *= x) a(i, d) = w * p;
    b(i) = w * l.sigma;
  }
  const Eigen::VectorXd c = a.colPivHouseholderQr().solve(b);
  return {c.data(), c.data() + c.size()};
}

struct Drift {
  double nu_mean = 0, nu_sd = 0;
  double read_rel = 0, read_frac = 0;  // read σ = rel·g + frac·window
  std::size_t devices = 0, reads = 0, skipped = 0;
  double t_min = 0, t_max = 0;
};

// Read noise σ = a·ĝ + b from residuals r about each device's fit: for
// normal r, E|r| = √(2/π)·σ, so a and b are the least squares of
// √(π/2)·|r| on (ĝ, 1), each kept ≥ 0.
std::pair<double, double> read_noise(const std::vector<std::pair<double, double>>& res) {
  const double k = std::sqrt(std::acos(-1.0) / 2);
  kit::LineFit f;
  for (const auto& [g, r] : res) f.add(g, k * std::abs(r));
  if (f.has_slope()) {
    const double a = f.slope(), b = f.intercept();
    if (a >= 0 && b >= 0) return {a, b};
  }
  // One term only: the one that fits better.
  const double a_only = f.slope_through_origin(), b_only = f.mean_y();
  double ea = 0, eb = 0;
  for (const auto& [g, r] : res) {
    const double y = k * std::abs(r);
    ea += (y - a_only * g) * (y - a_only * g);
    eb += (y - b_only) * (y - b_only);
  }
  return ea <= eb ? std::pair{a_only, 0.0} : std::pair{0.0, b_only};
}

Drift fit_drift(const std::string& path, double t0, double window_us) {
  const kit::CsvTable t = kit::CsvTable::read(path, "relaxation data");
  t.require({"device", "t_s", "g_us"},
            "relaxation data names device, t_s (seconds after programming) and g_us");
  const long cd = t.column("device"), ct = t.column("t_s"), cg = t.column("g_us");
  std::map<std::string, std::vector<std::pair<double, double>>> reads;  // (ln((t+t0)/t0), g)
  Drift out;
  out.t_min = INFINITY;
  out.t_max = -INFINITY;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const double ts = t.number(r, ct), g = t.number(r, cg);
    if (ts < 0) {
      throw kit::InputError(
          fmt::format("{}: row {}: t_s {} is before programming", path, t.row_number(r), ts));
    }
    reads[t.text(r, cd)].emplace_back(std::log((ts + t0) / t0), g);
    out.t_min = std::min(out.t_min, ts);
    out.t_max = std::max(out.t_max, ts);
  }
  std::vector<double> nus;
  std::vector<std::pair<double, double>> residuals;  // (fitted g, read − fitted)
  for (const auto& [device, p] : reads) {
    kit::LineFit f;  // ln g = icept + slope·x
    bool positive = true;
    for (const auto& [x, g] : p) {
      positive = positive && g > 0;
      f.add(x, g > 0 ? std::log(g) : 0.0);
    }
    if (p.size() < 3 || !f.has_slope()) {
      throw kit::InputError(fmt::format(
          "{}: device \"{}\" has {} reads; a drift fit needs at least 3 reads at 2 or more "
          "different times per device",
          path, device, p.size()));
    }
    if (!positive) {  // ln g is not defined: left out, and counted
      ++out.skipped;
      continue;
    }
    const double slope = f.slope(), icept = f.intercept(), n = f.count();
    nus.push_back(-slope);
    // Two parameters per device: residuals scaled by √(n/(n − 2)).
    const double dof = std::sqrt(n / (n - 2));
    for (const auto& [x, g] : p) {
      const double fit = std::exp(icept + slope * x);
      residuals.emplace_back(fit, (g - fit) * dof);
    }
    out.reads += p.size();
  }
  if (nus.empty()) {
    throw kit::InputError(fmt::format(
        "{}: every device has a read at or below 0 uS; the drift fit needs positive reads", path));
  }
  out.devices = nus.size();
  const kit::Summary nu = kit::summarize(nus);
  out.nu_mean = nu.mean;
  out.nu_sd = nu.std;
  if (out.nu_mean < 0) {
    throw kit::InputError(fmt::format(
        "{}: the conductances rise over time (mean drift exponent {:.4g}); the table device "
        "models decay only",
        path, out.nu_mean));
  }
  const auto [a, b] = read_noise(residuals);
  out.read_rel = a;
  out.read_frac = window_us > 0 ? b / window_us : 0.0;
  return out;
}

}  // namespace

kit::Json fit_table_device(const std::string& programming_csv, const DeviceFitOptions& o,
                           const std::string& source) {
  if (o.degree < 0 || o.degree > 6) throw kit::InputError("--degree: 0 to 6");
  if (!(o.t0_s > 0)) throw kit::InputError("--t0: a positive time in seconds");
  const std::vector<Cell> cells = read_programming(programming_csv);
  if (cells.size() < kMinCells) {
    throw kit::InputError(fmt::format("{}: {} programmed cells; a fit needs at least {}",
                                      programming_csv, cells.size(), kMinCells));
  }
  const std::vector<Level> levels = levels_of(cells);
  const auto need = static_cast<std::size_t>(o.degree + 1);
  if (levels.size() < need) {
    throw kit::InputError(fmt::format(
        "{}: {} target level(s) with at least {} cells each; a degree-{} polynomial needs {}: "
        "give a lower --degree or more levels",
        programming_csv, levels.size(), kMinCells, o.degree, need));
  }
  double g_min = INFINITY, g_max = 0;
  for (const Cell& c : cells) {
    g_min = std::min(g_min, c.target);
    g_max = std::max(g_max, c.target);
  }
  if (!(g_max > 0)) {
    throw kit::InputError(fmt::format("{}: every target is 0; nothing to fit", programming_csv));
  }
  const std::vector<double> poly = polyfit(levels, g_max, o.degree);
  kit::Json lv = kit::Json::array();
  double sq = 0;
  for (const Level& l : levels) {
    const double f = polyval_low_first(poly, l.target / g_max);
    sq += (l.sigma - f) * (l.sigma - f);
    lv.push_back({{"target_us", l.target},
                  {"cells", l.cells},
                  {"sigma_us", l.sigma},
                  {"fitted_sigma_us", f},
                  {"mean_error_us", l.mean_error}});
  }
  kit::Json fit = {{"model", "table"},
                   {"programmed_cells", cells.size()},
                   {"levels", lv},
                   {"rms_sigma_residual_us", std::sqrt(sq / static_cast<double>(levels.size()))}};
  std::string assumptions =
      "programming sigma fitted to the spread of g - target per target level; the mean "
      "programming error is reported (fit.levels) but not modelled";
  kit::Json preset = {{"impl", "table"},
                      {"source", source},
                      {"g_min_us", g_min},
                      {"g_max_us", g_max},
                      {"program_sigma_poly_us", poly},
                      {"drift_t0_s", o.t0_s}};
  if (!o.relaxation_csv.empty()) {
    const Drift d = fit_drift(o.relaxation_csv, o.t0_s, g_max - g_min);
    preset.update({{"drift_nu_mean", std::min(d.nu_mean, 1.0)},
                   {"drift_nu_sigma", std::min(d.nu_sd, 1.0)},
                   {"read_sigma_rel", std::min(d.read_rel, 1.0)},
                   {"read_sigma_frac", std::min(d.read_frac, 1.0)}});
    fit["relaxation"] = {{"devices", d.devices}, {"devices_left_out", d.skipped},
                         {"reads", d.reads},     {"t_range_s", {d.t_min, d.t_max}},
                         {"nu_mean", d.nu_mean}, {"nu_sd", d.nu_sd}};
    assumptions +=
        "; drift g = g0*((t + t0)/t0)^-nu per device, one nu distribution for every level; "
        "read noise from the residuals about each device's fit (read noise and any departure "
        "from the power law together); devices with a read at or below 0 are left out of the "
        "drift fit (fit.relaxation.devices_left_out)";
  }
  preset["assumptions"] = assumptions;
  preset["fit"] = fit;
  return preset;
}

}  // namespace xbarsim::arrays
