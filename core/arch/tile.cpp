#include "core/arch/tile.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>

#include "core/kit/error.h"

namespace xbarsim::arch {

Tile::Tile(TileSpec spec, const kit::Registry& registry)
    : spec_(std::move(spec)),
      device_(registry.build<arrays::Device>("device", spec_.device)),
      circuit_(spec_.circuit(spec_.array.rows, spec_.array.cols)),
      solver_(spec_.solver_spec()),
      mapping_(spec_.mapping, device_->common().g_min_us, device_->common().g_max_us,
               device_->common().levels) {}

const arrays::ProgramReport& Tile::program(const kit::NdArray& w) {
  const auto shape = kit::matrix_shape(w, "weights", false);
  kit::require_finite(w, "weights");
  const std::size_t rows = shape.rows, cols = shape.cols;
  if (rows > spec_.array.rows || cols > spec_.array.cols) {
    throw kit::InputError(fmt::format(
        "weights: shape {} does not fit the {} x {} array; raise array.rows/array.cols or split "
        "the matrix",
        w.shape_text(), spec_.array.rows, spec_.array.cols));
  }
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

Tile::ReadState Tile::build_state(double t_s) const {
  const auto rows = static_cast<Eigen::Index>(mapped_.rows);
  const auto cols = static_cast<Eigen::Index>(mapped_.cols);
  const auto slices = static_cast<Eigen::Index>(mapped_.slices);
  const bool diff = mapping_.differential();
  const bool noise = spec_.read_noise.mode != arrays::ReadNoiseMode::kOff;
  const bool per_device = spec_.read_noise.mode == arrays::ReadNoiseMode::kPerDevice;
  ReadState s;
  s.t_s = t_s;
  s.w_eff = Eigen::MatrixXf::Zero(rows, cols);
  s.var_eff = Eigen::MatrixXf::Zero(rows, cols);
  if (!diff) {
    s.ref_var = RowMatrixF::Zero(rows, slices);
    s.ref_scale = RowMatrixF::Zero(slices, cols);
  }
  for (Eigen::Index k = 0; k < slices; ++k) {
    const auto& xp = crossbars_pos_[static_cast<std::size_t>(k)];
    const auto& xn = crossbars_neg_[static_cast<std::size_t>(k)];
    const auto gp = xp.conductances_at(t_s), gn = xn.conductances_at(t_s);
    // The signal sees the circuit (IR drop); the read noise is added at the
    // output with each device's σ scaled by its attenuation T/G.
    const auto tp = through_circuit(xp, gp), tn = through_circuit(xn, gn);
    if (!circuit_.linear() && solver_.impl != "ideal") {
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
    const double sw = mapped_.slice_weight[static_cast<std::size_t>(k)];
    RowMatrixF sig_p, sig_n;
    if (per_device) {
      sig_p.resize(rows, cols);
      if (diff) sig_n.resize(rows, cols);
    }
    for (Eigen::Index i = 0; i < rows; ++i) {
      for (Eigen::Index j = 0; j < cols; ++j) {
        const auto idx = static_cast<std::size_t>(i * cols + j);
        const double c = sw * mapped_.col_scale[static_cast<std::size_t>(j)];
        const double t_neg = diff ? tn[idx] : tn[static_cast<std::size_t>(i)];
        s.w_eff(i, j) += static_cast<float>(c * (tp[idx] - t_neg));
        if (!noise) continue;
        const double vn = diff ? sn[idx] * sn[idx] : 0.0;
        s.var_eff(i, j) += static_cast<float>(c * c * (sp[idx] * sp[idx] + vn));
        if (per_device) {
          sig_p(i, j) = static_cast<float>(c * sp[idx]);
          if (diff) sig_n(i, j) = static_cast<float>(c * sn[idx]);
        }
      }
      if (!diff && noise) {
        const auto ii = static_cast<std::size_t>(i);
        s.ref_var(i, k) = static_cast<float>(sn[ii] * sn[ii]);
      }
    }
    if (!diff) {
      for (Eigen::Index j = 0; j < cols; ++j) {
        s.ref_scale(k, j) = static_cast<float>(sw * mapped_.col_scale[static_cast<std::size_t>(j)]);
      }
    }
    if (per_device) {
      s.sigma_scaled.push_back(std::move(sig_p));
      s.sign.push_back(1.0f);
      if (diff) {
        s.sigma_scaled.push_back(std::move(sig_n));
        s.sign.push_back(-1.0f);
      }
    }
  }
  if (noise && !per_device && rows > 0) {
    bool rank1 = true;
    for (Eigen::Index i = 1; i < rows && rank1; ++i) rank1 = s.var_eff.row(i) == s.var_eff.row(0);
    if (rank1) s.sd_col = s.var_eff.row(0).cwiseSqrt();
  }
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

Eigen::MatrixXf Tile::circuit_signal(const RowMatrixF& x, const ReadState& s) const {
  // Nonlinear cells: the physics depends on the applied voltage, so inputs are
  // scaled to volts (the batch's largest |x| drives v_read_v) and every
  // crossbar's circuit is solved for the batch.
  const auto batch = static_cast<std::size_t>(x.rows()), rows = static_cast<std::size_t>(x.cols());
  const std::size_t cols = mapped_.cols;
  const double x_fs = static_cast<double>(x.cwiseAbs().maxCoeff());
  Eigen::MatrixXf y = Eigen::MatrixXf::Zero(x.rows(), static_cast<Eigen::Index>(cols));
  if (x_fs == 0) return y;
  const double v_per_x = spec_.array.v_read_v / x_fs;
  std::vector<double> v(batch * rows);
  for (std::size_t b = 0; b < batch; ++b) {
    for (std::size_t i = 0; i < rows; ++i) {
      v[b * rows + i] = v_per_x * static_cast<double>(x(static_cast<Eigen::Index>(b),
                                                        static_cast<Eigen::Index>(i)));
    }
  }
  const bool diff = mapping_.differential();
  for (std::size_t k = 0; k < s.circuits.size(); ++k) {
    const std::size_t slice = k / 2;
    const double sign = k % 2 == 0 ? 1.0 : -1.0;
    const auto r = s.circuits[k]->solve(v, batch, false);
    const std::size_t out_cols = r.currents_a.size() / batch;
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t j = 0; j < cols; ++j) {
        // µS·(input units): current / (V per input unit), in µA per V.
        const double i_a = r.currents_a[b * out_cols + (diff || k % 2 == 0 ? j : 0)];
        const double c = mapped_.slice_weight[slice] * mapped_.col_scale[j];
        y(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(j)) +=
            static_cast<float>(sign * c * i_a / v_per_x * 1e6);
      }
    }
  }
  return y;
}

Eigen::MatrixXf Tile::read(const RowMatrixF& x, const ReadState& s,
                           const kit::Stream& noise) const {
  Eigen::MatrixXf y = s.circuits.empty() ? Eigen::MatrixXf(x * s.w_eff) : circuit_signal(x, s);
  switch (spec_.read_noise.mode) {
    case arrays::ReadNoiseMode::kOff:
      break;
    case arrays::ReadNoiseMode::kOutputReferred:
      add_output_referred_noise(x, s, noise, y);
      break;
    case arrays::ReadNoiseMode::kPerDevice:
      add_per_device_noise(x, s, noise, y);
      break;
  }
  return y;
}

void Tile::add_output_referred_noise(const RowMatrixF& x, const ReadState& s,
                                     const kit::Stream& noise, Eigen::MatrixXf& y) const {
  // Σ_i x_i·σ_ij·ξ_ij with independent Gaussian ξ is Gaussian with variance
  // Σ_i x_i²·σ_ij²: one GEMM for the variances (none when σ is the same along
  // each column), one draw per output. Draw (b, j) is value j·batch + b, so
  // each column's draws are contiguous like the column-major output.
  const auto batch = x.rows(), cols = y.cols();
  const bool rank1 = s.sd_col.size() > 0;
  Eigen::MatrixXf var;
  Eigen::VectorXf norm;
  if (rank1) {
    norm = x.rowwise().norm();
  } else {
    var.noalias() = x.cwiseAbs2() * s.var_eff;
  }
#pragma omp parallel
  {
    std::vector<float> xi(static_cast<std::size_t>(batch));
    const Eigen::Map<const Eigen::VectorXf> xim(xi.data(), batch);
#pragma omp for schedule(static)
    for (Eigen::Index j = 0; j < cols; ++j) {
      noise.fill_normal(std::span<float>(xi), static_cast<std::uint64_t>(j * batch));
      if (rank1) {
        y.col(j) += s.sd_col(j) * norm.cwiseProduct(xim);
      } else {
        y.col(j) += var.col(j).cwiseSqrt().cwiseProduct(xim);
      }
    }
  }
  if (s.ref_var.size() > 0) {
    // The reference column is shared by every column of its slice.
    const RowMatrixF rvar = x.cwiseAbs2() * s.ref_var;
    RowMatrixF n(batch, rvar.cols());
    const kit::Stream ref = noise.substream(1);
    for (Eigen::Index b = 0; b < batch; ++b) {
      for (Eigen::Index k = 0; k < rvar.cols(); ++k) {
        n(b, k) =
            std::sqrt(rvar(b, k)) *
            static_cast<float>(ref.normal_at(static_cast<std::uint64_t>(b * rvar.cols() + k)));
      }
    }
    y.noalias() -= n * s.ref_scale;
  }
}

void Tile::add_per_device_noise(const RowMatrixF& x, const ReadState& s, const kit::Stream& noise,
                                Eigen::MatrixXf& y) const {
  // The reference: a fresh draw for every device on every read (input
  // vector). Device (i, j) of crossbar c on read b uses value
  // ((b·ncb + c)·rows + i)·cols + j. Rows with a zero input carry no current
  // and no noise, so their draws are skipped.
  const kit::Stream dev = noise.substream(2), ref = noise.substream(3);
  const auto batch = x.rows(), rows = x.cols(), cols = y.cols();
  const auto ncb = static_cast<Eigen::Index>(s.sigma_scaled.size());
  const auto slices = s.ref_var.cols();
#pragma omp parallel
  {
    std::vector<float> xi(static_cast<std::size_t>(cols));
    const Eigen::Map<const Eigen::RowVectorXf> xim(xi.data(), cols);
    Eigen::RowVectorXf acc(cols);
#pragma omp for schedule(static)
    for (Eigen::Index b = 0; b < batch; ++b) {
      acc.setZero();
      for (Eigen::Index c = 0; c < ncb; ++c) {
        const RowMatrixF& sg = s.sigma_scaled[static_cast<std::size_t>(c)];
        const float sign = s.sign[static_cast<std::size_t>(c)];
        for (Eigen::Index i = 0; i < rows; ++i) {
          const float xv = x(b, i);
          if (xv == 0.0f) continue;
          dev.fill_normal(std::span<float>(xi),
                          static_cast<std::uint64_t>(((b * ncb + c) * rows + i) * cols));
          acc += (sign * xv) * sg.row(i).cwiseProduct(xim);
        }
      }
      for (Eigen::Index k = 0; k < slices; ++k) {
        float n = 0;
        for (Eigen::Index i = 0; i < rows; ++i) {
          if (x(b, i) == 0.0f) continue;
          n += x(b, i) * std::sqrt(s.ref_var(i, k)) *
               static_cast<float>(
                   ref.normal_at(static_cast<std::uint64_t>((b * slices + k) * rows + i)));
        }
        acc -= n * s.ref_scale.row(k);
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
  if (!programmed()) throw kit::InputError("vmm: the tile has no weights; program it first");
  const auto shape = kit::matrix_shape(x, "inputs", true);
  kit::require_finite(x, "inputs");
  if (shape.cols != mapped_.rows) {
    throw kit::InputError(fmt::format("inputs: shape {} does not match the weights' {} rows",
                                      x.shape_text(), mapped_.rows));
  }
  return shape;
}

RowMatrixF Tile::checked_inputs(const kit::NdArray& x) const {
  const auto shape = input_shape(x);
  RowMatrixF xf(static_cast<Eigen::Index>(shape.rows), static_cast<Eigen::Index>(shape.cols));
  const auto n = static_cast<std::ptrdiff_t>(x.data.size());
  float* dst = xf.data();
#pragma omp parallel for schedule(static) if (n > 16384)
  for (std::ptrdiff_t k = 0; k < n; ++k)
    dst[k] = static_cast<float>(x.data[static_cast<std::size_t>(k)]);
  return xf;
}

kit::NdArray Tile::vmm(const kit::NdArray& inputs, double t_s) {
  if (!std::isfinite(t_s) || t_s < 0) {
    throw kit::InputError(fmt::format("vmm: time {} s must be finite and >= 0", t_s));
  }
  const RowMatrixF x = checked_inputs(inputs);
  const ReadState& s = state_at(t_s);
  const Eigen::MatrixXf y =
      read(x, s, kit::Stream(spec_.seed, "tile", "read_noise").substream(reads_++));
  kit::NdArray out{{static_cast<std::size_t>(y.rows()), static_cast<std::size_t>(y.cols())}, {}};
  out.data.resize(out.size());
  const Eigen::Index cols = y.cols();
#pragma omp parallel for schedule(static) if (y.size() > 16384)
  for (Eigen::Index b = 0; b < y.rows(); ++b) {
    double* row = out.data.data() + b * cols;
    for (Eigen::Index j = 0; j < cols; ++j) {
      row[j] = static_cast<double>(y(b, j)) * s.comp[static_cast<std::size_t>(j)];
    }
  }
  return out;
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

}  // namespace xbarsim::arch
