#include "core/nn/in_situ/analog_io.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "core/kit/gemm.h"

namespace xbarsim::nn {
namespace {

// Step of a b-bit signed converter on ±bound: aihwkit's resolution
// 1/(2^b − 2) of the full range 2·bound (b = 0: none).
double step(int bits, double bound) {
  return bits > 0 ? 2.0 * bound / (std::ldexp(1.0, bits) - 2.0) : 0.0;
}

float quantize(double v, double res, double bound) {
  if (res > 0) v = std::round(v / res) * res;
  return static_cast<float>(std::clamp(v, -bound, bound));
}

}  // namespace

RowMatrixF analog_product(const RowMatrixF& x_in, const RowMatrixF& w, bool transposed,
                          const IoSpec& io, const kit::Stream& noise, double worst_case) {
  const RowMatrixF binary =
      io.binarize_at > 0
          ? RowMatrixF((x_in.array() >= static_cast<float>(io.binarize_at)).cast<float>())
          : RowMatrixF();
  const RowMatrixF& x = io.binarize_at > 0 ? binary : x_in;
  const Eigen::Index n = x.rows(), m = transposed ? w.rows() : w.cols();
  const double out_bound = io.out_bound > 0 ? io.out_bound : worst_case;
  const double in_res = step(io.inp_bits, io.inp_bound), out_res = step(io.out_bits, out_bound);
  // Noise management: each row scaled by its largest |x|.
  Eigen::VectorXd alpha(n);
  for (Eigen::Index b = 0; b < n; ++b) alpha(b) = x.row(b).cwiseAbs().maxCoeff();
  const auto read = [&](const Eigen::VectorXd& a, std::uint64_t attempt) {
    RowMatrixF xq(n, x.cols());
    for (Eigen::Index b = 0; b < n; ++b) {
      for (Eigen::Index k = 0; k < x.cols(); ++k) {
        xq(b, k) =
            a(b) > 0 ? quantize(static_cast<double>(x(b, k)) / a(b), in_res, io.inp_bound) : 0.0f;
      }
    }
    RowMatrixF y;
    if (transposed) {
      kit::gemm(y, xq, w.transpose());
    } else {
      kit::gemm(y, xq, w);
    }
    if (io.out_noise > 0) {
      RowMatrixF z(n, m);
      noise.fill_normal(std::span<float>(z.data(), static_cast<std::size_t>(z.size())),
                        attempt * static_cast<std::uint64_t>(n * m));
      y += z * static_cast<float>(io.out_noise);
    }
    return y;
  };
  RowMatrixF y = read(alpha, 0);
  // Iterative bound management (forward): rows that clip are read again
  // with their inputs halved (α doubled), each attempt with fresh noise.
  Eigen::VectorXd a = alpha;
  for (std::uint64_t attempt = 1; io.bound_management && attempt <= 10; ++attempt) {
    std::vector<Eigen::Index> clipped;
    for (Eigen::Index b = 0; b < n; ++b) {
      if (alpha(b) > 0 && static_cast<double>(y.row(b).cwiseAbs().maxCoeff()) >= out_bound)
        clipped.push_back(b);
    }
    if (clipped.empty()) break;
    for (const Eigen::Index b : clipped) a(b) *= 2.0;
    const RowMatrixF again = read(a, attempt);
    for (const Eigen::Index b : clipped) y.row(b) = again.row(b);
  }
  for (Eigen::Index b = 0; b < n; ++b) {
    for (Eigen::Index j = 0; j < m; ++j) {
      const double q = quantize(static_cast<double>(y(b, j)), out_res, out_bound);
      y(b, j) = static_cast<float>(q * a(b) * io.out_gain);
    }
  }
  return y;
}

RowMatrixF one_hot_read(const RowMatrixF& w, std::size_t r, const IoSpec& io,
                        const kit::Stream& noise, double worst_case) {
  const Eigen::Index m = w.cols();
  RowMatrixF y = RowMatrixF::Zero(1, m);
  if (io.binarize_at > 1.0) return y;  // the one drives 0
  const double out_bound = io.out_bound > 0 ? io.out_bound : worst_case;
  const float xq = quantize(1.0, step(io.inp_bits, io.inp_bound), io.inp_bound);
  y = xq * w.row(static_cast<Eigen::Index>(r));
  if (io.out_noise > 0) {
    RowMatrixF z(1, m);
    noise.fill_normal(std::span<float>(z.data(), static_cast<std::size_t>(m)), 0);
    y += z * static_cast<float>(io.out_noise);
  }
  const double out_res = step(io.out_bits, out_bound);
  for (Eigen::Index j = 0; j < m; ++j) {
    const double q = quantize(static_cast<double>(y(0, j)), out_res, out_bound);
    y(0, j) = static_cast<float>(q * io.out_gain);
  }
  return y;
}

}  // namespace xbarsim::nn
