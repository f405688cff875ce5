#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "core/kit/error.h"
#include "core/kit/technology.h"
#include "peripherals/adc.h"
#include "peripherals/adcs/murmann.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

peripherals::AdcSpec adc_spec(const Json& node) {
  const auto reg = test::peripherals_registry();
  return peripherals::AdcSpec::from_json(reg.resolve("adc", node, "adc"), "adc");
}

std::unique_ptr<peripherals::Adc> build_adc(const Json& node) {
  const auto reg = test::peripherals_registry();
  return reg.build<peripherals::Adc>("adc", reg.resolve("adc", node, "adc"));
}

double sample_sd(const std::vector<double>& v) {
  double m = 0, s = 0;
  for (const double x : v) m += x / static_cast<double>(v.size());
  for (const double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

}  // namespace

TEST_CASE("a b-bit ADC yields at most 2^b codes, mid-tread, clipping beyond the range",
          "[peripherals][adc]") {
  for (const int bits : {1, 2, 3, 5, 8}) {
    const auto spec = adc_spec({{"impl", bits == 1 ? "sense_amp" : "sar"}, {"bits", bits}});
    const peripherals::AdcBank bank(spec, 1, kit::Stream(1, "test", "adc"));
    std::vector<float> a(20001);
    for (std::size_t n = 0; n < a.size(); ++n) {
      a[n] = -3.0f + 6.0f * static_cast<float>(n) / 20000.0f;  // range r = 2: a third beyond it
    }
    const std::size_t clipped =
        bank.convert(std::span<float>(a), 0, 2.0f, kit::Stream(2, "test", "unused"), 0);
    const std::set<float> codes(a.begin(), a.end());
    CHECK(codes.size() == (std::size_t{1} << bits));
    CHECK(clipped >= 6664);  // |a| > 2 for a third of [-3, 3] (grid points at ±2 round either way)
    CHECK(clipped <= 6668);
    if (bits == 1) {
      CHECK(*codes.begin() == -1.0f);
      CHECK(*codes.rbegin() == 1.0f);
    } else {
      const float lsb = 2.0f / std::ldexp(1.0f, bits - 1);
      CHECK(codes.count(0.0f) == 1);  // mid-tread: zero is a code
      CHECK(*codes.begin() == Approx(-2.0f));
      CHECK(*codes.rbegin() == Approx(2.0f - lsb));
    }
  }
}

TEST_CASE("ADC offset, gain and input noise follow their sigma", "[peripherals][adc]") {
  // 16 bits on r = 1: quantization (Δ²/12) is negligible next to the errors.
  const std::size_t n = 20000;
  const auto spec =
      adc_spec({{"impl", "sar"}, {"bits", 16}, {"offset_sigma_lsb", 40.0}, {"gain_sigma", 0.02}});
  const peripherals::AdcBank bank(spec, n, kit::Stream(3, "test", "adc"));
  const double lsb = 1.0 / 32768.0;
  std::vector<double> offset(n), gain(n);
  for (std::size_t k = 0; k < n; ++k) {
    float zero = 0.0f, half = 0.5f;
    bank.convert(std::span<float>(&zero, 1), k, 1.0f, kit::Stream(4, "test", "unused"), 0);
    bank.convert(std::span<float>(&half, 1), k, 1.0f, kit::Stream(4, "test", "unused"), 0);
    offset[k] = static_cast<double>(zero) / lsb;
    gain[k] = static_cast<double>(half - zero) / 0.5;
  }
  // The sample sd of n normal draws is within 3 standard errors σ/sqrt(2n).
  CHECK(sample_sd(offset) == Approx(40.0).epsilon(3.0 / std::sqrt(2.0 * n) + 0.002));
  CHECK(sample_sd(gain) == Approx(0.02).epsilon(3.0 / std::sqrt(2.0 * n) + 0.005));

  const auto noisy = adc_spec({{"impl", "sar"}, {"bits", 16}, {"noise_sigma_lsb", 3.0}});
  const peripherals::AdcBank nb(noisy, 1, kit::Stream(5, "test", "adc"));
  std::vector<float> a(n, 0.25f);
  nb.convert(std::span<float>(a), 0, 1.0f, kit::Stream(6, "test", "noise"), 0);
  std::vector<double> codes;
  for (const float v : a) codes.push_back(static_cast<double>(v) / lsb);
  // Total σ² = 3² + 1/12 (uniform quantization error).
  CHECK(sample_sd(codes) == Approx(std::sqrt(9.0 + 1.0 / 12.0)).epsilon(3.0 / std::sqrt(2.0 * n)));
}

TEST_CASE("ADC INL moves code boundaries by their sigma", "[peripherals][adc]") {
  const std::size_t instances = 400;
  const auto spec = adc_spec({{"impl", "flash"}, {"bits", 4}, {"inl_sigma_lsb", 0.2}});
  const peripherals::AdcBank bank(spec, instances, kit::Stream(7, "test", "adc"));
  // Sweep a fine ramp (r = 8 -> Δ = 1) and find where each code boundary moved.
  std::vector<double> shifts;
  for (std::size_t k = 0; k < instances; ++k) {
    const std::size_t steps = 16000;
    std::vector<float> a(steps);
    for (std::size_t n = 0; n < steps; ++n) a[n] = -8.0f + 16.0f * static_cast<float>(n) / steps;
    const std::vector<float> in = a;
    bank.convert(std::span<float>(a), k, 8.0f, kit::Stream(8, "test", "unused"), 0);
    for (std::size_t n = 1; n < steps; ++n) {
      if (a[n] != a[n - 1])
        shifts.push_back(static_cast<double>(in[n]) - (static_cast<double>(a[n - 1]) + 0.5));
    }
  }
  // Every boundary is crossed once, except where two neighbours swapped
  // order (|δ_c - δ_c+1| > 1 LSB, about 3.5 sigma: a few in 6000).
  CHECK(shifts.size() <= instances * 15);
  CHECK(shifts.size() >= instances * 15 - 15);
  // Boundary offsets are N(0, 0.2) LSB (the sweep resolves 0.001 LSB).
  CHECK(sample_sd(shifts) == Approx(0.2).epsilon(0.05));
}

TEST_CASE("ADC energy follows the Murmann-survey regression; costs scale with the node",
          "[peripherals][adc][cost]") {
  // 8 bits at 1 GS/s: FOM_S = 302.74 - 6.4608·ln(1e9) = 168.85 dB,
  // SNDR = 49.92 dB -> E = 1/(2·10^11.893) J = 0.641 pJ (docs/models.md, "Peripherals").
  CHECK(peripherals::murmann_energy_pj(8, 1e9) == Approx(0.641).epsilon(0.005));
  // One more bit costs 10^(6.02/10) = 4x; below ~174 MS/s FOM_S is capped
  // at 180.14 dB and the energy stops falling.
  CHECK(peripherals::murmann_energy_pj(9, 1e9) / peripherals::murmann_energy_pj(8, 1e9) ==
        Approx(std::pow(10.0, 0.602)).epsilon(1e-6));
  CHECK(peripherals::murmann_energy_pj(8, 1e7) == Approx(peripherals::murmann_energy_pj(8, 1e8)));
  const auto sar =
      build_adc({{"impl", "sar"}, {"bits", 6}, {"f_s_hz", 5e8}, {"fit", "murmann2022"}});
  const auto c = sar->cost(32);
  CHECK(c.energy_pj == Approx(peripherals::murmann_energy_pj(6, 5e8)));
  CHECK(c.t_conv_ns == Approx(2.0));
  CHECK(std::log(c.area_um2) == Approx(4.8506 + 0.0667 * std::log(5e8) + 0.7973 * std::log(32.0) -
                                       0.1344 * 6 + 0.4237 * std::log(c.energy_pj)));

  // The 2024 refit: 1.71 pJ and ~5970 µm² at 8 bits, 1 GS/s, 32 nm (the
  // plug-in's own figures), rising with the node; the default fit.
  const auto sar24 = build_adc({{"impl", "sar"}, {"bits", 8}});
  CHECK(sar24->cost(32).energy_pj == Approx(1.71).epsilon(0.01));
  CHECK(sar24->cost(32).area_um2 == Approx(5972).epsilon(0.01));
  CHECK(sar24->cost(14).energy_pj == Approx(0.36).epsilon(0.02));
  // Below 4 bits: the 4-bit conversion's energy per bit resolved, so fewer
  // bits never cost more, and no conversion costs less than a decision.
  const double e4 = build_adc({{"impl", "sar"}, {"bits", 4}})->cost(32).energy_pj;
  CHECK(e4 == Approx(peripherals::murmann2024_energy_pj(4, 1e9, 32)));
  CHECK(e4 == Approx(0.923).epsilon(0.01));
  for (const int b : {1, 2, 3}) {
    CHECK(build_adc({{"impl", "sar"}, {"bits", b}})->cost(32).energy_pj == Approx(e4 * b / 4));
  }
  CHECK(peripherals::murmann2024_energy_pj(2, 1e9, 32) > e4);  // the fit's own upturn
  // A design's own area replaces the fit's, and leaves the energy alone.
  const auto own = build_adc({{"impl", "sar"}, {"bits", 8}, {"area_um2", 1200.0}});
  CHECK(own->cost(32).area_um2 == 1200.0);
  CHECK(own->cost(32).energy_pj == sar24->cost(32).energy_pj);

  // Technology factors (Stillmaker & Baas): 1 at the reference, the table at
  // tabulated nodes, monotone in between.
  CHECK(kit::energy_scale(45, 45) == Approx(1.0));
  CHECK(kit::area_scale(45, 130) == Approx(6.4));
  CHECK(kit::energy_scale(45, 14) == Approx(0.11));
  double last = 0;
  for (double nm = 7; nm <= 180; nm *= 1.1) {
    CHECK(kit::energy_scale(45, nm) > last);
    last = kit::energy_scale(45, nm);
  }
  // Flash: 2^b - 1 comparators of the TIMELY figure (65 nm).
  const auto flash = build_adc({{"impl", "flash"}, {"bits", 5}});
  CHECK(flash->cost(65).energy_pj == Approx(31 * 0.0417));
  CHECK(flash->cost(22).energy_pj == Approx(31 * 0.0417 * kit::energy_scale(65, 22)));
  // Ramp: 2^b steps, each of the NeuRRAM energy (130 nm) and the HERMES time.
  const auto ramp = build_adc({{"impl", "ramp"}, {"bits", 8}});
  CHECK(ramp->cost(130).energy_pj == Approx(256 * 0.3));
  CHECK(ramp->cost(130).t_conv_ns == Approx(256 * 0.3));
  // Sense amplifier: NeuroSim's bias power over 1 ns (7.70 µW at 45 nm).
  CHECK(build_adc({{"impl", "sense_amp"}})->cost(45).energy_pj == Approx(7.70e-3));
}

TEST_CASE("ADC configs are checked", "[peripherals][adc]") {
  const auto reg = test::peripherals_registry();
  CHECK_THROWS_AS(reg.resolve("adc", {{"impl", "sense_amp"}, {"bits", 2}}, "adc"),
                  kit::ConfigError);
  CHECK_THROWS_AS(reg.resolve("adc", {{"impl", "sar"}, {"bits", 0}}, "adc"), kit::ConfigError);
  CHECK_THROWS_AS(reg.resolve("adc", {{"impl", "sar"}, {"range", "auto"}}, "adc"),
                  kit::ConfigError);
  CHECK_THROWS_AS(reg.resolve("adc", {{"impl", "ideal"}, {"bits", 8}}, "adc"), kit::ConfigError);
}
