#pragma once
// Matrix products whose rounding does not depend on the thread count.
//
// Eigen's own threaded GEMM sizes its cache blocks by the number of threads,
// so the order of each dot product's partial sums, and its rounding, would
// change with OMP_NUM_THREADS. The build therefore defines
// EIGEN_DONT_PARALLELIZE (cmake/XbarsimWarnings.cmake) and products that are
// worth threading go through gemm(): the rows of the result are cut into
// fixed blocks of kGemmRowBlock, each block one serial Eigen product whose
// shape depends only on the operands' shapes, spread over OpenMP threads.
//
// Contract: dst = a * b (kAssign), dst += a * b (kAdd) or dst -= a * b
// (kSubtract); dst must not alias a or b; for kAssign dst is resized to
// a.rows() x b.cols(), otherwise it must already have that shape. Bitwise the
// same result for any thread count, inside or outside a parallel region.
#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "core/kit/ndarray.h"

namespace xbarsim::kit {

inline constexpr Eigen::Index kGemmBlock = 64;
enum class Accumulate { kAssign, kAdd, kSubtract };

namespace detail {
template <class Out, class A, class B>
void gemm_block(Out&& out, const A& a, const B& b, Accumulate mode) {
  switch (mode) {
    case Accumulate::kAssign:
      out.noalias() = a * b;
      break;
    case Accumulate::kAdd:
      out.noalias() += a * b;
      break;
    case Accumulate::kSubtract:
      out.noalias() -= a * b;
      break;
  }
}
}  // namespace detail

template <class Dst, class A, class B>
void gemm(Dst& dst, const A& a, const B& b, Accumulate mode = Accumulate::kAssign) {
  const Eigen::Index m = a.rows(), n = b.cols();
  if (mode == Accumulate::kAssign) dst.resize(m, n);
  const bool by_rows = m > kGemmBlock;
  const Eigen::Index len = by_rows ? m : n, blocks = (len + kGemmBlock - 1) / kGemmBlock;
  // Threads only where a block pays for its start-up (sizes alone decide).
  const double flops =
      static_cast<double>(m) * static_cast<double>(a.cols()) * static_cast<double>(n);
#pragma omp parallel for schedule(static) if (blocks > 1 && flops > 2e6)
  for (Eigen::Index k = 0; k < blocks; ++k) {
    const Eigen::Index o = k * kGemmBlock, w = std::min(kGemmBlock, len - o);
    if (by_rows) {
      detail::gemm_block(dst.middleRows(o, w), a.middleRows(o, w), b, mode);
    } else {
      detail::gemm_block(dst.middleCols(o, w), a, b.middleCols(o, w), mode);
    }
  }
}

// The double product x · w of two 2-D arrays, as one serial Eigen product
// (the same bits for any thread count): the exact reference tiles are
// checked against.
inline NdArray matmul(const NdArray& x, const NdArray& w) {
  using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMatrixD> xm(x.data.data(), static_cast<Eigen::Index>(x.rows()),
                                        static_cast<Eigen::Index>(x.cols()));
  const Eigen::Map<const RowMatrixD> wm(w.data.data(), static_cast<Eigen::Index>(w.rows()),
                                        static_cast<Eigen::Index>(w.cols()));
  const RowMatrixD y = xm * wm;
  return NdArray{{static_cast<std::size_t>(y.rows()), static_cast<std::size_t>(y.cols())},
                 std::vector<double>(y.data(), y.data() + y.size())};
}

}  // namespace xbarsim::kit
