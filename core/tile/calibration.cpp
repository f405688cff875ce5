// Calibration: drift compensation against the response at t = 0, and the
// DAC and ADC ranges set from calibration inputs.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/tile/tile.h"

namespace xbarsim::tile {

namespace {

// Nearest-rank percentile (pct in [50, 100]) of |v|: at most (100 - pct)% of
// the values lie above it.
float abs_percentile(std::vector<float> v, double pct) {
  if (v.empty()) return 0.0f;
  for (auto& a : v) a = std::abs(a);
  const auto n = v.size();
  auto rank = static_cast<std::size_t>(std::ceil(pct / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank), v.end());
  return v[rank];
}

}  // namespace

void Tile::compensate(ReadState& s) const {
  if (comp_reference_.empty()) return;
  // Drift compensation: the same calibration read at time t, one digital
  // scale per tile (global) or per column.
  const auto now = calibration_response(s, std::bit_cast<std::uint64_t>(s.t_s) | 1u);
  for (std::size_t j = 0; j < now.size(); ++j) {
    s.comp[j] = now[j] > 0 ? comp_reference_[j] / now[j] : 1.0;
  }
}

std::vector<double> Tile::calibration_response(const ReadState& s, std::uint64_t which) const {
  // One-hot inputs over every row (as aihwkit's drift compensation does).
  const auto rows = static_cast<Eigen::Index>(mapped_.rows);
  const RowMatrixF eye = RowMatrixF::Identity(rows, rows);
  const Eigen::MatrixXf y =
      read(eye, s, kit::Stream(spec_.seed, "tile", "calibration").substream(which));
  const auto cols = static_cast<std::size_t>(y.cols());
  std::vector<double> r(cols);
  if (spec_.drift_compensation == DriftCompensation::kPerColumn) {
    for (std::size_t j = 0; j < cols; ++j) {
      r[j] = static_cast<double>(y.col(static_cast<Eigen::Index>(j)).cwiseAbs().mean());
    }
  } else {
    std::fill(r.begin(), r.end(), static_cast<double>(y.cwiseAbs().mean()));
  }
  return r;
}

double Tile::dac_full_scale(const RowMatrixF& x) const {
  const auto& d = dac_->spec();
  double fs = 0;
  if (d.analog() || d.range == peripherals::DacRange::kBatchMax) {
    fs = x.size() > 0 ? static_cast<double>(x.cwiseAbs().maxCoeff()) : 0.0;
  } else if (d.range == peripherals::DacRange::kFixed) {
    fs = d.full_scale;
  } else {
    fs = dac_fs_;
  }
  return fs > 0 ? fs : 1.0;  // all-zero inputs: any full scale gives zero codes
}

double Tile::worst_case_signal(std::size_t slice) const {
  // Every driven row at v_read and every cell at the largest difference the
  // mapping can place on it (differential: g_max - g_min; offset: the
  // distance from the reference to the farther end of the window).
  const double g_min = device_->common().g_min_us, g_max = device_->common().g_max_us;
  double bound = g_max - g_min;
  if (!mapping_.differential()) {
    const double ref = mapped_.targets_neg[slice].front();
    bound = std::max(g_max - ref, ref - g_min);
  }
  return static_cast<double>(mapped_.rows) * bound;
}

void Tile::calibrate(const kit::NdArray& inputs, double t_s) {
  calibrate(checked_inputs(inputs), t_s);
}

void Tile::calibrate(const RowMatrixF& x, double t_s) {
  if (!std::isfinite(t_s) || t_s < 0) {
    throw kit::InputError(fmt::format("calibrate: time {} s must be finite and >= 0", t_s));
  }
  check_input_rows(static_cast<std::size_t>(x.cols()));
  const ReadState& s = state_at(t_s);
  if (!dac_->spec().analog() && dac_->spec().range == peripherals::DacRange::kCalibrated) {
    dac_fs_ =
        abs_percentile(std::vector<float>(x.data(), x.data() + x.size()), dac_->spec().percentile);
    dac_calibrated_ = true;
  }
  if (!adc_->spec().ideal() && adc_->spec().range == peripherals::AdcRange::kCalibrated) {
    calibrate_adc(x, s);
  }
}

void Tile::calibrate_adc(const RowMatrixF& x, const ReadState& s) {
  const auto p = dac_->encode(x, dac_full_scale(x), linear_array());
  const std::size_t cols = mapped_.cols;
  adc_range_.assign(s.slices.size() * cols, 0.0f);
  const kit::Stream noise(spec_.seed, "tile", "adc_calibration");
  const std::optional<PlaneCodes> codes = table_codes(p, s);
  for (std::size_t k = 0; k < s.slices.size(); ++k) {
    const Eigen::MatrixXf a = slice_signals(p, codes ? &*codes : nullptr, s, k, noise.substream(k));
    const auto fallback = static_cast<float>(worst_case_signal(k));
    const double pct = adc_->spec().percentile;
    float* r = adc_range_.data() + k * cols;
    if (adc_->spec().per_column) {
      for (std::size_t j = 0; j < cols; ++j) {
        const auto col = a.col(static_cast<Eigen::Index>(j));
        r[j] = abs_percentile(std::vector<float>(col.data(), col.data() + col.size()), pct);
      }
    } else {
      std::fill(r, r + cols,
                abs_percentile(std::vector<float>(a.data(), a.data() + a.size()), pct));
    }
    // A column that never saw a signal keeps the worst-case range.
    for (std::size_t j = 0; j < cols; ++j) {
      if (!(r[j] > 0)) r[j] = fallback;
    }
  }
}

}  // namespace xbarsim::tile
