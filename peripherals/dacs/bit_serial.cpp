// Bit-serial DAC: one read per magnitude bit, each row driven at 0 or
// ±v_read (1-bit DACs); every bit's column outputs are converted and
// shift-added digitally (ISAAC's scheme).
#include <cmath>

#include "peripherals/dac.h"
#include "peripherals/dacs/dacs.h"

namespace xbarsim::peripherals {
namespace {

class BitSerialDac final : public Dac {
 public:
  using Dac::Dac;

  DacPlanes encode(const RowMatrixF& x, double x_fs, bool) const override {
    const auto phases = phase_codes(codes(x, x_fs));
    const int bits = magnitude_bits();
    const Eigen::Index batch = x.rows(), rows = x.cols();
    DacPlanes p;
    p.batch = static_cast<std::size_t>(batch);
    p.lsb = x_fs / static_cast<double>(spec().levels());
    p.ternary = true;
    p.v.resize(static_cast<Eigen::Index>(phases.size()) * bits * batch, rows);
    for (std::size_t ph = 0; ph < phases.size(); ++ph) {
      const double sign = ph == 0 ? 1.0 : -1.0;
      for (int b = 0; b < bits; ++b) {
        const auto g = static_cast<Eigen::Index>(ph) * bits + b;
        p.v.middleRows(g * batch, batch) = phases[ph].unaryExpr([b](float q) {
          const auto m = static_cast<int>(std::abs(q));
          const float bit = static_cast<float>((m >> b) & 1);
          return q < 0 ? -bit : bit;
        });
        p.group.push_back(static_cast<std::size_t>(g));
        p.frac.push_back(1.0f);
        p.weight.push_back(sign * std::ldexp(1.0, b));
      }
    }
    return p;
  }
  std::size_t cycles() const override {
    return static_cast<std::size_t>(magnitude_bits() * spec().phases());
  }

 private:
  int magnitude_bits() const {
    return spec().signed_drive == SignedDrive::kNone ? spec().bits : spec().bits - 1;
  }
};

}  // namespace

void add_bit_serial_dac(kit::Registry& registry) {
  auto params = DacSpec::common_params();
  // Source: ISAAC (Shafiee et al., ISCA 2016), table of IMA components at
  // 32 nm: 8x128 1-bit DACs take 4 mW and 0.00017 mm² -> 3.9 µW and 0.166 µm²
  // each; over ISAAC's 100 ns crossbar read cycle, 0.39 pJ per row per cycle.
  for (auto& p : DacSpec::cost_params(0.39, 0.166, 32.0)) params.push_back(std::move(p));
  registry.add_variant<Dac>(
      "dac", {"bit_serial", "one read per input bit (1-bit DACs), results shift-added", params},
      [](const kit::Json& j) -> std::unique_ptr<Dac> {
        return std::make_unique<BitSerialDac>(DacSpec::from_json(j, "dac"));
      });
}

}  // namespace xbarsim::peripherals
