#include "core/nn/in_situ/tiki_taka.h"

#include "core/nn/in_situ/analog_io.h"

namespace xbarsim::nn {

void tiki_taka_transfer(const PulsedArray& fast, PulsedArray& slow, std::size_t& next_row,
                        std::size_t reads, const PulseRule& rule, const IoSpec& io, double lr,
                        double worst_case, const kit::Stream& key) {
  // aihwkit turns bound management off for the transfer reads (noise
  // management does nothing to a one-hot input).
  IoSpec plain = io;
  plain.bound_management = false;
  for (std::size_t r = 0; r < reads; ++r) {
    const std::size_t c = next_row++ % fast.rows();
    RowMatrixF e = RowMatrixF::Zero(1, static_cast<Eigen::Index>(fast.rows()));
    e(0, static_cast<Eigen::Index>(c)) = 1.0f;
    const kit::Stream k = key.substream(r);
    const RowMatrixF y = one_hot_read(fast.w(), c, plain, k.substream(0), worst_case);
    // The rule's update is W − lr·xᵀd: d = −y adds lr·y to row c.
    rule.apply(slow, e, -y, lr, k.substream(1));
  }
}

}  // namespace xbarsim::nn
