// Bit-serial DAC: one read per magnitude bit, each row driven at 0 or
// ±v_read (1-bit DACs). Every bit's column outputs are converted and
// shift-added digitally (ISAAC's scheme), or the bits are integrated in the
// column's neuron, bit b as 2^b pulses, and converted once (NeuRRAM's).
#include <cmath>
#include <utility>
#include <vector>

#include "peripherals/dac.h"
#include "peripherals/dacs/dacs.h"

namespace xbarsim::peripherals {
namespace {

class BitSerialDac final : public Dac {
 public:
  BitSerialDac(DacSpec spec, bool analog, int split_above)
      : Dac(std::move(spec)), analog_(analog), split_above_(split_above) {}

  DacPlanes encode(const RowMatrixF& x, double x_fs, bool) const override {
    DacPlanes p = encode_packed(x, x_fs);
    const Eigen::Index batch = x.rows(), rows = x.cols();
    const auto planes = static_cast<std::ptrdiff_t>(p.plane_bits.size());
    p.v.resize(planes * batch, rows);
#pragma omp parallel for schedule(static) if (planes * batch * rows > 16384)
    for (std::ptrdiff_t k = 0; k < planes; ++k) {
      const auto [ph, b] = p.plane_bits[static_cast<std::size_t>(k)];
      p.v.middleRows(k * batch, batch) = p.codes[ph].unaryExpr([b](float q) {
        const auto mag = static_cast<int>(std::abs(q));
        const float bit = static_cast<float>((mag >> b) & 1);
        return q < 0 ? -bit : bit;
      });
    }
    p.packed = false;
    p.codes.clear();
    return p;
  }
  bool packs() const override { return true; }
  DacPlanes encode_packed(const RowMatrixF& x, double x_fs) const override {
    DacPlanes p;
    p.codes = phase_codes(codes(x, x_fs));
    p.batch = static_cast<std::size_t>(x.rows());
    p.lsb = x_fs / static_cast<double>(spec().levels());
    p.ternary = true;
    p.packed = true;
    for (std::size_t ph = 0; ph < p.codes.size(); ++ph) {
      const double sign = ph == 0 ? 1.0 : -1.0;
      int b0 = 0;
      for (const int m : group_bits()) {
        // Bits [b0, b0 + m) of one conversion: bit b weighs 2^(b - b0) in the
        // analog sum, normalised so a full group is at most one plane's signal.
        const double full = std::ldexp(1.0, m) - 1.0;
        for (int b = b0; b < b0 + m; ++b) {
          p.plane_bits.emplace_back(ph, b);
          p.group.push_back(p.weight.size());
          p.frac.push_back(static_cast<float>(std::ldexp(1.0, b - b0) / full));
        }
        p.weight.push_back(sign * std::ldexp(1.0, b0) * full);
        b0 += m;
      }
    }
    return p;
  }
  bool ternary_planes() const override { return true; }
  std::size_t cycles() const override {
    return static_cast<std::size_t>(magnitude_bits() * spec().phases());
  }
  std::size_t conversions() const override {
    return group_bits().size() * static_cast<std::size_t>(spec().phases());
  }
  // Bit b of a group is integrated 2^(b - b0) times (one read pulse each).
  double read_ns(double t_read_ns) const override {
    if (!analog_) return Dac::read_ns(t_read_ns);
    double pulses = 0;
    for (const int m : group_bits()) pulses += std::ldexp(1.0, m) - 1.0;
    return static_cast<double>(spec().phases()) *
           (pulses * t_read_ns + static_cast<double>(magnitude_bits()) * spec().t_cycle_ns);
  }
  ConversionShape conversion_shape() const override {
    const auto groups = group_bits();
    double pulses = 0;
    for (const int m : groups) pulses += std::ldexp(1.0, m) - 1.0;
    const auto n = static_cast<double>(groups.size());
    return {static_cast<double>(magnitude_bits()) / n, pulses / n};
  }

 private:
  int magnitude_bits() const {
    return spec().signed_drive == SignedDrive::kNone ? spec().bits : spec().bits - 1;
  }
  // Magnitude bits per conversion, low bits first: one each (digital
  // shift-add), all of them (analog), or two halves above split_above bits.
  std::vector<int> group_bits() const {
    const int n = magnitude_bits();
    if (!analog_) return std::vector<int>(static_cast<std::size_t>(n), 1);
    if (split_above_ > 0 && n > split_above_) return {n - n / 2, n / 2};
    return {n};
  }
  bool analog_;
  int split_above_;
};

}  // namespace

void add_bit_serial_dac(kit::Registry& registry) {
  auto params = DacSpec::common_params();
  // Source: ISAAC (Shafiee et al., ISCA 2016), table of IMA components at
  // 32 nm: 8x128 1-bit DACs take 4 mW and 0.00017 mm² -> 3.9 µW and 0.166 µm²
  // each; over ISAAC's 100 ns crossbar read cycle, 0.39 pJ per row per cycle.
  for (auto& p : DacSpec::cost_params(0.39, 0.166, 32.0)) params.push_back(std::move(p));
  params.push_back(kit::choice_param(
      "accumulate", "digital", {"digital", "analog"},
      "digital: every bit converted and shift-added (ISAAC); analog: the bits are integrated "
      "with binary-weighted pulse counts and converted once (NeuRRAM)"));
  params.push_back(kit::int_param("split_above_bits", 0, 0, 16,
                                  "analog: above this many magnitude bits, integrate and convert "
                                  "two halves separately (NeuRRAM: 3); 0 = never"));
  registry.add_variant<Dac>(
      "dac", {"bit_serial", "one read per input bit (1-bit DACs), results shift-added", params},
      [](const kit::Json& j) -> std::unique_ptr<Dac> {
        return std::make_unique<BitSerialDac>(DacSpec::from_json(j, "dac"),
                                              j.at("accumulate").get<std::string>() == "analog",
                                              j.at("split_above_bits").get<int>());
      });
}

}  // namespace xbarsim::peripherals
