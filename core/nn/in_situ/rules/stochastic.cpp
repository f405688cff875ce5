// Stochastic pulse trains (Gokmen & Vlasov, Front. Neurosci. 10, 333
// (2016)): row i fires in each of BL slots with probability B·|x_i|, column
// j with A·|d_j|, and each coincidence is one pulse of sign −sign(x_i·d_j),
// so E[Δw_ij] = −lr·x_i·d_j for A·B = lr/(dw_min·BL). Update management
// balances A and B to the vectors' ranges and BL management shortens the
// trains of small updates (aihwkit's UpdateParameters, defaults BL = 31 and
// both on). The whole array is pulsed at once: each vector's update takes
// BL slots in two phases (potentiation, depression).
#include <algorithm>
#include <bit>
#include <cmath>

#include "core/nn/in_situ/rules/rules.h"

namespace xbarsim::nn {
namespace {

class Stochastic final : public PulseRule {
 public:
  using PulseRule::apply;
  explicit Stochastic(const InSituSpec& s)
      // Shorter trains need balanced probabilities, or the larger side's
      // would pass 1 and clip (aihwkit turns update management on with it).
      : bl_(s.bl),
        bl_management_(s.bl_management),
        update_management_(s.update_management || s.bl_management) {}

  void apply(PulsedArray& a, const RowMatrixF& x, const RowMatrixF& d, const RowMatrixF&, double lr,
             const kit::Stream& trains) const override {
    const double g = a.law().common().dw_min;
    const std::size_t rows = a.rows(), cols = a.cols();
    std::vector<std::uint64_t> bx(rows), bd(cols);
    std::vector<std::size_t> active;  // columns whose train fires
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
      const double xm = x.row(b).cwiseAbs().maxCoeff(), dm = d.row(b).cwiseAbs().maxCoeff();
      if (xm == 0 || dm == 0) continue;
      const double k = lr * xm * dm / g;
      const std::size_t bl =
          bl_management_ ? std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(k)), 1, bl_)
                         : bl_;
      double pa = std::sqrt(lr / (g * static_cast<double>(bl))), pb = pa;
      if (update_management_) {
        const double du = k > static_cast<double>(bl) ? dm * static_cast<double>(bl) / k : dm;
        pa *= std::sqrt(xm / du);
        pb *= std::sqrt(du / xm);
      }
      const std::uint64_t base = static_cast<std::uint64_t>(b) * (rows + cols);
      // Columns first: a row's train matters only in the slots some column
      // fires in, so with no column firing the rows are not drawn at all
      // (each train has its own stream index: skipping one changes no other),
      // and only the firing columns are visited.
      std::uint64_t any = 0;
      active.clear();
      for (std::size_t j = 0; j < cols; ++j) {
        bd[j] = train(pa * static_cast<double>(std::abs(d(b, static_cast<Eigen::Index>(j)))), bl,
                      trains, base + rows + j);
        any |= bd[j];
        if (bd[j] != 0) active.push_back(j);
      }
      // A 1R array's half-selected cells see every row's train even so.
      if (any != 0 || a.half_select()) {
        for (std::size_t i = 0; i < rows; ++i) {
          bx[i] = train(pb * static_cast<double>(std::abs(x(b, static_cast<Eigen::Index>(i)))), bl,
                        trains, base + i);
        }
      }
      if (a.half_select()) charge(a, bx, bd);
      for (std::size_t i = 0; i < rows && any != 0; ++i) {
        if ((bx[i] & any) == 0) continue;
        const bool xpos = x(b, static_cast<Eigen::Index>(i)) > 0;
        for (const std::size_t j : active) {
          const int c = std::popcount(bx[i] & bd[j]);
          if (c == 0) continue;
          const bool dpos = d(b, static_cast<Eigen::Index>(j)) > 0;
          a.pulse(i, j, xpos == dpos ? -c : c);  // descent: Δw ∝ −x·d
        }
      }
      const auto& c = a.law().common();
      a.totals().latency_ns += static_cast<double>(bl) * (c.t_set_ns + c.t_reset_ns);
    }
  }

 private:
  // A 1R array's half-selected cells: every train's slots (rows and columns).
  static void charge(PulsedArray& a, const std::vector<std::uint64_t>& bx,
                     const std::vector<std::uint64_t>& bd) {
    std::vector<std::uint32_t> rs(bx.size()), cs(bd.size());
    for (std::size_t i = 0; i < bx.size(); ++i)
      rs[i] = static_cast<std::uint32_t>(std::popcount(bx[i]));
    for (std::size_t j = 0; j < bd.size(); ++j)
      cs[j] = static_cast<std::uint32_t>(std::popcount(bd[j]));
    a.charge_half_select_trains(rs, cs);
  }

  // bl slots, each firing independently with probability p (p >= 1: every
  // slot), from blocks 32·element.. of the stream. The gaps between firing
  // slots are geometric, drawn by inversion, so a sparse train costs one or
  // two uniforms instead of one per slot.
  static std::uint64_t train(double p, std::size_t bl, const kit::Stream& s,
                             std::uint64_t element) {
    if (p <= 0) return 0;
    if (p >= 1) return bl >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bl) - 1;
    const double log_q = std::log1p(-p);
    std::uint64_t bits = 0;
    kit::PhiloxCounter u{};
    std::size_t slot = 0;
    for (std::uint64_t draw = 0;; ++draw) {
      if (draw % 4 == 0) u = s.block(32 * element + draw / 4);
      // A uniform in (0, 1]: the gap before the next firing slot.
      const double v = (static_cast<double>(u[draw % 4]) + 1.0) * 0x1p-32;
      const double gap = std::floor(std::log(v) / log_q);
      if (gap >= static_cast<double>(bl - slot)) break;
      slot += static_cast<std::size_t>(gap);
      bits |= std::uint64_t{1} << slot;
      if (++slot >= bl) break;
    }
    return bits;
  }

  std::size_t bl_;
  bool bl_management_, update_management_;
};

}  // namespace

std::unique_ptr<PulseRule> make_stochastic_rule(const InSituSpec& spec) {
  return std::make_unique<Stochastic>(spec);
}

}  // namespace xbarsim::nn
