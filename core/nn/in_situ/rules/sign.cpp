// The sign (Manhattan) rule of the in-situ-trained memristor perceptron
// (Prezioso et al., Nature 521, 61 (2015)): one fixed pulse per device in
// the direction of −sign(xᵀd), where |xᵀd| exceeds sign_threshold of the
// layer's largest, applied row by row.
#include <cmath>

#include "core/nn/in_situ/rules/rules.h"

namespace xbarsim::nn {
namespace {

class Sign final : public PulseRule {
 public:
  using PulseRule::apply;
  explicit Sign(const InSituSpec& s) : threshold_(s.sign_threshold) {}

  void apply(PulsedArray& a, const RowMatrixF&, const RowMatrixF&, const RowMatrixF& grad, double,
             const kit::Stream&) const override {
    const float cut = static_cast<float>(threshold_) * grad.cwiseAbs().maxCoeff();
    PulseCounts n(grad.rows(), grad.cols());
    for (Eigen::Index i = 0; i < grad.rows(); ++i) {
      for (Eigen::Index j = 0; j < grad.cols(); ++j) {
        const float gr = grad(i, j);
        n(i, j) = std::abs(gr) > cut ? (gr > 0 ? -1 : 1) : 0;
      }
    }
    write_row_by_row(a, n);
  }

 private:
  double threshold_;
};

}  // namespace

std::unique_ptr<PulseRule> make_sign_rule(const InSituSpec& spec) {
  return std::make_unique<Sign>(spec);
}

}  // namespace xbarsim::nn
