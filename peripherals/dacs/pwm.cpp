// Pulse-width DAC: every row at ±v_read for a time proportional to its input
// code; the column integrates the charge Q = Σ_i V·G_ij·t_i and is converted
// once per read. Through a linear array the charge equals a multibit read of
// the codes, so the read is one plane; through nonlinear cells the set of
// rows still driven changes at every code step, so the read is resolved into
// one plane per step (exact for the array's static I-V).
#include "peripherals/dac.h"
#include "peripherals/dacs/dacs.h"

namespace xbarsim::peripherals {
namespace {

class PwmDac final : public Dac {
 public:
  using Dac::Dac;

  DacPlanes encode(const RowMatrixF& x, double x_fs, bool linear_array) const override {
    const auto phases = phase_codes(codes(x, x_fs));
    const Eigen::Index batch = x.rows(), rows = x.cols();
    const long long levels = spec().levels();
    const auto l = static_cast<double>(levels);
    const Eigen::Index steps = linear_array ? 1 : static_cast<Eigen::Index>(levels);
    DacPlanes p;
    p.batch = static_cast<std::size_t>(batch);
    p.lsb = x_fs / l;
    p.duration_coded = true;
    p.v.resize(static_cast<Eigen::Index>(phases.size()) * steps * batch, rows);
    Eigen::Index plane = 0;
    for (std::size_t ph = 0; ph < phases.size(); ++ph) {
      const RowMatrixF& q = phases[ph];
      for (Eigen::Index s = 0; s < steps; ++s, ++plane) {
        auto block = p.v.middleRows(plane * batch, batch);
        if (linear_array) {
          block = q * static_cast<float>(1.0 / l);
        } else {
          // Step s: rows whose pulse is still on, at their sign's voltage.
          const auto t = static_cast<float>(s + 1);
          block = q.unaryExpr([t](float c) { return c >= t ? 1.0f : (c <= -t ? -1.0f : 0.0f); });
        }
        p.group.push_back(ph);
        p.frac.push_back(static_cast<float>(1.0 / static_cast<double>(steps)));
      }
      p.weight.push_back(ph == 0 ? l : -l);
    }
    return p;
  }
  std::size_t cycles() const override { return static_cast<std::size_t>(spec().phases()); }
  double on_time_ns(double) const override {
    return static_cast<double>(spec().levels()) * spec().t_lsb_ns;
  }
  // The read lasts as long as the longest pulse.
  double cycle_ns(double) const override {
    return static_cast<double>(spec().levels()) * spec().t_lsb_ns + spec().t_cycle_ns;
  }
};

}  // namespace

void add_pwm_dac(kit::Registry& registry) {
  auto params = DacSpec::common_params();
  // Source: TIMELY (Li et al., ISCA 2020), Table II: 8-bit digital-to-time
  // converter, 0.0375 pJ per conversion and 240 µm² at 65 nm.
  for (auto& p : DacSpec::cost_params(0.0375, 240.0, 65.0)) params.push_back(std::move(p));
  // Assumption: one code step per 1 ns clock (HERMES runs a 1 GHz main
  // clock; its per-step pulse time is not published in the sources at hand).
  params.push_back(kit::positive_param("t_lsb_ns", 1.0, "ns", "pulse width of one code step"));
  registry.add_variant<Dac>(
      "dac", {"pwm", "one read, the input as a pulse width at ±v_read (charge Q = V·G·t)", params},
      [](const kit::Json& j) -> std::unique_ptr<Dac> {
        return std::make_unique<PwmDac>(DacSpec::from_json(j, "dac"));
      });
}

}  // namespace xbarsim::peripherals
