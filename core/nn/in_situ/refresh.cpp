#include "core/nn/in_situ/refresh.h"

#include <algorithm>
#include <cmath>

#include "core/nn/in_situ/analog_io.h"

namespace xbarsim::nn {

std::size_t refresh_pairs(PulsedArray& a, double upper, double lower, const PulseRule& rule,
                          const IoSpec& io, double worst_case, const kit::Stream& key) {
  IoSpec plain = io;  // a one-hot read never needs bound management
  plain.bound_management = false;
  const double w_max = std::abs(a.law().common().w_max);
  const auto cols = static_cast<Eigen::Index>(a.cols());
  std::size_t refreshed = 0;
  for (std::size_t r = 0; r < a.rows(); ++r) {
    const kit::Stream k = key.substream(r);
    const RowMatrixF wp = one_hot_read(a.state(0), r, plain, k.substream(0), worst_case);
    const RowMatrixF wm = one_hot_read(a.state(1), r, plain, k.substream(1), worst_case);
    a.totals().refresh_reads += 2;
    RowMatrixF d = RowMatrixF::Zero(1, cols);
    bool any = false;
    for (Eigen::Index j = 0; j < cols; ++j) {
      const double p = static_cast<double>(wp(0, j)) / w_max,
                   m = static_cast<double>(wm(0, j)) / w_max;
      if (std::max(p, m) <= upper || std::min(p, m) <= lower) continue;
      a.reset_pair(r * a.cols() + static_cast<std::size_t>(j));
      d(0, j) = wm(0, j) - wp(0, j);  // the rule's W − lr·xᵀd restores wp − wm
      any = true;
      ++refreshed;
    }
    if (!any) continue;
    a.totals().latency_ns += a.law().pulse_ns(-1);  // the row's resets, in parallel
    RowMatrixF e = RowMatrixF::Zero(1, static_cast<Eigen::Index>(a.rows()));
    e(0, static_cast<Eigen::Index>(r)) = 1.0f;
    rule.apply(a, e, d, 1.0, k.substream(2));
  }
  return refreshed;
}

}  // namespace xbarsim::nn
