// Read noise on a tile's outputs: off, output-referred (one draw per
// output from the summed cell variances) or per device (one draw per cell).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/tile/tile.h"

namespace xbarsim::tile {

void Tile::add_noise(const RowMatrixF& u, const Readout& r, const kit::Stream& noise,
                     Eigen::MatrixXf& y, const PlaneCodes* codes) const {
  switch (spec_.read_noise.mode) {
    case arrays::ReadNoiseMode::kOff:
      break;
    case arrays::ReadNoiseMode::kOutputReferred:
      add_output_referred_noise(u, r, noise, y, codes);
      break;
    case arrays::ReadNoiseMode::kPerDevice:
      add_per_device_noise(u, r, noise, y);
      break;
  }
}

void Tile::add_output_referred_noise(const RowMatrixF& u, const Readout& r,
                                     const kit::Stream& noise, Eigen::MatrixXf& y,
                                     const PlaneCodes* codes) const {
  // Σ_i u_i·σ_ij·ξ_ij with independent Gaussian ξ is Gaussian with variance
  // Σ_i u_i²·σ_ij²: one GEMM for the variances (none when σ is the same along
  // each column), one draw per output. Draw (b, j) is value j·batch + b, so
  // each column's draws are contiguous like the column-major output.
  // Packed planes (codes given, u empty) carry everything in codes.
  const bool packed = codes != nullptr && u.size() == 0;
  const auto batch = packed ? codes->rows : u.rows(), cols = y.cols();
  const bool rank1 = r.sd_col.size() > 0;
  Eigen::MatrixXf var;
  Eigen::VectorXf norm;
  if (rank1) {
    norm = packed ? codes->norms() : Eigen::VectorXf(u.rowwise().norm());
  } else if (codes != nullptr && !r.var_table.empty()) {
    r.var_table.multiply(*codes, var, true);  // u² = |u| for entries in {-1, 0, 1}
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

}  // namespace xbarsim::tile
