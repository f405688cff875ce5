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

void write_row_by_row(PulsedArray& a, const PulseCounts& n) {
  const auto& c = a.law().common();
  for (Eigen::Index i = 0; i < n.rows(); ++i) {
    const auto row = static_cast<std::size_t>(i);
    a.charge_half_select_row(row, n.data() + i * n.cols());
    int up = 0, down = 0;
    for (Eigen::Index j = 0; j < n.cols(); ++j) {
      up = std::max(up, n(i, j));
      down = std::max(down, -n(i, j));
      a.pulse(row, static_cast<std::size_t>(j), n(i, j));
    }
    a.totals().latency_ns += up * c.t_set_ns + down * c.t_reset_ns;
  }
}

}  // namespace xbarsim::nn
