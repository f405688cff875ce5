// The tile's read path: X -> DAC -> arrays -> ADC -> shift-add -> Y (the counts
// and costs of each VMM: costs.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/tile/tile.h"

namespace xbarsim::tile {

Eigen::MatrixXf Tile::read_combined(const peripherals::DacPlanes& p, const ReadState& s,
                                    const kit::Stream& noise) const {
  // With an ideal ADC the planes' reads add linearly: the signal is the
  // dequantized input through the array, and the read noise of the separate
  // reads adds in variance: u_i² = Σ_g (lsb·W_g·ν_gi)², exact in distribution.
  const auto batch = static_cast<Eigen::Index>(p.batch), rows = p.v.cols();
  RowMatrixF storage;
  const RowMatrixF& amp = group_amplitudes(p, storage);
  RowMatrixF u2 = RowMatrixF::Zero(batch, rows);
  for (std::size_t g = 0; g < p.groups(); ++g) {
    const auto w = static_cast<float>(p.lsb * p.weight[g]);
    u2 += (w * w) * amp.middleRows(static_cast<Eigen::Index>(g) * batch, batch).cwiseAbs2();
  }
  Eigen::MatrixXf y;
  if (s.circuits.empty()) {
    RowMatrixF xq = RowMatrixF::Zero(batch, rows);
    for (std::size_t k = 0; k < p.planes(); ++k) {
      const auto w = static_cast<float>(p.lsb * p.weight[p.group[k]]) * p.frac[k];
      xq += w * p.v.middleRows(static_cast<Eigen::Index>(k) * batch, batch);
    }
    kit::gemm(y, xq, s.total.w);
  } else {
    const Eigen::MatrixXf sig = circuit_signal(p.v, s, -1);
    y = Eigen::MatrixXf::Zero(batch, sig.cols());
    for (std::size_t k = 0; k < p.planes(); ++k) {
      const auto w = static_cast<float>(p.lsb * p.weight[p.group[k]]) * p.frac[k];
      y += w * sig.middleRows(static_cast<Eigen::Index>(k) * batch, batch);
    }
  }
  add_noise(u2.cwiseSqrt(), s.total, noise, y);
  return y;
}

const RowMatrixF& Tile::group_amplitudes(const peripherals::DacPlanes& p, RowMatrixF& amp) {
  // A group's planes share one read's noise: conductance fluctuations are
  // slow next to a read.
  if (p.planes() == p.groups()) return p.v;
  const auto batch = static_cast<Eigen::Index>(p.batch);
  amp = RowMatrixF::Zero(static_cast<Eigen::Index>(p.groups()) * batch, p.v.cols());
  for (std::size_t k = 0; k < p.planes(); ++k) {
    amp.middleRows(static_cast<Eigen::Index>(p.group[k]) * batch, batch) +=
        p.frac[k] * p.v.middleRows(static_cast<Eigen::Index>(k) * batch, batch).cwiseAbs();
  }
  return amp;
}

bool Tile::packed_reads(const ReadState& s) const {
  if (!dac_->packs() || dac_->conversions() != dac_->cycles() || !s.circuits.empty() ||
      s.slices.empty()) {
    return false;
  }
  for (const Readout& r : s.slices) {
    if (r.table.empty()) return false;
  }
  switch (spec_.read_noise.mode) {
    case arrays::ReadNoiseMode::kOff:
      return true;
    case arrays::ReadNoiseMode::kOutputReferred:
      return mapping_.differential();
    default:
      return false;  // per-device draws read the planes entry by entry
  }
}

std::optional<PlaneCodes> Tile::table_codes(const peripherals::DacPlanes& p,
                                            const ReadState& s) const {
  if (!p.ternary || !s.circuits.empty() || p.planes() != p.groups() || s.slices.empty() ||
      s.slices.front().table.empty()) {
    return std::nullopt;
  }
  return PlaneCodes(p.v);
}

Eigen::MatrixXf Tile::slice_signals(const peripherals::DacPlanes& p, const PlaneCodes* codes,
                                    const ReadState& s, std::size_t slice,
                                    const kit::Stream& noise) const {
  const auto batch = static_cast<Eigen::Index>(p.batch);
  Eigen::MatrixXf a;
  const Readout& r = s.slices[slice];
  if (s.circuits.empty() && p.planes() == p.groups()) {
    if (codes != nullptr && !r.table.empty()) {
      r.table.multiply(*codes, a);
    } else {
      kit::gemm(a, p.v, r.w);
    }
  } else if (s.circuits.empty()) {
    // Several planes integrated per conversion through a linear array: the
    // group's charge is that of its weighted voltage sum.
    RowMatrixF vg = RowMatrixF::Zero(static_cast<Eigen::Index>(p.groups()) * batch, p.v.cols());
    for (std::size_t k = 0; k < p.planes(); ++k) {
      vg.middleRows(static_cast<Eigen::Index>(p.group[k]) * batch, batch) +=
          p.frac[k] * p.v.middleRows(static_cast<Eigen::Index>(k) * batch, batch);
    }
    kit::gemm(a, vg, r.w);
  } else {
    const Eigen::MatrixXf sig = circuit_signal(p.v, s, static_cast<int>(slice));
    a = Eigen::MatrixXf::Zero(static_cast<Eigen::Index>(p.groups()) * batch, sig.cols());
    for (std::size_t k = 0; k < p.planes(); ++k) {
      a.middleRows(static_cast<Eigen::Index>(p.group[k]) * batch, batch) +=
          p.frac[k] * sig.middleRows(static_cast<Eigen::Index>(k) * batch, batch);
    }
  }
  RowMatrixF storage;
  const RowMatrixF& amp = group_amplitudes(p, storage);
  add_noise(amp, r, noise, a, &amp == &p.v ? codes : nullptr);
  return a;
}

Eigen::MatrixXf Tile::read_converted(const peripherals::DacPlanes& p, const PlaneCodes* packed,
                                     const ReadState& s, const kit::Stream& noise,
                                     const kit::Stream& adc_noise, std::size_t& clipped) const {
  const auto batch = static_cast<Eigen::Index>(p.batch);
  const auto cols = static_cast<Eigen::Index>(mapped_.cols);
  const auto groups = static_cast<Eigen::Index>(p.groups());
  Eigen::MatrixXf y = Eigen::MatrixXf::Zero(batch, cols);
  std::size_t clip = 0;
  const std::optional<PlaneCodes> own = packed != nullptr ? std::nullopt : table_codes(p, s);
  const PlaneCodes* codes = packed != nullptr ? packed : own ? &*own : nullptr;
  for (std::size_t k = 0; k < s.slices.size(); ++k) {
    Eigen::MatrixXf a = slice_signals(p, codes, s, k, noise.substream(16 + k));
    const auto& bank = adc_banks_[k];
    const float* range = adc_range_.data() + k * static_cast<std::size_t>(cols);
    const kit::Stream conv = adc_noise.substream(k);
    const double sw = mapped_.slice_weight[k];
#pragma omp parallel for schedule(static) reduction(+ : clip)
    for (Eigen::Index j = 0; j < cols; ++j) {
      const auto col = static_cast<std::size_t>(j);
      std::span<float> values(a.col(j).data(), static_cast<std::size_t>(a.rows()));
      clip += bank.convert(values, col, range[col], conv,
                           static_cast<std::uint64_t>(j) * static_cast<std::uint64_t>(a.rows()));
      // Shift-add: groups by their digital weights, slices by theirs.
      const auto c = static_cast<float>(p.lsb * sw * mapped_.col_scale[col]);
      for (Eigen::Index g = 0; g < groups; ++g) {
        const auto w = c * static_cast<float>(p.weight[static_cast<std::size_t>(g)]);
        y.col(j) += w * a.col(j).segment(g * batch, batch);
      }
    }
  }
  clipped = clip;
  return y;
}

Eigen::MatrixXf Tile::vmm_uncompensated(const RowMatrixF& x, double t_s, const ReadState*& state) {
  if (!std::isfinite(t_s) || t_s < 0) {
    throw kit::InputError(fmt::format("vmm: time {} s must be finite and >= 0", t_s));
  }
  check_input_rows(static_cast<std::size_t>(x.cols()));
  const bool dac_pending = !dac_->spec().analog() &&
                           dac_->spec().range == peripherals::DacRange::kCalibrated &&
                           !dac_calibrated_;
  const bool adc_pending = !adc_->spec().ideal() &&
                           adc_->spec().range == peripherals::AdcRange::kCalibrated &&
                           adc_range_.empty();
  if (dac_pending || adc_pending) calibrate(x, t_s);
  const ReadState& s = state_at(t_s);
  state = &s;
  const std::uint64_t read_index = reads_++;
  const kit::Stream noise = kit::Stream(spec_.seed, "tile", "read_noise").substream(read_index);
  Eigen::MatrixXf y;
  if (dac_->spec().analog() && adc_->spec().ideal()) {
    // Inputs applied as they are (the batch's largest |x| at v_read), one read.
    const auto st = plane_stats(x.data(), x.rows(), x.cols(), s.row_g_us, false);
    const double x_fs = st.max_abs > 0 ? st.max_abs : 1.0;
    y = read(x, s, noise);
    peripherals::DacPlanes meta;
    meta.batch = static_cast<std::size_t>(x.rows());
    meta.group = {0};
    meta.frac = {1.0f};
    meta.weight = {x_fs};
    last_actions_ = count_actions(meta, {st}, 1.0 / x_fs);
  } else {
    // Packed planes go from the DAC's integer codes straight to the lookup
    // tables' codes: the float planes are never written.
    const bool packed = packed_reads(s);
    const double x_fs = dac_full_scale(x);
    const auto p = packed ? dac_->encode_packed(x, x_fs) : dac_->encode(x, x_fs, linear_array());
    const std::optional<PlaneCodes> codes =
        packed ? std::optional<PlaneCodes>(PlaneCodes(p)) : std::nullopt;
    std::size_t clipped = 0;
    if (adc_->spec().ideal()) {
      y = read_combined(p, s, noise);
    } else {
      y = read_converted(p, codes ? &*codes : nullptr, s, noise,
                         kit::Stream(spec_.seed, "adc", "noise").substream(read_index), clipped);
    }
    std::vector<PlaneStats> stats(p.planes());
    const auto batch = static_cast<Eigen::Index>(p.batch);
    const auto planes = static_cast<std::ptrdiff_t>(p.planes());
    if (codes) {
      const std::vector<double> sums = PlaneCodes::group_sums(s.row_g_us);
#pragma omp parallel for schedule(static) if (codes->rows * codes->groups > 16384)
      for (std::ptrdiff_t k = 0; k < planes; ++k) {
        stats[static_cast<std::size_t>(k)] = plane_stats(*codes, k * batch, batch, sums);
      }
    } else {
#pragma omp parallel for schedule(static) if (p.v.size() > 16384)
      for (std::ptrdiff_t k = 0; k < planes; ++k) {
        stats[static_cast<std::size_t>(k)] = plane_stats(p.v.data() + k * batch * p.v.cols(), batch,
                                                         p.v.cols(), s.row_g_us, p.duration_coded);
      }
    }
    last_actions_ = count_actions(p, stats, 1.0);
    last_actions_.adc_clipped = clipped;
  }
  total_actions_.add(last_actions_);
  return y;
}

kit::NdArray Tile::vmm(const kit::NdArray& inputs, double t_s) {
  const ReadState* state = nullptr;
  const Eigen::MatrixXf y = vmm_uncompensated(checked_inputs(inputs), t_s, state);
  const ReadState& s = *state;
  kit::NdArray out{{static_cast<std::size_t>(y.rows()), static_cast<std::size_t>(y.cols())}, {}};
  out.data.resize(out.size());
  // Col-major y into row-major doubles, 16 columns at a time so both sides
  // stream through whole cache lines.
  const Eigen::Index rows = y.rows(), cols = y.cols();
  constexpr Eigen::Index kCols = 16;
#pragma omp parallel for schedule(static) if (y.size() > 4096)
  for (Eigen::Index j0 = 0; j0 < cols; j0 += kCols) {
    const Eigen::Index jn = std::min(kCols, cols - j0);
    for (Eigen::Index b = 0; b < rows; ++b) {
      double* row = out.data.data() + b * cols;
      for (Eigen::Index j = j0; j < j0 + jn; ++j) {
        row[j] = static_cast<double>(y(b, j)) * s.comp[static_cast<std::size_t>(j)];
      }
    }
  }
  return out;
}

RowMatrixF Tile::vmm(const RowMatrixF& x, double t_s, bool compensate) {
  const ReadState* state = nullptr;
  Eigen::MatrixXf y = vmm_uncompensated(x, t_s, state);
  if (compensate && spec_.drift_compensation != DriftCompensation::kNone) {
    for (Eigen::Index j = 0; j < y.cols(); ++j) {  // contiguous columns
      y.col(j) *= static_cast<float>(state->comp[static_cast<std::size_t>(j)]);
    }
  }
  return y;  // to row-major
}

}  // namespace xbarsim::tile
