// Update-once statistics of every update law against its equation (aihwkit's
// device laws, NeuroSim's LTP/LTD curves): the mean and variance of one
// pulse's step at several states, the device-to-device draws, stuck devices,
// and the presets' own constants. Expected values are computed here from the
// published forms (docs/in_situ.md), never by calling the law under test.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "arrays/update.h"
#include "arrays/updates/updates.h"
#include "core/kit/error.h"
#include "core/kit/json.h"
#include "core/kit/registry.h"
#include "core/kit/rng.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

constexpr std::size_t kDraws = 20000;

std::unique_ptr<arrays::UpdateModel> build(const kit::Registry& reg, const Json& node) {
  return reg.build<arrays::UpdateModel>("update", reg.resolve("update", node, "update"));
}

// Devices without device-to-device spread: every draw equals the means.
Json no_spread(Json node) {
  node["dw_min_dtod"] = 0.0;
  node["up_down_dtod"] = 0.0;
  node["w_min_dtod"] = 0.0;
  node["w_max_dtod"] = 0.0;
  return node;
}

struct Moments {
  double mean = 0, var = 0;
};

// Mean and variance of one pulse's step on kDraws identical devices at state w.
Moments step_moments(const arrays::UpdateModel& m, double w, int dir, std::uint64_t seed = 1) {
  const auto d = m.draw(kDraws, kit::Stream(seed, "test", "devices"));
  const kit::Stream xi(seed, "test", "c2c");
  double s = 0, s2 = 0;
  for (std::size_t k = 0; k < kDraws; ++k) {
    const double dw = m.pulse(d, k, w, dir, xi.normal_at(k)) - w;
    s += dw;
    s2 += dw * dw;
  }
  const double mean = s / kDraws;
  return {mean, s2 / kDraws - mean * mean};
}

// The sample mean and variance of one pulse's step at w match a step of
// `expected` with multiplicative (rel = true) or additive c2c noise σ.
void check_step(const arrays::UpdateModel& m, double w, int dir, double expected, double sigma,
                bool rel) {
  const Moments mo = step_moments(m, w, dir);
  const double sd = rel ? std::abs(expected) * sigma : sigma;
  INFO("w = " << w << ", dir = " << dir << ": mean " << mo.mean << " expected " << expected
              << ", sd " << std::sqrt(mo.var) << " expected " << sd);
  CHECK(std::abs(mo.mean - expected) <= test::kZ * sd / std::sqrt(kDraws) + 1e-12);
  // Var of a sample variance of normals: 2σ⁴/(n − 1).
  CHECK(std::abs(mo.var - sd * sd) <= test::kZ * sd * sd * std::sqrt(2.0 / kDraws) + 1e-18);
}

}  // namespace

TEST_CASE("constant step: every state gets dw_min, c2c multiplicative and additive",
          "[arrays][update]") {
  const auto reg = test::arrays_registry();
  const auto m =
      build(reg, no_spread({{"impl", "constant_step"}, {"dw_min", 0.01}, {"dw_min_std", 0.3}}));
  for (const double w : {-0.4, 0.0, 0.3}) {
    check_step(*m, w, +1, 0.01, 0.3, true);
    check_step(*m, w, -1, -0.01, 0.3, true);
  }
  const auto add = build(reg, no_spread({{"impl", "constant_step"},
                                         {"dw_min", 0.01},
                                         {"dw_min_std", 0.5},
                                         {"additive_c2c", true}}));
  check_step(*add, 0.1, +1, 0.01, 0.005, false);
  // A bound clips: from 0.595 one pulse of 0.01 (no noise) ends at w_max.
  const auto exact =
      build(reg, no_spread({{"impl", "constant_step"}, {"dw_min", 0.01}, {"dw_min_std", 0.0}}));
  const auto d = exact->draw(1, kit::Stream(1, "test", "devices"));
  CHECK(exact->pulse(d, 0, 0.595, +1, 0.0) == Approx(0.6f));
}

TEST_CASE("device-to-device draws: step gain, asymmetry and bounds as aihwkit draws them",
          "[arrays][update]") {
  const auto reg = test::arrays_registry();
  const double dw = 0.002, dtod = 0.2, r = 0.3, wmax_dtod = 0.1;
  const auto m = build(reg, {{"impl", "constant_step"},
                             {"dw_min", dw},
                             {"dw_min_dtod", dtod},
                             {"up_down", r},
                             {"up_down_dtod", 0.0},
                             {"w_max", 0.8},
                             {"w_max_dtod", wmax_dtod}});
  const auto d = m->draw(kDraws, kit::Stream(7, "test", "devices"));
  double su = 0, su2 = 0, sd = 0, sw = 0, sw2 = 0;
  for (std::size_t k = 0; k < kDraws; ++k) {
    su += d.scale_up[k];
    su2 += d.scale_up[k] * d.scale_up[k];
    sd += d.scale_down[k];
    sw += d.w_max[k];
    sw2 += d.w_max[k] * d.w_max[k];
  }
  const double n = kDraws;
  // r > 0 shrinks only the down step: up = g·dw, down = (1 − r)·g·dw.
  CHECK(std::abs(su / n - dw) <= test::kZ * dw * dtod / std::sqrt(n));
  CHECK(std::abs(std::sqrt(su2 / n - su * su / n / n) - dw * dtod) <=
        test::kZ * dw * dtod / std::sqrt(2 * n));
  CHECK(std::abs(sd / n - (1 - r) * dw) <= test::kZ * dw * dtod / std::sqrt(n));
  CHECK(std::abs(sw / n - 0.8) <= test::kZ * 0.8 * wmax_dtod / std::sqrt(n));
  CHECK(std::abs(std::sqrt(sw2 / n - sw * sw / n / n) - 0.8 * wmax_dtod) <=
        test::kZ * 0.8 * wmax_dtod / std::sqrt(2 * n));
}

TEST_CASE("stuck devices: the configured fraction never moves", "[arrays][update]") {
  const auto reg = test::arrays_registry();
  const double p = 0.1;
  const auto m = build(reg, {{"impl", "soft_bounds"}, {"stuck_fraction", p}});
  const auto d = m->draw(kDraws, kit::Stream(3, "test", "devices"));
  std::size_t stuck = 0;
  for (std::size_t k = 0; k < kDraws; ++k) stuck += m->pulse(d, k, 0.1, +1, 0.5) == 0.1;
  CHECK(std::abs(static_cast<double>(stuck) / kDraws - p) <=
        test::kZ * std::sqrt(p * (1 - p) / kDraws));
}

TEST_CASE("soft bounds and linear step: steps linear in the state", "[arrays][update]") {
  const auto reg = test::arrays_registry();
  const double dw = 0.01, sig = 0.2;
  const auto sb = build(reg, no_spread({{"impl", "soft_bounds"},
                                        {"dw_min", dw},
                                        {"dw_min_std", sig},
                                        {"w_min", -0.5},
                                        {"w_max", 1.0}}));
  for (const double w : {-0.3, 0.0, 0.6}) {
    check_step(*sb, w, +1, dw * (1 - w / 1.0), sig, true);
    check_step(*sb, w, -1, -dw * (1 - w / -0.5), sig, true);
  }
  // Linear step: dw+ = s(1 − γ+ w/w_max), dw− = s(1 + γ− w/|w_min|).
  const double gu = 0.4, gd = 0.7;
  const auto ls = build(reg, no_spread({{"impl", "linear_step"},
                                        {"dw_min", dw},
                                        {"dw_min_std", sig},
                                        {"gamma_up", gu},
                                        {"gamma_down", gd},
                                        {"gamma_up_dtod", 0.0},
                                        {"gamma_down_dtod", 0.0}}));
  for (const double w : {-0.5, 0.2}) {
    check_step(*ls, w, +1, dw * (1 - gu * w / 0.6), sig, true);
    check_step(*ls, w, -1, -dw * (1 + gd * w / 0.6), sig, true);
  }
}

TEST_CASE("exponential and power steps follow their laws", "[arrays][update]") {
  const auto reg = test::arrays_registry();
  const double dw = 0.01, sig = 0.1;
  // aihwkit's ExpStep defaults: A_up 0.00081, A_down 0.36833, γ_up 12.44625,
  // γ_down 12.78785, a 0.244, b 0.2425 on w in [-0.6, 0.6].
  const auto e = build(reg, no_spread({{"impl", "exp_step"}, {"dw_min", dw}, {"dw_min_std", sig}}));
  for (const double w : {-0.4, 0.0, 0.4}) {
    const double z = 2 * 0.244 * w / 1.2 + 0.2425;
    check_step(*e, w, +1, dw * std::max(1 - 0.00081 * std::exp(12.44625 * z), 0.0), sig, true);
    check_step(*e, w, -1, -dw * std::max(1 - 0.36833 * std::exp(-12.78785 * z), 0.0), sig, true);
  }
  const double g = 1.7;
  const auto p = build(reg, no_spread({{"impl", "pow_step"},
                                       {"dw_min", dw},
                                       {"dw_min_std", sig},
                                       {"pow_gamma", g},
                                       {"pow_gamma_dtod", 0.0}}));
  for (const double w : {-0.3, 0.25}) {
    check_step(*p, w, +1, dw * std::pow((0.6 - w) / 1.2, g), sig, true);
    check_step(*p, w, -1, -dw * std::pow((w + 0.6) / 1.2, g), sig, true);
  }
}

TEST_CASE("piecewise step interpolates its nodes", "[arrays][update]") {
  const auto reg = test::arrays_registry();
  const auto m = build(reg, no_spread({{"impl", "piecewise"},
                                       {"dw_min", 0.01},
                                       {"dw_min_std", 0.0},
                                       {"w_min", -1.0},
                                       {"w_max", 1.0},
                                       {"piecewise_up", {2.0, 1.0, 0.0}},
                                       {"piecewise_down", {0.0, 1.0, 3.0}}}));
  const auto d = m->draw(1, kit::Stream(1, "test", "devices"));
  CHECK(m->mean_step(d, 0, -1.0, +1) == Approx(0.02));
  CHECK(m->mean_step(d, 0, -0.5, +1) == Approx(0.015));
  CHECK(m->mean_step(d, 0, 0.5, -1) == Approx(-0.02));
  CHECK(m->mean_step(d, 0, 1.0, -1) == Approx(-0.03));
  CHECK_THROWS_AS(
      build(reg, {{"impl", "piecewise"}, {"piecewise_up", {1.0, 1.0}}, {"piecewise_down", {1.0}}}),
      kit::ConfigError);
}

TEST_CASE("NeuroSim curves: A from the nonlinearity label, N pulses span the window",
          "[arrays][update]") {
  // The manual's Table 1 (MLP_NeuroSim V3.0): 2.40 -> 0.4992, 4.88 -> 0.2003;
  // its getParamA table: 1.00 -> 1.2517, 0.50 -> 2.5199, 9.00 -> 0.0228.
  CHECK(arrays::neurosim_a_norm(2.4) == Approx(0.4992).epsilon(1e-3));
  CHECK(arrays::neurosim_a_norm(-4.88) == Approx(-0.2003).epsilon(1e-3));
  CHECK(arrays::neurosim_a_norm(1.0) == Approx(1.2517).epsilon(1e-3));
  CHECK(arrays::neurosim_a_norm(0.5) == Approx(2.5199).epsilon(1e-3));
  CHECK(arrays::neurosim_a_norm(9.0) == Approx(0.0228).epsilon(2e-3));
  CHECK(arrays::neurosim_a_norm(0.0) == 0.0);

  const auto reg = test::arrays_registry();
  const int n = 97;
  const auto m = build(reg, {{"preset", "neurosim_ag_si"}, {"c2c_sigma", 0.0}});
  const auto d = m->draw(1, kit::Stream(1, "test", "devices"));
  // LTP from the lower bound: after P pulses x(P) = (1 − e^(−P/A))/(1 − e^(−N/A)).
  const double a = arrays::neurosim_a_norm(2.4) * n;
  double w = -1.0;
  for (int p = 1; p <= n; ++p) {
    w = m->pulse(d, 0, w, +1, 0.0);
    if (p % 24 == 0 || p == n) {
      const double x = (1 - std::exp(-p / a)) / (1 - std::exp(-n / a));
      CHECK(w == Approx(-1.0 + 2.0 * x).margin(1e-5));
    }
  }
  CHECK(w == Approx(1.0).margin(1e-5));
  // LTD with A < 0 falls fast first: the first step down from the top is
  // larger than the last one up.
  const double first_down = m->mean_step(d, 0, 1.0, -1);
  CHECK(-first_down > m->mean_step(d, 0, 1.0 - 2.0 / n, +1));
  // Cycle-to-cycle noise: σ = c2c_sigma·(w_max − w_min) per pulse, additive.
  const auto noisy = build(reg, {{"preset", "neurosim_ag_si"}});
  const Moments mo = step_moments(*noisy, 0.0, +1);
  CHECK(std::sqrt(mo.var) == Approx(0.035 * 2.0).epsilon(test::kZ * std::sqrt(0.5 / kDraws)));
}

TEST_CASE("update presets build and price a pulse as V^2*G*t", "[arrays][update]") {
  const auto reg = test::arrays_registry();
  const auto names = reg.presets("update");
  CHECK(names.size() >= 15);
  for (const auto& [name, node] : names) {
    INFO(name);
    REQUIRE(node.contains("source"));
    const auto m = build(reg, {{"preset", name}});
    const auto d = m->draw(10, kit::Stream(1, "test", "devices"));
    CHECK(m->mean_step(d, 0, 0.0, +1) > 0);
    CHECK(m->mean_step(d, 0, 0.0, -1) < 0);
  }
  // Ag:a-Si: 3.2 V, 300 µs on g_max 0.038462 µS: 3.2²·0.038462e-6·300e-6 J.
  const auto ag = build(reg, {{"preset", "neurosim_ag_si"}});
  CHECK(ag->pulse_energy_pj(0.038462, +1) == Approx(3.2 * 3.2 * 0.038462e-6 * 300e-6 * 1e12));
  CHECK_THROWS_AS(build(reg, {{"impl", "soft_bounds"}, {"dw_min", 2.0}}), kit::ConfigError);
}

TEST_CASE("aihwkit's complex c2c noise: additive, growing with the step and the state",
          "[arrays][update]") {
  // PCMPresetDevice: z = 2a·w/(w_max − w_min) + b = −w on [0, 2], so
  // dw+ = dw_min·(1 + 27.235·e^(−2.5w)) and σ = 0.6·(|dw| + 0.042 + 0.108·w).
  const auto reg = test::arrays_registry();
  Json node = reg.resolve("update", {{"preset", "aihwkit_pcm"}}, "update");
  const auto m = build(reg, no_spread(node));
  for (const double w : {0.8, 1.2}) {
    const double dw = 0.01 * (1 + 27.235 * std::exp(-2.5 * w));
    check_step(*m, w, +1, dw, 0.6 * (dw + 0.042 + 0.108 * w), false);
  }
  // Without add and slope the noise is the law's plain multiplicative one.
  node["dw_min_std_add"] = 0.0;
  node["dw_min_std_slope"] = 0.0;
  const auto plain = build(reg, no_spread(node));
  const double dw = 0.01 * (1 + 27.235 * std::exp(-2.5));
  check_step(*plain, 1.0, +1, dw, 0.6, true);
}

TEST_CASE("decay and reset: per-device lifetimes and reset levels as drawn", "[arrays][update]") {
  const auto reg = test::arrays_registry();
  const double tau = 200, tau_dtod = 0.1, r = 0.05, r_dtod = 0.02, r_std = 0.01;
  const auto m = build(reg, no_spread({{"impl", "constant_step"},
                                       {"w_min", -1.0},
                                       {"w_max", 1.0},
                                       {"lifetime", tau},
                                       {"lifetime_dtod", tau_dtod},
                                       {"reset", r},
                                       {"reset_dtod", r_dtod},
                                       {"reset_std", r_std}}));
  const auto d = m->draw(kDraws, kit::Stream(5, "test", "devices"));
  REQUIRE(d.decay.size() == kDraws);
  const kit::Stream xi(5, "test", "reset");
  double st = 0, st2 = 0, sr = 0, sr2 = 0;
  for (std::size_t k = 0; k < kDraws; ++k) {
    const double t = 1.0 / (1.0 - d.decay[k]);  // the device's τ
    st += t;
    st2 += t * t;
    // One update's decay from 0.5 moves towards the device's own level.
    const double rk = d.reset_to[k];
    CHECK(m->decay(d, k, 0.5) == Approx(rk + (0.5 - rk) * (1 - 1 / t)).margin(1e-12));
    const double w = m->reset(d, k, xi.normal_at(k));
    sr += w;
    sr2 += w * w;
  }
  const double n = kDraws, mt = st / n, mr = sr / n;
  CHECK(std::abs(mt - tau) <= test::kZ * tau * tau_dtod / std::sqrt(n));
  CHECK(std::sqrt(st2 / n - mt * mt) ==
        Approx(tau * tau_dtod).epsilon(test::kZ * std::sqrt(0.5 / n)));
  // A reset lands at r + r_dtod·ξ_device + r_std·ξ_cycle.
  const double sd = std::sqrt(r_dtod * r_dtod + r_std * r_std);
  CHECK(std::abs(mr - r) <= test::kZ * sd / std::sqrt(n));
  CHECK(std::sqrt(sr2 / n - mr * mr) == Approx(sd).epsilon(test::kZ * std::sqrt(0.5 / n)));
  // No lifetime: no decay at all.
  const auto none = build(reg, {{"impl", "constant_step"}});
  const auto dn = none->draw(4, kit::Stream(5, "test", "devices"));
  CHECK(dn.decay.empty());
  CHECK(none->decay(dn, 0, 0.3) == 0.3);
  // A lifetime of one update or less would erase every device.
  try {
    build(reg, {{"impl", "constant_step"}, {"lifetime", 0.5}});
    FAIL("lifetime 0.5 accepted");
  } catch (const kit::ConfigError& e) {
    CHECK(e.path() == "update.lifetime");
  }
}
