// What the update rules share: the gradient when the caller has none, and
// the row-by-row programming time.
#include "core/nn/in_situ/rules/rules.h"

#include <algorithm>

#include "core/kit/gemm.h"

namespace xbarsim::nn {

void PulseRule::apply(PulsedArray& a, const RowMatrixF& x, const RowMatrixF& d, double lr,
                      const kit::Stream& trains) const {
  RowMatrixF grad;
  kit::gemm(grad, x.transpose(), d);
  apply(a, x, d, grad, lr, trains);
}

double row_by_row_ns(const Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& n,
                     const arrays::UpdateModel& law) {
  double t = 0;
  for (Eigen::Index i = 0; i < n.rows(); ++i) {
    int up = 0, down = 0;
    for (Eigen::Index j = 0; j < n.cols(); ++j) {
      up = std::max(up, n(i, j));
      down = std::max(down, -n(i, j));
    }
    t += up * law.common().t_set_ns + down * law.common().t_reset_ns;
  }
  return t;
}

}  // namespace xbarsim::nn
