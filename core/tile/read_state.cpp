// A tile's read state at a time after programming: the conductances read
// (drift, read-time effects), through the circuit when the solver models
// wires, and the products of inputs with them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/tile/tile.h"

namespace xbarsim::tile {

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
      if (dac_->ternary_planes() && linear_array()) {
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

const Tile::ReadState& Tile::state_at(double t_s) {
  if (!state_ || state_->t_s != t_s) {
    state_ = build_state(t_s);
    compensate(*state_);
  }
  return *state_;
}

std::vector<double> Tile::through_circuit(const arrays::Crossbar& xb,
                                          const std::vector<double>& g_us) const {
  if (!solver_.models_wires() || !circuit_.linear()) return g_us;
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

}  // namespace xbarsim::tile
