// Deterministic pulse counts (MLP_NeuroSim V3.0): the update ΔW = −lr·xᵀd
// becomes n = round(ΔW/dw_min) pulses per device (one pulse is dw_min: 2/N
// of NeuroSim's [−1, 1] weight range), capped at max_pulses when given,
// applied row by row.
#include <algorithm>
#include <cmath>

#include "core/nn/in_situ/rules/rules.h"

namespace xbarsim::nn {

namespace {

class PulseCount final : public PulseRule {
 public:
  using PulseRule::apply;
  explicit PulseCount(const InSituSpec& s) : max_pulses_(s.max_pulses) {}

  void apply(PulsedArray& a, const RowMatrixF&, const RowMatrixF&, const RowMatrixF& grad,
             double lr, const kit::Stream&) const override {
    const double g = a.law().common().dw_min;
    const double cap = max_pulses_ > 0 ? static_cast<double>(max_pulses_) : 1e9;
    PulseCounts n(grad.rows(), grad.cols());
    for (Eigen::Index i = 0; i < grad.rows(); ++i) {
      for (Eigen::Index j = 0; j < grad.cols(); ++j) {
        const double p =
            std::clamp(std::round(-lr * static_cast<double>(grad(i, j)) / g), -cap, cap);
        n(i, j) = static_cast<int>(p);
      }
    }
    write_row_by_row(a, n);
  }

 private:
  std::size_t max_pulses_;
};

}  // namespace

std::unique_ptr<PulseRule> make_pulse_count_rule(const InSituSpec& spec) {
  return std::make_unique<PulseCount>(spec);
}

}  // namespace xbarsim::nn
