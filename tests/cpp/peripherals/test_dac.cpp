#include <catch2/catch.hpp>
#include <cmath>

#include "core/kit/error.h"
#include "peripherals/dac.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;
using peripherals::RowMatrixF;

namespace {

std::unique_ptr<peripherals::Dac> build_dac(const Json& node) {
  const auto reg = test::peripherals_registry();
  return reg.build<peripherals::Dac>("dac", reg.resolve("dac", node, "dac"));
}

// Σ_g W_g Σ_{p in g} frac_p v_p: the codes the planes carry.
RowMatrixF recombine(const peripherals::DacPlanes& p) {
  const auto batch = static_cast<Eigen::Index>(p.batch);
  RowMatrixF q = RowMatrixF::Zero(batch, p.v.cols());
  for (std::size_t k = 0; k < p.planes(); ++k) {
    q += static_cast<float>(p.weight[p.group[k]]) * p.frac[k] *
         p.v.middleRows(static_cast<Eigen::Index>(k) * batch, batch);
  }
  return q;
}

RowMatrixF ramp(Eigen::Index batch, Eigen::Index rows, float lo, float hi) {
  RowMatrixF x(batch, rows);
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    x.data()[k] = lo + (hi - lo) * static_cast<float>(k) / static_cast<float>(x.size() - 1);
  }
  return x;
}

}  // namespace

TEST_CASE("DAC planes carry the rounded, clipped input codes", "[peripherals][dac]") {
  const RowMatrixF x = ramp(7, 33, -1.3f, 1.1f);
  for (const std::string impl : {"bit_serial", "multibit", "pwm"}) {
    for (const std::string drive : {"differential", "two_phase"}) {
      for (const bool linear : {true, false}) {
        if (impl == "pwm" && !linear && drive == "two_phase") continue;  // same as below
        const auto dac = build_dac({{"impl", impl}, {"bits", 5}, {"signed_drive", drive}});
        const long long l = dac->spec().levels();
        REQUIRE(l == 15);  // 4 magnitude bits
        const auto p = dac->encode(x, 1.0, linear);
        // Expected codes: round(x·L / x_fs), clipped to ±L (x reaches -1.3).
        const RowMatrixF q = (x * 15.0f).array().round().max(-15.0f).min(15.0f).matrix();
        CHECK((recombine(p) - q).cwiseAbs().maxCoeff() < 1e-4f);
        CHECK(p.lsb == Approx(1.0 / 15.0));
        CHECK(p.v.cwiseAbs().maxCoeff() <= 1.0f);
        const std::size_t phases = drive == "two_phase" ? 2 : 1;
        CHECK(dac->cycles() == (impl == "bit_serial" ? 4 * phases : phases));
        CHECK(p.groups() == dac->cycles());
        if (impl == "bit_serial") {  // every plane is 0 or ±1
          CHECK((p.v.array().abs() * (1.0f - p.v.array().abs())).abs().maxCoeff() == 0.0f);
        }
        if (impl == "pwm") {
          CHECK(p.duration_coded);
          CHECK(p.planes() == (linear ? phases : phases * 15));
        }
      }
    }
  }
}

TEST_CASE("DAC signed drive and ranges", "[peripherals][dac]") {
  const RowMatrixF x = ramp(4, 8, -0.5f, 2.0f);
  // Unsigned inputs only: all bits are magnitude, negatives are refused.
  const auto none = build_dac({{"impl", "bit_serial"}, {"bits", 8}, {"signed_drive", "none"}});
  CHECK(none->spec().levels() == 255);
  CHECK(none->cycles() == 8);
  CHECK_THROWS_AS(none->encode(x, 2.0, true), kit::InputError);
  const RowMatrixF pos = x.cwiseMax(0.0f);
  const auto p = none->encode(pos, 2.0, true);
  CHECK((recombine(p) - (pos * 127.5f).array().round().matrix()).cwiseAbs().maxCoeff() < 1e-3f);
  // Two phases: the second carries the magnitudes of the negative entries.
  const auto two = build_dac({{"impl", "multibit"}, {"bits", 4}, {"signed_drive", "two_phase"}});
  const auto q = two->encode(x, 2.0, true);
  REQUIRE(q.planes() == 2);
  CHECK(q.v.minCoeff() >= 0.0f);
  CHECK(q.weight[0] == Approx(7.0));
  CHECK(q.weight[1] == Approx(-7.0));
  // Config checks: a signed input needs a sign bit.
  const auto reg = test::peripherals_registry();
  CHECK_THROWS_AS(build_dac({{"impl", "bit_serial"}, {"bits", 1}}), kit::ConfigError);
  CHECK_THROWS_AS(reg.resolve("dac", {{"impl", "pwm"}, {"t_lsb_ns", 0}}, "dac"), kit::ConfigError);
  CHECK_THROWS_AS(reg.resolve("dac", {{"impl", "bit_serial"}, {"range", "max"}}, "dac"),
                  kit::ConfigError);
}

TEST_CASE("DAC costs scale from their reference node", "[peripherals][dac][cost]") {
  // ISAAC's 1-bit DAC at 32 nm: 3.9 µW over a 100 ns cycle.
  const auto bs = build_dac({{"impl", "bit_serial"}});
  CHECK(bs->cost(32).energy_pj == Approx(0.39));
  CHECK(bs->cost(32).area_um2 == Approx(0.166));
  CHECK(bs->cost(14).energy_pj < bs->cost(32).energy_pj);
  const auto pwm = build_dac({{"impl", "pwm"}, {"bits", 8}, {"t_lsb_ns", 2.0}});
  CHECK(pwm->cycle_ns(10.0) == Approx(127 * 2.0));  // the longest pulse (7 magnitude bits)
  CHECK(build_dac({{"impl", "ideal"}})->cost(32).energy_pj == 0.0);
}

TEST_CASE("bit-serial planes integrated in analog: binary-weighted groups", "[peripherals][dac]") {
  // NeuRRAM's scheme: 7 magnitude bits integrated as two halves (4 + 3 bits),
  // bit b pulsed 2^b times within its half; two conversions per input.
  const RowMatrixF x = ramp(5, 9, -1.0f, 1.0f);
  const auto dac = build_dac(
      {{"impl", "bit_serial"}, {"bits", 8}, {"accumulate", "analog"}, {"split_above_bits", 3}});
  const auto p = dac->encode(x, 1.0, true);
  const RowMatrixF q = (x * 127.0f).array().round().matrix();
  CHECK((recombine(p) - q).cwiseAbs().maxCoeff() < 1e-3f);
  CHECK(p.planes() == 7);
  CHECK(p.groups() == 2);
  CHECK(dac->cycles() == 7);
  CHECK(dac->conversions() == 2);
  // Pulses: 2^4 - 1 + 2^3 - 1 = 22 reads of t_read; 3.5 planes and 11 pulses per conversion.
  CHECK(dac->read_ns(10.0) == Approx(220.0));
  CHECK(dac->conversion_shape().planes == Approx(3.5));
  CHECK(dac->conversion_shape().steps == Approx(11.0));
  // Each group's analog sum stays within one plane's range.
  for (std::size_t g = 0; g < 2; ++g) {
    double sum = 0;
    for (std::size_t k = 0; k < p.planes(); ++k) {
      if (p.group[k] == g) sum += static_cast<double>(p.frac[k]);
    }
    CHECK(sum == Approx(1.0));
  }
}
