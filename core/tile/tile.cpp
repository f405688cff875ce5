#include "core/tile/tile.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/kit/io.h"

namespace xbarsim::tile {

Tile::Tile(TileSpec spec, const kit::Registry& registry)
    : spec_(std::move(spec)),
      device_(registry.build<arrays::Device>("device", spec_.device)),
      circuit_(spec_.circuit(spec_.array.rows, spec_.array.cols)),
      solver_(spec_.solver_spec()),
      mapping_(spec_.mapping, device_->common().g_min_us, device_->common().g_max_us,
               device_->common().levels),
      dac_(registry.build<peripherals::Dac>("dac", spec_.dac)),
      adc_(registry.build<peripherals::Adc>("adc", spec_.adc)),
      shift_add_(std::make_unique<peripherals::ShiftAdd>(
          peripherals::ShiftAddSpec::from_json(spec_.shift_add))) {}

const arrays::ProgramReport& Tile::program(const kit::NdArray& w) {
  const auto shape = kit::matrix_shape(w, "weights", false);
  kit::require_tile_range(w, "weights");
  const std::size_t rows = shape.rows, cols = shape.cols;
  if (rows > spec_.array.rows || cols > spec_.array.cols) {
    throw kit::InputError(fmt::format(
        "weights: shape {} does not fit the {} x {} array; raise array.rows/array.cols or split "
        "the matrix",
        w.shape_text(), spec_.array.rows, spec_.array.cols));
  }
  kit::require_memory(
      spec_.memory_bytes(rows, cols, 0),
      fmt::format("programming a {} x {} weight block ({} weight bits on {}-bit "
                  "cells)",
                  rows, cols, spec_.mapping.weight_bits, spec_.mapping.bits_per_cell),
      "use fewer slices (mapping.weight_bits / bits_per_cell) or a smaller array");
  weights_ = w;
  mapped_ = mapping_.map(w.data, rows, cols);

  crossbars_pos_.clear();
  crossbars_neg_.clear();
  report_ = arrays::ProgramReport{};
  array_reports_.clear();
  const kit::Stream base(spec_.seed, "tile", "crossbar");
  const bool diff = mapping_.differential();
  for (std::size_t k = 0; k < static_cast<std::size_t>(mapped_.slices); ++k) {
    crossbars_pos_.emplace_back(*device_, base.substream(2 * k));
    crossbars_neg_.emplace_back(*device_, base.substream(2 * k + 1));
    array_reports_.push_back(crossbars_pos_.back().program(mapped_.targets_pos[k], rows, cols));
    array_reports_.push_back(
        crossbars_neg_.back().program(mapped_.targets_neg[k], rows, diff ? cols : 1));
  }
  for (const auto& r : array_reports_) report_.add(r);
  report_.clipped_weights = mapped_.clipped;
  reads_ = 0;
  comp_reference_.clear();
  state_.reset();
  dac_calibrated_ = false;
  adc_range_.clear();
  adc_banks_.clear();
  last_actions_ = total_actions_ = Actions{};
  if (!adc_->spec().ideal()) {
    const kit::Stream errors(spec_.seed, "adc", "errors");
    for (std::size_t k = 0; k < static_cast<std::size_t>(mapped_.slices); ++k) {
      adc_banks_.emplace_back(adc_->spec(), cols, errors.substream(k));
    }
    if (adc_->spec().range != peripherals::AdcRange::kCalibrated) {
      adc_range_.resize(adc_banks_.size() * cols);
      for (std::size_t k = 0; k < adc_banks_.size(); ++k) {
        // Ranges in µS·v_read units: a fixed current divided by v_read.
        const double r = adc_->spec().range == peripherals::AdcRange::kFixed
                             ? adc_->spec().full_scale_ua / spec_.array.v_read_v
                             : worst_case_signal(k);
        std::fill_n(adc_range_.begin() + static_cast<std::ptrdiff_t>(k * cols), cols,
                    static_cast<float>(r));
      }
    }
  }
  if (spec_.drift_compensation != DriftCompensation::kNone) {
    // The state right after programming serves the calibration read and then
    // the reads at t = 0 (building it can mean solving every crossbar's circuit).
    state_ = build_state(0.0);
    comp_reference_ = calibration_response(*state_, 0);
    compensate(*state_);
  }
  return report_;
}

namespace {

void attenuate(std::vector<double>& sigma, const std::vector<double>& g,
               const std::vector<double>& t) {
  for (std::size_t k = 0; k < sigma.size(); ++k) {
    if (g[k] > 0) sigma[k] *= std::abs(t[k] / g[k]);
  }
}

}  // namespace

void Tile::Readout::set_rank1() {
  if (var.size() == 0 || !sigma.empty()) return;
  for (Eigen::Index i = 1; i < var.rows(); ++i) {
    if (var.row(i) != var.row(0)) return;
  }
  sd_col = var.row(0).cwiseSqrt();
}

Tile::ReadState Tile::build_state(double t_s) const {
  const auto rows = static_cast<Eigen::Index>(mapped_.rows);
  const auto cols = static_cast<Eigen::Index>(mapped_.cols);
  const auto slices = static_cast<Eigen::Index>(mapped_.slices);
  const bool diff = mapping_.differential();
  const bool noise = spec_.read_noise.mode != arrays::ReadNoiseMode::kOff;
  const bool per_device = spec_.read_noise.mode == arrays::ReadNoiseMode::kPerDevice;
  ReadState s;
  s.t_s = t_s;
  s.row_g_us = Eigen::VectorXf::Zero(rows);
  Readout& total = s.total;
  total.w = Eigen::MatrixXf::Zero(rows, cols);
  total.var = Eigen::MatrixXf::Zero(rows, cols);
  if (!diff) {
    total.ref_var = RowMatrixF::Zero(rows, slices);
    total.ref_scale = RowMatrixF::Zero(slices, cols);
  }
  for (Eigen::Index k = 0; k < slices; ++k) {
    const auto& xp = crossbars_pos_[static_cast<std::size_t>(k)];
    const auto& xn = crossbars_neg_[static_cast<std::size_t>(k)];
    const auto gp = xp.conductances_at(t_s), gn = xn.conductances_at(t_s);
    // The signal sees the circuit (IR drop); the read noise is added at the
    // output with each device's σ scaled by its attenuation T/G.
    const auto tp = through_circuit(xp, gp), tn = through_circuit(xn, gn);
    if (!linear_array()) {
      for (const auto* xb : {&xp, &xn}) {
        const arrays::CircuitSpec c = spec_.circuit(xb->rows(), xb->cols());
        std::vector<double> g_s = xb == &xp ? gp : gn;
        for (auto& g : g_s) g *= 1e-6;
        s.circuits.push_back(arrays::make_circuit_solver(solver_, c, std::move(g_s)));
      }
    }
    std::vector<double> sp, sn;
    if (noise) {
      sp = xp.read_sigma_at(gp, t_s);
      sn = xn.read_sigma_at(gn, t_s);
      // Through an ohmic circuit a device's noise reaches the output attenuated
      // about as its signal is: σ·T/G to first order (benches/noise_through_circuit.py
      // measures what remains).
      attenuate(sp, gp, tp);
      attenuate(sn, gn, tn);
    }
    // Slice k as its ADCs see it: physical µS, one reference per column.
    Readout r;
    r.w.resize(rows, cols);
    if (noise) r.var.resize(rows, cols);
    RowMatrixF sig_p, sig_n;
    if (per_device) {
      sig_p.resize(rows, cols);
      if (diff) sig_n.resize(rows, cols);
    }
    if (!diff) {
      r.ref_var = RowMatrixF::Zero(rows, 1);
      r.ref_scale = RowMatrixF::Ones(1, cols);
    }
    for (Eigen::Index i = 0; i < rows; ++i) {
      double row_g = 0;
      for (Eigen::Index j = 0; j < cols; ++j) {
        const auto idx = static_cast<std::size_t>(i * cols + j);
        const double t_neg = diff ? tn[idx] : tn[static_cast<std::size_t>(i)];
        r.w(i, j) = static_cast<float>(tp[idx] - t_neg);
        row_g += gp[idx] + (diff ? gn[idx] : 0.0);
        if (!noise) continue;
        const double vn = diff ? sn[idx] * sn[idx] : 0.0;
        r.var(i, j) = static_cast<float>(sp[idx] * sp[idx] + vn);
        if (per_device) {
          sig_p(i, j) = static_cast<float>(sp[idx]);
          if (diff) sig_n(i, j) = static_cast<float>(sn[idx]);
        }
      }
      const auto ii = static_cast<std::size_t>(i);
      if (!diff) row_g += gn[ii];
      s.row_g_us(i) += static_cast<float>(row_g);
      if (!diff && noise) r.ref_var(i, 0) = static_cast<float>(sn[ii] * sn[ii]);
    }
    if (per_device) {
      r.sigma.push_back(std::move(sig_p));
      r.sign.push_back(1.0f);
      if (diff) {
        r.sigma.push_back(std::move(sig_n));
        r.sign.push_back(-1.0f);
      }
    }
    // The whole tile: slices weighted and columns scaled into logical units.
    const double sw = mapped_.slice_weight[static_cast<std::size_t>(k)];
    Eigen::RowVectorXf c(cols);
    for (Eigen::Index j = 0; j < cols; ++j) {
      c(j) = static_cast<float>(sw * mapped_.col_scale[static_cast<std::size_t>(j)]);
    }
    total.w += r.w * c.asDiagonal();
    if (noise) total.var += r.var * c.cwiseAbs2().asDiagonal();
    for (std::size_t m = 0; m < r.sigma.size(); ++m) {
      total.sigma.push_back(r.sigma[m] * c.asDiagonal());
      total.sign.push_back(r.sign[m]);
    }
    if (!diff) {
      total.ref_var.col(k) = r.ref_var.col(0);
      total.ref_scale.row(k) = c;
    }
    r.set_rank1();
    if (!adc_->spec().ideal()) {
      // Bit-serial planes through a linear array: lookup tables beat the GEMM.
      if (dac_->spec().impl == "bit_serial" && linear_array()) {
        r.table = BitPlaneTable(r.w);
        if (r.var.size() > 0 && r.sd_col.size() == 0 && r.sigma.empty()) {
          r.var_table = BitPlaneTable(r.var);
        }
      }
      s.slices.push_back(std::move(r));
    }
  }
  total.set_rank1();
  s.comp.assign(static_cast<std::size_t>(cols), 1.0);
  return s;
}

void Tile::compensate(ReadState& s) const {
  if (comp_reference_.empty()) return;
  // Drift compensation: the same calibration read at time t, one digital
  // scale per tile (global) or per column.
  const auto now = calibration_response(s, std::bit_cast<std::uint64_t>(s.t_s) | 1u);
  for (std::size_t j = 0; j < now.size(); ++j) {
    s.comp[j] = now[j] > 0 ? comp_reference_[j] / now[j] : 1.0;
  }
}

const Tile::ReadState& Tile::state_at(double t_s) {
  if (!state_ || state_->t_s != t_s) {
    state_ = build_state(t_s);
    compensate(*state_);
  }
  return *state_;
}

std::vector<double> Tile::through_circuit(const arrays::Crossbar& xb,
                                          const std::vector<double>& g_us) const {
  if (solver_.impl == "ideal" || !circuit_.linear()) return g_us;
  const arrays::CircuitSpec c = spec_.circuit(xb.rows(), xb.cols());
  std::vector<double> g_s(g_us);
  for (auto& g : g_s) g *= 1e-6;
  std::vector<double> t = arrays::effective_conductances(solver_, c, g_s);
  if (solver_.ir_compensation == "column_scale") {
    // Per-column gain fitted at programming: the all-ones input gives the
    // ideal column current Σ_i G_ij.
    for (std::size_t j = 0; j < c.cols; ++j) {
      double ideal = 0, actual = 0;
      for (std::size_t i = 0; i < c.rows; ++i) {
        ideal += g_s[i * c.cols + j];
        actual += t[i * c.cols + j];
      }
      const double alpha = actual > 0 ? ideal / actual : 1.0;
      for (std::size_t i = 0; i < c.rows; ++i) t[i * c.cols + j] *= alpha;
    }
  }
  for (auto& v : t) v *= 1e6;
  return t;
}

Eigen::MatrixXf Tile::circuit_signal(const RowMatrixF& v, const ReadState& s, int slice) const {
  // Nonlinear cells: the physics depends on the applied voltage, so every
  // crossbar's circuit is solved for the whole set of voltage vectors.
  const auto n = static_cast<std::size_t>(v.rows()), rows = static_cast<std::size_t>(v.cols());
  const std::size_t cols = mapped_.cols;
  const double v_read = spec_.array.v_read_v;
  std::vector<double> volts(n * rows);
  for (std::size_t b = 0; b < n; ++b) {
    for (std::size_t i = 0; i < rows; ++i) {
      volts[b * rows + i] = v_read * static_cast<double>(v(static_cast<Eigen::Index>(b),
                                                           static_cast<Eigen::Index>(i)));
    }
  }
  const bool diff = mapping_.differential();
  Eigen::MatrixXf y = Eigen::MatrixXf::Zero(v.rows(), static_cast<Eigen::Index>(cols));
  const std::size_t first = slice < 0 ? 0 : 2 * static_cast<std::size_t>(slice);
  const std::size_t last = slice < 0 ? s.circuits.size() : first + 2;
  for (std::size_t k = first; k < last; ++k) {
    const std::size_t sl = k / 2;
    const double sign = k % 2 == 0 ? 1.0 : -1.0;
    const auto r = s.circuits[k]->solve(volts, n, false);
    const std::size_t out_cols = r.currents_a.size() / n;
    for (std::size_t j = 0; j < cols; ++j) {
      const double c = slice < 0 ? mapped_.slice_weight[sl] * mapped_.col_scale[j] : 1.0;
      // Current over v_read, in µS.
      const double scale = sign * c * 1e6 / v_read;
      for (std::size_t b = 0; b < n; ++b) {
        const double i_a = r.currents_a[b * out_cols + (diff || k % 2 == 0 ? j : 0)];
        y(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(j)) +=
            static_cast<float>(scale * i_a);
      }
    }
  }
  return y;
}

Eigen::MatrixXf Tile::read(const RowMatrixF& x, const ReadState& s,
                           const kit::Stream& noise) const {
  // A plain read of logical inputs (nonlinear cells: the largest |x| at v_read).
  Eigen::MatrixXf y;
  if (s.circuits.empty()) {
    kit::gemm(y, x, s.total.w);
  } else {
    const double x_fs = static_cast<double>(x.cwiseAbs().maxCoeff());
    y = x_fs > 0 ? Eigen::MatrixXf(circuit_signal(x / static_cast<float>(x_fs), s, -1) *
                                   static_cast<float>(x_fs))
                 : Eigen::MatrixXf::Zero(x.rows(), s.total.w.cols());
  }
  add_noise(x, s.total, noise, y);
  return y;
}

void Tile::add_noise(const RowMatrixF& u, const Readout& r, const kit::Stream& noise,
                     Eigen::MatrixXf& y, bool ternary) const {
  switch (spec_.read_noise.mode) {
    case arrays::ReadNoiseMode::kOff:
      break;
    case arrays::ReadNoiseMode::kOutputReferred:
      add_output_referred_noise(u, r, noise, y, ternary);
      break;
    case arrays::ReadNoiseMode::kPerDevice:
      add_per_device_noise(u, r, noise, y);
      break;
  }
}

void Tile::add_output_referred_noise(const RowMatrixF& u, const Readout& r,
                                     const kit::Stream& noise, Eigen::MatrixXf& y,
                                     bool ternary) const {
  // Σ_i u_i·σ_ij·ξ_ij with independent Gaussian ξ is Gaussian with variance
  // Σ_i u_i²·σ_ij²: one GEMM for the variances (none when σ is the same along
  // each column), one draw per output. Draw (b, j) is value j·batch + b, so
  // each column's draws are contiguous like the column-major output.
  const auto batch = u.rows(), cols = y.cols();
  const bool rank1 = r.sd_col.size() > 0;
  Eigen::MatrixXf var;
  Eigen::VectorXf norm;
  if (rank1) {
    norm = u.rowwise().norm();
  } else if (ternary && !r.var_table.empty()) {
    r.var_table.multiply(u, var, true);  // u² = |u| for entries in {-1, 0, 1}
  } else {
    kit::gemm(var, u.cwiseAbs2(), r.var);
  }
#pragma omp parallel
  {
    std::vector<float> xi(static_cast<std::size_t>(batch));
    const Eigen::Map<const Eigen::VectorXf> xim(xi.data(), batch);
#pragma omp for schedule(static)
    for (Eigen::Index j = 0; j < cols; ++j) {
      noise.fill_normal(std::span<float>(xi), static_cast<std::uint64_t>(j * batch));
      if (rank1) {
        y.col(j) += r.sd_col(j) * norm.cwiseProduct(xim);
      } else {
        y.col(j) += var.col(j).cwiseSqrt().cwiseProduct(xim);
      }
    }
  }
  if (r.ref_var.size() > 0) {
    // The reference column is shared by every column of its slice.
    const RowMatrixF rvar = u.cwiseAbs2() * r.ref_var;
    RowMatrixF n(batch, rvar.cols());
    const kit::Stream ref = noise.substream(1);
    for (Eigen::Index b = 0; b < batch; ++b) {
      for (Eigen::Index k = 0; k < rvar.cols(); ++k) {
        n(b, k) =
            std::sqrt(rvar(b, k)) *
            static_cast<float>(ref.normal_at(static_cast<std::uint64_t>(b * rvar.cols() + k)));
      }
    }
    y.noalias() -= n * r.ref_scale;
  }
}

void Tile::add_per_device_noise(const RowMatrixF& u, const Readout& r, const kit::Stream& noise,
                                Eigen::MatrixXf& y) const {
  // The reference: a fresh draw for every device on every read (input
  // vector). Device (i, j) of crossbar c on read b uses value
  // ((b·ncb + c)·rows + i)·cols + j. Rows with a zero input carry no current
  // and no noise, so their draws are skipped.
  const kit::Stream dev = noise.substream(2), ref = noise.substream(3);
  const auto batch = u.rows(), rows = u.cols(), cols = y.cols();
  const auto ncb = static_cast<Eigen::Index>(r.sigma.size());
  const auto slices = r.ref_var.cols();
#pragma omp parallel
  {
    std::vector<float> xi(static_cast<std::size_t>(cols));
    const Eigen::Map<const Eigen::RowVectorXf> xim(xi.data(), cols);
    Eigen::RowVectorXf acc(cols);
#pragma omp for schedule(static)
    for (Eigen::Index b = 0; b < batch; ++b) {
      acc.setZero();
      for (Eigen::Index c = 0; c < ncb; ++c) {
        const RowMatrixF& sg = r.sigma[static_cast<std::size_t>(c)];
        const float sign = r.sign[static_cast<std::size_t>(c)];
        for (Eigen::Index i = 0; i < rows; ++i) {
          const float xv = u(b, i);
          if (xv == 0.0f) continue;
          dev.fill_normal(std::span<float>(xi),
                          static_cast<std::uint64_t>(((b * ncb + c) * rows + i) * cols));
          acc += (sign * xv) * sg.row(i).cwiseProduct(xim);
        }
      }
      for (Eigen::Index k = 0; k < slices; ++k) {
        float n = 0;
        for (Eigen::Index i = 0; i < rows; ++i) {
          if (u(b, i) == 0.0f) continue;
          n += u(b, i) * std::sqrt(r.ref_var(i, k)) *
               static_cast<float>(
                   ref.normal_at(static_cast<std::uint64_t>((b * slices + k) * rows + i)));
        }
        acc -= n * r.ref_scale.row(k);
      }
      y.row(b) += acc;
    }
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

kit::MatrixShape Tile::input_shape(const kit::NdArray& x) const {
  const auto shape = kit::matrix_shape(x, "inputs", true);
  kit::require_tile_range(x, "inputs");
  check_input_rows(shape.cols);
  return shape;
}

void Tile::check_input_rows(std::size_t n) const {
  if (!programmed()) throw kit::InputError("vmm: the tile has no weights; program it first");
  if (n != mapped_.rows) {
    throw kit::InputError(fmt::format(
        "inputs: a vector of {} values does not match the weights' {} rows", n, mapped_.rows));
  }
}

RowMatrixF Tile::checked_inputs(const kit::NdArray& x) const {
  // One pass converts to float and spots NaN/Inf and values beyond the tile's
  // range (biased exponent ≥ 1023 + kMaxTileExponent); require_tile_range
  // then names the first bad value.
  const auto shape = kit::matrix_shape(x, "inputs", true);
  check_input_rows(shape.cols);
  RowMatrixF xf(static_cast<Eigen::Index>(shape.rows), static_cast<Eigen::Index>(shape.cols));
  const auto n = static_cast<std::ptrdiff_t>(x.data.size());
  const double* src = x.data.data();
  float* dst = xf.data();
  constexpr std::uint64_t kExponent = 0x7ff0000000000000ull;
  constexpr std::uint64_t kLimit = std::uint64_t{1023 + kit::kMaxTileExponent} << 52;
  std::uint64_t bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad) if (n > 4096)
  for (std::ptrdiff_t k = 0; k < n; ++k) {
    bad |= static_cast<std::uint64_t>((std::bit_cast<std::uint64_t>(src[k]) & kExponent) >= kLimit);
    dst[k] = static_cast<float>(src[k]);
  }
  if (bad != 0) kit::require_tile_range(x, "inputs");
  return xf;
}

kit::NdArray Tile::vmm_ideal(const kit::NdArray& inputs) const {
  const auto shape = input_shape(inputs);
  return matmul(kit::NdArray{{shape.rows, shape.cols}, inputs.data}, weights_);
}

kit::NdArray Tile::matmul(const kit::NdArray& x, const kit::NdArray& w) {
  using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMatrixD> xm(x.data.data(), static_cast<Eigen::Index>(x.rows()),
                                        static_cast<Eigen::Index>(x.cols()));
  const Eigen::Map<const RowMatrixD> wm(w.data.data(), static_cast<Eigen::Index>(w.rows()),
                                        static_cast<Eigen::Index>(w.cols()));
  const RowMatrixD y = xm * wm;
  return kit::NdArray{{static_cast<std::size_t>(y.rows()), static_cast<std::size_t>(y.cols())},
                      std::vector<double>(y.data(), y.data() + y.size())};
}

std::string Tile::crossbar_name(std::size_t k) const {
  const bool diff = mapping_.differential();
  const std::string base = k % 2 == 0 ? (diff ? "g_pos" : "g") : (diff ? "g_neg" : "g_ref");
  return crossbars_pos_.size() > 1 ? fmt::format("{}_s{}", base, k / 2) : base;
}

kit::Json Tile::program_report_json() const {
  kit::Json out = report_.to_json();
  kit::Json arrays = kit::Json::object();
  for (std::size_t k = 0; k < array_reports_.size(); ++k) {
    arrays[crossbar_name(k)] = array_reports_[k].to_json();
  }
  out["arrays"] = std::move(arrays);
  return out;
}

std::map<std::string, kit::NdArray> Tile::conductances(double t_s) const {
  std::map<std::string, kit::NdArray> out;
  for (std::size_t k = 0; k < crossbars_pos_.size(); ++k) {
    const auto& xp = crossbars_pos_[k];
    const auto& xn = crossbars_neg_[k];
    out[crossbar_name(2 * k)] = {{xp.rows(), xp.cols()}, xp.conductances_at(t_s)};
    out[crossbar_name(2 * k + 1)] = {{xn.rows(), xn.cols()}, xn.conductances_at(t_s)};
  }
  return out;
}

}  // namespace xbarsim::tile
