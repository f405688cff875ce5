// The tile's periphery: X -> DAC -> arrays -> ADC -> shift-add -> Y, with
// every action counted and priced.
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
  for (std::size_t k = 0; k < s.slices.size(); ++k) {
    const Eigen::MatrixXf a = slice_signals(p, s, k, noise.substream(k));
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

Eigen::MatrixXf Tile::slice_signals(const peripherals::DacPlanes& p, const ReadState& s,
                                    std::size_t slice, const kit::Stream& noise) const {
  const auto batch = static_cast<Eigen::Index>(p.batch);
  Eigen::MatrixXf a;
  const Readout& r = s.slices[slice];
  if (s.circuits.empty() && p.planes() == p.groups()) {
    if (p.ternary && !r.table.empty()) {
      r.table.multiply(p.v, a);
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
  add_noise(amp, r, noise, a, p.ternary && &amp == &p.v);
  return a;
}

Eigen::MatrixXf Tile::read_converted(const peripherals::DacPlanes& p, const ReadState& s,
                                     const kit::Stream& noise, const kit::Stream& adc_noise,
                                     std::size_t& clipped) const {
  const auto batch = static_cast<Eigen::Index>(p.batch);
  const auto cols = static_cast<Eigen::Index>(mapped_.cols);
  const auto groups = static_cast<Eigen::Index>(p.groups());
  Eigen::MatrixXf y = Eigen::MatrixXf::Zero(batch, cols);
  std::size_t clip = 0;
  for (std::size_t k = 0; k < s.slices.size(); ++k) {
    Eigen::MatrixXf a = slice_signals(p, s, k, noise.substream(16 + k));
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

int Tile::accumulator_bits(const std::vector<double>& group_weights) const {
  return shift_add_->width(adc_->spec().ideal() ? 0 : adc_->spec().bits, group_weights,
                           mapped_.slice_weight);
}

Tile::PlaneStats Tile::plane_stats(const float* v, Eigen::Index n, Eigen::Index rows,
                                   const Eigen::VectorXf& g, bool durations) {
  // Largest |v|, Σ v²·g or Σ |v|·g (read energy), nonzeros (pulses); Eigen's
  // reductions vectorize where a plain float loop may not reassociate.
  const Eigen::Map<const RowMatrixF> m(v, n, rows);
  PlaneStats st;
  if (m.size() == 0) return st;
  st.max_abs = static_cast<double>(m.cwiseAbs().maxCoeff());
  st.energy = static_cast<double>(durations ? (m.cwiseAbs() * g).sum() : (m.cwiseAbs2() * g).sum());
  st.nnz = static_cast<std::uint64_t>((m.array() != 0.0f).count());
  return st;
}

Actions Tile::count_actions(const peripherals::DacPlanes& p, const std::vector<PlaneStats>& stats,
                            double v_scale) const {
  const auto& dac = dac_->spec();
  const auto& adc = adc_->spec();
  const auto slices = static_cast<std::uint64_t>(mapped_.slices);
  const auto groups = static_cast<std::uint64_t>(p.groups());
  const int acc_bits = accumulator_bits(p.weight);
  GroupShape group;
  group.rows = mapped_.rows;
  group.cols = mapped_.cols;
  group.slices = slices;
  group.polarity = mapping_.differential() ? 2 : 1;
  group.cycles = static_cast<std::uint64_t>(dac_->cycles());
  group.groups = groups;
  group.dac_bits = dac.analog() ? 0 : dac.bits;
  group.adc_bits = adc.ideal() ? 0 : adc.bits;
  group.accumulator_bits = acc_bits;
  const auto batch = static_cast<std::uint64_t>(p.batch);
  Actions a = tile::count_actions(group, batch);

  // Array: Σ V²·G·t over the cells read (µS·V²·ns = 1e-3 pJ), from the
  // conductances; the wires' own dissipation is not included. A pulse-width
  // plane holds durations at full v_read.
  double e = 0;
  for (std::size_t k = 0; k < stats.size(); ++k) {
    if (p.duration_coded) {
      const double t_full = static_cast<double>(dac.levels()) * dac.t_lsb_ns;
      e += t_full * static_cast<double>(p.frac[k]) * stats[k].energy * v_scale;
    } else {
      e += spec_.array.t_read_ns * stats[k].energy * v_scale * v_scale;
    }
    // A pulse-width group's later planes are the same pulses still on.
    if (!p.duration_coded || k == 0 || p.group[k] != p.group[k - 1]) {
      a.dac_pulses += stats[k].nnz * slices;
    }
  }
  const double v_read = spec_.array.v_read_v;
  a.array_pj = v_read * v_read * e * 1e-3;
  const auto adc_cost = adc_->cost(spec_.node_nm);
  const auto sa_cost = shift_add_->cost(spec_.node_nm, acc_bits);
  a.dac_pj = static_cast<double>(a.dac_conversions) * dac_->cost(spec_.node_nm).energy_pj;
  const auto shape = dac_->conversion_shape();
  a.adc_pj = static_cast<double>(a.adc_conversions) *
             adc_->conversion_pj(spec_.node_nm, shape.planes, shape.steps);
  a.shift_add_pj = static_cast<double>(a.shift_adds) * sa_cost.energy_pj;
  // Vectors one after another; each vector's reads, then its conversions on
  // ADCs shared by share_columns columns.
  const double share = adc.ideal() ? 0.0 : static_cast<double>(adc.share_columns);
  a.latency_ns =
      static_cast<double>(batch) * (dac_->read_ns(spec_.array.t_read_ns) +
                                    static_cast<double>(groups) * share * adc_cost.t_conv_ns);
  return a;
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
    const auto p = dac_->encode(x, dac_full_scale(x), linear_array());
    std::size_t clipped = 0;
    if (adc_->spec().ideal()) {
      y = read_combined(p, s, noise);
    } else {
      y = read_converted(p, s, noise, kit::Stream(spec_.seed, "adc", "noise").substream(read_index),
                         clipped);
    }
    std::vector<PlaneStats> stats(p.planes());
    const auto batch = static_cast<Eigen::Index>(p.batch);
    const auto planes = static_cast<std::ptrdiff_t>(p.planes());
#pragma omp parallel for schedule(static) if (p.v.size() > 16384)
    for (std::ptrdiff_t k = 0; k < planes; ++k) {
      stats[static_cast<std::size_t>(k)] = plane_stats(p.v.data() + k * batch * p.v.cols(), batch,
                                                       p.v.cols(), s.row_g_us, p.duration_coded);
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

namespace xbarsim::tile {

kit::Json Tile::costs_json() const {
  if (!programmed()) throw kit::InputError("costs: the tile has no weights; program it first");
  const auto rows = static_cast<double>(mapped_.rows);
  const auto slices = static_cast<double>(mapped_.slices);
  const auto dac = dac_->cost(spec_.node_nm);
  const auto adc = adc_->cost(spec_.node_nm);
  const int acc_bits = accumulator_bits(dac_->group_weights(linear_array()));
  const auto sa = shift_add_->cost(spec_.node_nm, acc_bits);
  // A slice's G+ and G- (or G and reference) columns share its row drivers
  // and their difference goes to one ADC per share_columns columns.
  const double dacs = rows * slices;
  const double adcs =
      adc_->spec().ideal()
          ? 0.0
          : slices * std::ceil(static_cast<double>(mapped_.cols) / adc_->spec().share_columns);
  const double dac_area = dac_->spec().analog() ? 0.0 : dacs * dac.area_um2;
  const double adc_area = adcs * adc.area_um2;
  const double sa_area = adcs * sa.area_um2;
  return {{"node_nm", spec_.node_nm},
          {"dac",
           {{"count", dacs},
            {"energy_pj_per_conversion", dac.energy_pj},
            {"cycles_per_vector", dac_->cycles()},
            {"read_ns_per_vector", dac_->read_ns(spec_.array.t_read_ns)},
            {"conversions_per_vector", dac_->conversions()},
            {"area_um2", dac_area}}},
          {"adc",
           {{"count", adcs},
            {"energy_pj_per_conversion",
             adc_->conversion_pj(spec_.node_nm, dac_->conversion_shape().planes,
                                 dac_->conversion_shape().steps)},
            {"t_conv_ns", adc.t_conv_ns},
            {"area_um2", adc_area}}},
          {"shift_add",
           {{"count", adcs},
            {"accumulator_bits", acc_bits},
            {"energy_pj_per_add", sa.energy_pj},
            {"area_um2", sa_area}}},
          {"area_um2",
           {{"dac", dac_area},
            {"adc", adc_area},
            {"shift_add", sa_area},
            {"total", dac_area + adc_area + sa_area}}}};
}

}  // namespace xbarsim::tile
