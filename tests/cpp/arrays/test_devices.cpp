// Statistical tests of the device models and of Crossbar programming.
//
// Every expected value is computed here from the published form (reference
// docs/models.md, "Devices"), never by calling the device under test.
// Tolerances are test::kZ standard errors of the statistic (KS tests at alpha ~ 1 %),
// and the seeds are fixed, so each run is identical.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "arrays/crossbar.h"
#include "arrays/device.h"
#include "core/kit/json.h"
#include "core/kit/registry.h"
#include "core/kit/rng.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

constexpr std::size_t kRows = 200, kCols = 200, kN = kRows * kCols;

// |a - b| <= tol, with the numbers in the failure message.
#define CHECK_NEAR(a, b, tol)                                                               \
  do {                                                                                      \
    const double a_ = (a), b_ = (b), t_ = (tol);                                            \
    INFO(#a " = " << a_ << ", expected " << b_ << " +- " << t_ << " (off by "               \
                  << (t_ > 0 ? std::abs(a_ - b_) / t_ * test::kZ : 0.0) << " SE if tol is " \
                  << test::kZ << " SE)");                                                   \
    CHECK(std::abs(a_ - b_) <= t_);                                                         \
  } while (0)

// Exact element-wise equality of two vectors, reported without printing them.
#define CHECK_SAME(a, b)                                                             \
  do {                                                                               \
    const auto& a_ = (a);                                                            \
    const auto& b_ = (b);                                                            \
    std::size_t diff_ = a_.size() == b_.size() ? 0 : 1, first_ = a_.size();          \
    for (std::size_t k_ = 0; k_ < std::min(a_.size(), b_.size()); ++k_) {            \
      if (!(a_[k_] == b_[k_])) {                                                     \
        if (diff_ == 0) first_ = k_;                                                 \
        ++diff_;                                                                     \
      }                                                                              \
    }                                                                                \
    INFO(#a " vs " #b ": sizes " << a_.size() << "/" << b_.size() << ", " << diff_   \
                                 << " differ, first at " << first_ << " ("           \
                                 << (first_ < a_.size() ? +a_[first_] : 0) << " vs " \
                                 << (first_ < b_.size() ? +b_[first_] : 0) << ")");  \
    CHECK(diff_ == 0);                                                               \
  } while (0)

const kit::Registry& registry() {
  static const kit::Registry reg = test::arrays_registry();
  return reg;
}

std::unique_ptr<arrays::Device> make_device(const Json& node) {
  const Json resolved = registry().resolve("device", node, "device");
  return registry().build<arrays::Device>("device", resolved);
}

kit::Stream stream(std::uint64_t seed, std::uint64_t trial = 0) {
  return kit::Stream(seed, "test_devices", "crossbar", trial);
}

// Low-order-first polynomial, written out here so the test does not share the
// device code's helper.
double poly(const std::vector<double>& c, double x) {
  double acc = 0.0, p = 1.0;
  for (const double ck : c) {
    acc += ck * p;
    p *= x;
  }
  return acc;
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }
double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }

struct Sample {
  double n = 0, mean = 0, sd = 0;
  double se_sd_any = 0;  // SE of sd for any distribution (from the 4th moment)
};

Sample describe(const std::vector<double>& v) {
  Sample s;
  s.n = static_cast<double>(v.size());
  for (const double x : v) s.mean += x;
  s.mean /= s.n;
  double m2 = 0, m4 = 0;
  for (const double x : v) {
    const double d = (x - s.mean) * (x - s.mean);
    m2 += d;
    m4 += d * d;
  }
  const double var = m2 / (s.n - 1);
  m4 /= s.n;
  s.sd = std::sqrt(var);
  s.se_sd_any = std::sqrt(std::max(m4 - var * var, 0.0) / s.n) / (2.0 * s.sd);
  return s;
}

// Checks mean and σ of samples drawn from N(mu, sigma): SE(mean) = σ/√n,
// SE(sd) = σ/√(2n).
#define CHECK_NORMAL_MOMENTS(values, mu, sigma)                    \
  do {                                                             \
    const Sample s_ = describe(values);                            \
    const double mu_ = (mu), sg_ = (sigma);                        \
    CHECK_NEAR(s_.mean, mu_, test::kZ* sg_ / std::sqrt(s_.n));     \
    CHECK_NEAR(s_.sd, sg_, test::kZ* sg_ / std::sqrt(2.0 * s_.n)); \
  } while (0)

// Kolmogorov-Smirnov distance of a sample from N(0, 1).
double ks_distance_normal(std::vector<double> z) {
  std::sort(z.begin(), z.end());
  const double n = static_cast<double>(z.size());
  double d = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double f = normal_cdf(z[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}
// Critical KS distance at α ≈ 1 %.
double ks_critical(std::size_t n) { return 1.63 / std::sqrt(static_cast<double>(n)); }

// ---- Published models (docs/models.md), written independently of arrays/devices ----

// IBM PCM (g_max reference 25 µS).
double pcm_ibm_sigma(double g_us, double g_max) {
  const double x = g_us / g_max;
  return (0.26348 + 1.9650 * x - 1.1731 * x * x) * g_max / 25.0;
}
double pcm_ibm_nu_mu(double x) { return std::clamp(-0.0155 * std::log(x) + 0.0244, 0.049, 0.1); }
double pcm_ibm_nu_sd(double x) { return std::clamp(-0.0125 * std::log(x) - 0.0059, 0.008, 0.045); }
double pcm_ibm_q(double x) { return std::min(0.0088 / std::pow(std::max(x, 1e-3), 0.65), 0.2); }

// HERMES cubic programming σ (µS at the fit's own g_max).
const std::vector<double> kHermes2 = {0.16603, 4.71806, -8.48101, 4.68961};
const std::vector<double> kHermes1 = {0.15782, 2.32444, -2.16311, 0.68842};
double hermes_nu_mu(double x) {
  return x < 0.0945 ? std::clamp(-0.0387 * std::log(x) - 0.0182, 0.072, 0.13)
                    : -0.0436 * x * x - 0.0126 * x + 0.0736;
}

// NeuRRAM (Wan 2022) quartic spreads, µS, fitted with g_max = 40 µS.
const std::vector<double> kWan1s = {0.348, 16.030, -43.853, 45.393, -16.815};
const std::vector<double> kWan1d = {0.701, 22.086, -50.773, 47.095, -16.458};
const std::vector<double> kWan2d = {0.782, 20.274, -43.507, 37.062, -11.934};
double wan_sigma(const std::vector<double>& c, double g_us) { return poly(c, g_us / 40.0); }

// Folded normal |μ + σξ|: first moment.
double folded_mean(double mu, double sd) {
  return sd * std::sqrt(2.0 / std::numbers::pi) * std::exp(-mu * mu / (2 * sd * sd)) +
         mu * (1.0 - 2.0 * normal_cdf(-mu / sd));
}

// Targets spread over [lo, hi]·g_max in a scrambled order.
std::vector<double> spread_targets(std::size_t n, double lo, double hi, double g_max) {
  std::vector<double> t(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double u = static_cast<double>((k * 7919) % 1000) / 999.0;
    t[k] = (lo + (hi - lo) * u) * g_max;
  }
  return t;
}

}  // namespace

// 1. Programming error: mean at the target, σ from the published fits.
TEST_CASE("programming spread matches the published sigma fits", "[arrays][device]") {
  SECTION("pcm_ibm, three levels, quadratic sigma (Nandakumar/Joshi)") {
    const auto dev = make_device({{"preset", "pcm_ibm"}});
    std::uint64_t trial = 0;
    for (const double x : {0.25, 0.5, 0.9}) {
      CAPTURE(x);
      const double target = x * 25.0;
      arrays::Crossbar xb(*dev, stream(1, trial++));
      xb.program(std::vector<double>(kN, target), kRows, kCols);
      CHECK_NORMAL_MOMENTS(xb.programmed(), target, pcm_ibm_sigma(target, 25.0));
    }
  }
  SECTION("pcm_ibm with g_max 50 uS scales sigma by g_max/25") {
    const auto dev = make_device({{"preset", "pcm_ibm"}, {"g_max_us", 50.0}});
    arrays::Crossbar xb(*dev, stream(2));
    xb.program(std::vector<double>(kN, 25.0), kRows, kCols);
    const double sigma = (0.26348 + 1.9650 * 0.5 - 1.1731 * 0.25) * 2.0;
    CHECK_NORMAL_MOMENTS(xb.programmed(), 25.0, sigma);
  }
  SECTION("pcm_hermes, two devices (g_max 20.7 uS), cubic sigma") {
    const auto dev = make_device({{"preset", "pcm_hermes"}});
    const double target = 0.7 * 20.7;
    arrays::Crossbar xb(*dev, stream(3));
    xb.program(std::vector<double>(kN, target), kRows, kCols);
    CHECK_NORMAL_MOMENTS(xb.programmed(), target, poly(kHermes2, 0.7));
  }
  SECTION("pcm_hermes, one device (g_max 10.35 uS), cubic sigma") {
    const auto dev = make_device({{"preset", "pcm_hermes_1dev"}});
    const double target = 0.5 * 10.35;
    arrays::Crossbar xb(*dev, stream(4));
    xb.program(std::vector<double>(kN, target), kRows, kCols);
    CHECK_NORMAL_MOMENTS(xb.programmed(), target, poly(kHermes1, 0.5));
  }
  SECTION("rram_cmo, sigma = 0.00081107 + 0.00106879 G (0.2 % acceptance)") {
    const auto dev = make_device({{"preset", "rram_cmo"}});
    arrays::Crossbar xb(*dev, stream(5));
    xb.program(std::vector<double>(kN, 50.0), kRows, kCols);
    CHECK_NORMAL_MOMENTS(xb.programmed(), 50.0, 0.00081107 + 0.00106879 * 50.0);
  }
  SECTION("rram_cmo, sigma = 0.0112185 + 0.0112903 G (2 % acceptance)") {
    const auto dev = make_device({{"preset", "rram_cmo"}, {"acceptance", "2%"}});
    arrays::Crossbar xb(*dev, stream(6));
    xb.program(std::vector<double>(kN, 50.0), kRows, kCols);
    CHECK_NORMAL_MOMENTS(xb.programmed(), 50.0, 0.0112185 + 0.0112903 * 50.0);
  }
  SECTION("rram_wan, sigma after 1 s (quartic, 40 uS reference)") {
    const auto dev = make_device({{"preset", "rram_wan"}});
    arrays::Crossbar xb(*dev, stream(7));
    xb.program(std::vector<double>(kN, 20.0), kRows, kCols);
    CHECK_NORMAL_MOMENTS(xb.programmed(), 20.0, wan_sigma(kWan1s, 20.0));
  }
}

// 10. Shape: standardized programming errors are standard normal.
TEST_CASE("standardized programming errors pass a KS test against N(0,1)", "[arrays][device]") {
  SECTION("pcm_ibm, targets spread over 0.2..1 g_max (state-dependent sigma)") {
    const auto dev = make_device({{"preset", "pcm_ibm"}});
    const auto targets = spread_targets(kN, 0.2, 1.0, 25.0);
    arrays::Crossbar xb(*dev, stream(8));
    xb.program(targets, kRows, kCols);
    std::vector<double> z(kN);
    for (std::size_t k = 0; k < kN; ++k) {
      z[k] = (xb.programmed()[k] - targets[k]) / pcm_ibm_sigma(targets[k], 25.0);
    }
    const double d = ks_distance_normal(z);
    CAPTURE(d, ks_critical(kN));
    CHECK(d < ks_critical(kN));
  }
  SECTION("pcm_hermes two devices, targets spread over 0.3..1 g_max") {
    const auto dev = make_device({{"preset", "pcm_hermes"}});
    const auto targets = spread_targets(kN, 0.3, 1.0, 20.7);
    arrays::Crossbar xb(*dev, stream(9));
    xb.program(targets, kRows, kCols);
    std::vector<double> z(kN);
    for (std::size_t k = 0; k < kN; ++k) {
      z[k] = (xb.programmed()[k] - targets[k]) / poly(kHermes2, targets[k] / 20.7);
    }
    const double d = ks_distance_normal(z);
    CAPTURE(d, ks_critical(kN));
    CHECK(d < ks_critical(kN));
  }
}

// 2. Drift exponent ν = |μ_ν + σ_ν ξ|.
TEST_CASE("pcm_ibm drift exponent statistics follow the published fit", "[arrays][device]") {
  const auto dev = make_device({{"preset", "pcm_ibm"}});
  SECTION("level 0.5 g_max: both fits clipped, mu 0.049, sigma 0.008, folding negligible") {
    arrays::Crossbar xb(*dev, stream(10));
    xb.program(std::vector<double>(kN, 12.5), kRows, kCols);
    const double mu = pcm_ibm_nu_mu(0.5), sd = pcm_ibm_nu_sd(0.5);
    REQUIRE(mu == Approx(0.049));
    REQUIRE(sd == Approx(0.008));
    CHECK(*std::min_element(xb.drift_nu().begin(), xb.drift_nu().end()) >= 0.0);
    CHECK_NORMAL_MOMENTS(xb.drift_nu(), mu, sd);
  }
  SECTION("level 0.1 g_max: unclipped fits, exact folded-normal moments per cell") {
    // The model draws ν from the fit at each cell's programmed level; the
    // folded-normal moments are computed per cell and averaged.
    arrays::Crossbar xb(*dev, stream(11));
    xb.program(std::vector<double>(kN, 2.5), kRows, kCols);
    double sum_nu = 0, sum_nu2 = 0, sum_m1 = 0, sum_m2 = 0, var_sum = 0, var2_sum = 0;
    for (std::size_t k = 0; k < kN; ++k) {
      const double x = std::max(xb.programmed()[k] / 25.0, 1e-7);
      const double mu = pcm_ibm_nu_mu(x), sd = pcm_ibm_nu_sd(x);
      const double nu = xb.drift_nu()[k];
      const double m1 = folded_mean(mu, sd), m2 = mu * mu + sd * sd;
      sum_nu += nu;
      sum_nu2 += nu * nu;
      sum_m1 += m1;
      sum_m2 += m2;
      var_sum += m2 - m1 * m1;
      var2_sum += 4 * mu * mu * sd * sd + 2 * sd * sd * sd * sd;  // Var((μ+σξ)²)
    }
    const double n = static_cast<double>(kN);
    CHECK_NEAR(sum_nu / n, sum_m1 / n, test::kZ * std::sqrt(var_sum) / n);
    CHECK_NEAR(sum_nu2 / n, sum_m2 / n, test::kZ * std::sqrt(var2_sum) / n);
  }
}

// docs/models.md (and aihwkit) take μ_ν, σ_ν at g_T = g_target/g_max, not at the
// programmed conductance (which would count the programming spread twice).
// Visible at low levels, where the fits are not clipped.
TEST_CASE("pcm_ibm drift exponent at a low level uses the target level (docs/models.md)",
          "[arrays][device]") {
  const auto dev = make_device({{"preset", "pcm_ibm"}});
  const double x = 0.03;
  arrays::Crossbar xb(*dev, stream(12));
  xb.program(std::vector<double>(kN, x * 25.0), kRows, kCols);
  const double mu = pcm_ibm_nu_mu(x), sd = pcm_ibm_nu_sd(x);
  const double m1 = folded_mean(mu, sd), m2 = mu * mu + sd * sd;
  const Sample s = describe(xb.drift_nu());
  CHECK_NEAR(s.mean, m1, test::kZ * std::sqrt((m2 - m1 * m1) / s.n));
  CHECK_NEAR(s.sd, std::sqrt(m2 - m1 * m1), test::kZ * s.se_sd_any);
}

TEST_CASE("pcm_hermes drift exponent mean follows the published fit", "[arrays][device]") {
  // Level 0.2 g_max (quadratic branch of μ_ν, μ/σ ≈ 5: folding negligible);
  // μ_ν evaluated per cell at its programmed level, as the model does.
  const auto dev = make_device({{"preset", "pcm_hermes"}});
  arrays::Crossbar xb(*dev, stream(13));
  xb.program(std::vector<double>(kN, 0.2 * 20.7), kRows, kCols);
  std::vector<double> resid(kN);
  for (std::size_t k = 0; k < kN; ++k) {
    const double x = std::max(xb.programmed()[k] / 20.7, 1e-7);
    resid[k] = xb.drift_nu()[k] - hermes_nu_mu(x);
  }
  const Sample s = describe(resid);
  CHECK_NEAR(s.mean, 0.0, test::kZ * s.sd / std::sqrt(s.n));
  // Same at the target level (the curve is smooth here, the difference is tiny).
  CHECK(describe(xb.drift_nu()).mean == Approx(hermes_nu_mu(0.2)).epsilon(0.01));
}

// 3. Drift law g(t) = g_prog·((t + t0)/t0)^(−ν), t counted from the end of programming.
TEST_CASE("PCM drift follows the power law per cell", "[arrays][device]") {
  struct Case {
    const char* preset;
    double g_max, t0;
  };
  SECTION("per cell, pcm_ibm (t0 20 s) and pcm_hermes (t0 300 s)") {
    for (const Case c : {Case{"pcm_ibm", 25.0, 20.0}, Case{"pcm_hermes", 20.7, 300.0}}) {
      CAPTURE(c.preset);
      const auto dev = make_device({{"preset", c.preset}});
      arrays::Crossbar xb(*dev, stream(14));
      xb.program(spread_targets(100 * 100, 0.05, 1.0, c.g_max), 100, 100);
      const auto& gp = xb.programmed();
      const auto& nu = xb.drift_nu();
      CHECK_SAME(xb.conductances_at(0.0), gp);
      for (const double t : {1.0, 3600.0, 86400.0, 3.15e7}) {
        CAPTURE(t);
        const auto g = xb.conductances_at(t);
        double worst = 0;
        for (std::size_t k = 0; k < gp.size(); ++k) {
          const double expect = gp[k] * std::pow((t + c.t0) / c.t0, -nu[k]);
          worst = std::max(worst, std::abs(g[k] - expect) / std::max(expect, 1e-300));
        }
        CHECK(worst < 1e-12);
      }
    }
  }
  SECTION("population mean of g(t)/g_prog at 1 day, level 0.5 (ν ~ N(0.049, 0.008))") {
    // E[e^{−νL}] = exp(−μL + σ²L²/2), L = ln((t + t0)/t0).
    const auto dev = make_device({{"preset", "pcm_ibm"}});
    arrays::Crossbar xb(*dev, stream(15));
    xb.program(std::vector<double>(kN, 12.5), kRows, kCols);
    const double t = 86400.0, L = std::log((t + 20.0) / 20.0), mu = 0.049, sd = 0.008;
    const auto g = xb.conductances_at(t);
    std::vector<double> ratio(kN);
    for (std::size_t k = 0; k < kN; ++k) ratio[k] = g[k] / xb.programmed()[k];
    const double m1 = std::exp(-mu * L + 0.5 * sd * sd * L * L);
    const double m2 = std::exp(-2 * mu * L + 2 * sd * sd * L * L);
    CHECK_NEAR(describe(ratio).mean, m1, test::kZ * std::sqrt((m2 - m1 * m1) / kN));
  }
}

// 4. 1/f read noise σ = Q·sqrt(ln((t + t0 + t_read)/(2 t_read)))·g.
TEST_CASE("read noise sigma follows the published laws per cell", "[arrays][device]") {
  SECTION("pcm_ibm: Q from the programmed level, capped at 0.2") {
    const auto dev = make_device({{"preset", "pcm_ibm"}});
    arrays::Crossbar xb(*dev, stream(16));
    xb.program(spread_targets(100 * 100, 0.001, 1.0, 25.0), 100, 100);
    const auto& gp = xb.programmed();
    std::size_t capped = 0;
    for (const double g : gp) capped += (g > 0 && pcm_ibm_q(g / 25.0) == 0.2);
    CHECK(capped > 10);  // the cap is exercised
    const double t0 = 20.0, tr = 250e-9;
    for (const double t : {0.0, 60.0, 86400.0}) {
      CAPTURE(t);
      const auto g = xb.conductances_at(t);
      const auto s = xb.read_sigma_at(g, t);
      const double f = std::sqrt(std::log((t + t0 + tr) / (2 * tr)));
      double worst = 0;
      for (std::size_t k = 0; k < gp.size(); ++k) {
        const double expect = pcm_ibm_q(std::abs(gp[k]) / 25.0) * f * g[k];
        worst = std::max(worst, std::abs(s[k] - expect) / (expect + 1e-30));
      }
      CHECK(worst < 1e-10);
    }
  }
  SECTION("rram_cmo: K log10(G) sqrt(ln((t + t_r)/(2 t_r))), K 0.02773, t_r 1 us") {
    const auto dev = make_device({{"preset", "rram_cmo"}});
    arrays::Crossbar xb(*dev, stream(17));
    xb.program(spread_targets(50 * 50, 0.15, 0.95, 88.2), 50, 50);
    for (const double t : {1.0, 3600.0}) {
      const auto g = xb.conductances_at(t);
      const auto s = xb.read_sigma_at(g, t);
      const double f = std::sqrt(std::log((t + 1e-6) / 2e-6));
      for (std::size_t k = 0; k < g.size(); ++k) {
        REQUIRE(s[k] == Approx(0.02773 * std::log10(g[k]) * f).epsilon(2e-4));
      }
    }
  }
  SECTION("rram_wan: read_sigma_frac of the window") {
    const auto dev = make_device({{"preset", "rram_wan"}});
    arrays::Crossbar xb(*dev, stream(18));
    xb.program(spread_targets(20 * 20, 0.1, 0.9, 40.0), 20, 20);
    for (const double s : xb.read_sigma_at(xb.conductances_at(10.0), 10.0)) {
      REQUIRE(s == Approx(0.01 * (40.0 - 1.0)));
    }
  }
}

// 5. Relaxation: RRAM spread grows to the published 1-day and 2-day values.
TEST_CASE("rram_wan relaxation reaches the published 1-day and 2-day spreads", "[arrays][device]") {
  const auto dev = make_device({{"preset", "rram_wan"}});
  const std::size_t rows = 300, cols = 300, n = rows * cols;
  // Mid-window: 5 σ_1day from 0, so the g >= 0 clamp does not touch the spread.
  const double target = 0.5 * 40.0;
  arrays::Crossbar xb(*dev, stream(19));
  xb.program(std::vector<double>(n, target), rows, cols);
  const auto& gp = xb.programmed();

  // Up to 1 s nothing relaxes.
  CHECK(xb.conductances_at(1.0) == gp);
  CHECK_NORMAL_MOMENTS(gp, target, wan_sigma(kWan1s, target));

  // The model adds, per device, a Gaussian step of variance σ_t(g)² − σ_1s(g)²
  // at the device's programmed g, so the exact total variance is
  // σ_1s(T)² + E_g[σ_t(g)² − σ_1s(g)²] (quadrature over g ~ N(T, σ_1s(T))).
  const auto expected_total = [&](const std::vector<double>& ct) {
    const double s0 = wan_sigma(kWan1s, target);
    double acc = 0;
    const int m = 4000;
    const double lo = -8.0, h = 16.0 / m;
    for (int i = 0; i <= m; ++i) {
      const double z = lo + i * h, g = target + s0 * z;
      const double w = (i == 0 || i == m) ? 1.0 : (i % 2 ? 4.0 : 2.0);
      const double inc =
          std::max(std::pow(wan_sigma(ct, g), 2) - std::pow(wan_sigma(kWan1s, g), 2), 0.0);
      acc += w * inc * normal_pdf(z);
    }
    return std::sqrt(s0 * s0 + acc * h / 3.0);
  };
  struct Point {
    double t;
    const std::vector<double>* fit;
  };
  std::vector<std::vector<double>> xi;
  for (const Point p : {Point{86400.0, &kWan1d}, Point{172800.0, &kWan2d}}) {
    CAPTURE(p.t);
    const double published = wan_sigma(*p.fit, target);
    const double exact = expected_total(*p.fit);
    // The per-device model reproduces the published spread at the target.
    CHECK(exact == Approx(published).epsilon(0.01));
    const auto g = xb.conductances_at(p.t);
    CHECK_NORMAL_MOMENTS(g, target, exact);
    // Each device's step, standardized by its own increment σ.
    std::vector<double> z(n);
    for (std::size_t k = 0; k < n; ++k) {
      const double inc =
          std::sqrt(std::pow(wan_sigma(*p.fit, gp[k]), 2) - std::pow(wan_sigma(kWan1s, gp[k]), 2));
      z[k] = (g[k] - gp[k]) / inc;
    }
    xi.push_back(z);
  }
  // One relaxation draw per device: the same standardized step at both times,
  // and it is standard normal.
  double worst = 0;
  for (std::size_t k = 0; k < n; ++k) worst = std::max(worst, std::abs(xi[0][k] - xi[1][k]));
  CHECK(worst < 1e-6);
  const double d = ks_distance_normal(xi[0]);
  CAPTURE(d);
  CHECK(d < ks_critical(n));
}

TEST_CASE("rram_cmo relaxation: mean -0.0890 ln t, sigma 0.0420 ln t + 0.4118",
          "[arrays][device]") {
  const auto dev = make_device({{"preset", "rram_cmo"}});
  arrays::Crossbar xb(*dev, stream(20));
  xb.program(std::vector<double>(kN, 50.0), kRows, kCols);
  const double t = 1000.0, lt = std::log(t);
  const double s_prog = 0.00081107 + 0.00106879 * 50.0;
  const double s_relax = 0.0420 * lt + 0.4118;
  CHECK_NORMAL_MOMENTS(xb.conductances_at(t), 50.0 - 0.0890 * lt,
                       std::sqrt(s_prog * s_prog + s_relax * s_relax));
}

// 6. Stuck-at faults.
TEST_CASE("stuck cells: binomial counts, fixed at g_max / g_min, ignore targets and time",
          "[arrays][device]") {
  SECTION("rram_wan 300x300, 1 % LRS and 2 % HRS") {
    const std::size_t rows = 300, cols = 300, n = rows * cols;
    const double p_lrs = 0.01, p_hrs = 0.02;
    const auto dev = make_device(
        {{"preset", "rram_wan"}, {"stuck_lrs_fraction", p_lrs}, {"stuck_hrs_fraction", p_hrs}});
    arrays::Crossbar xb(*dev, stream(21));
    const auto rep = xb.program(spread_targets(n, 0.1, 0.9, 40.0), rows, cols);
    const double nn = static_cast<double>(n);
    CHECK_NEAR(static_cast<double>(rep.stuck_lrs), nn * p_lrs,
               test::kZ * std::sqrt(nn * p_lrs * (1 - p_lrs)));
    CHECK_NEAR(static_cast<double>(rep.stuck_hrs), nn * p_hrs,
               test::kZ * std::sqrt(nn * p_hrs * (1 - p_hrs)));
    CHECK(rep.pulses == n - rep.stuck_lrs - rep.stuck_hrs);  // stuck cells are not pulsed
    CHECK(rep.unreachable == 0);

    const auto stuck = xb.stuck();
    const auto g_before = xb.programmed();
    std::size_t n_lrs = 0, n_hrs = 0;
    const auto g_day = xb.conductances_at(86400.0);
    for (std::size_t k = 0; k < n; ++k) {
      if (stuck[k] == 1) {
        ++n_lrs;
        REQUIRE(g_before[k] == 40.0);
        REQUIRE(g_day[k] == 40.0);
      } else if (stuck[k] == 2) {
        ++n_hrs;
        REQUIRE(g_before[k] == 1.0);
        REQUIRE(g_day[k] == 1.0);
      }
    }
    CHECK(n_lrs == rep.stuck_lrs);
    CHECK(n_hrs == rep.stuck_hrs);

    // New targets: the same cells are stuck, at the same values.
    xb.program(std::vector<double>(n, 20.0), rows, cols);
    CHECK_SAME(xb.stuck(), stuck);
    for (std::size_t k = 0; k < n; ++k) {
      if (stuck[k]) REQUIRE(xb.programmed()[k] == g_before[k]);
    }
  }

  SECTION("pcm_ibm: stuck cells neither drift nor get a drift exponent") {
    const auto pcm = make_device({{"preset", "pcm_ibm"},
                                  {"g_min_us", 0.5},
                                  {"stuck_lrs_fraction", 0.05},
                                  {"stuck_hrs_fraction", 0.05}});
    arrays::Crossbar xp(*pcm, stream(22));
    xp.program(spread_targets(100 * 100, 0.1, 0.9, 25.0), 100, 100);
    const auto g = xp.conductances_at(1e6);
    std::size_t seen = 0;
    for (std::size_t k = 0; k < g.size(); ++k) {
      if (!xp.stuck()[k]) continue;
      ++seen;
      REQUIRE(g[k] == (xp.stuck()[k] == 1 ? 25.0 : 0.5));
      REQUIRE(xp.drift_nu()[k] == 0.0);
    }
    CHECK(seen > 800);
  }
}

// 7. Write-verify on a device with constant programming σ.
TEST_CASE("write-verify: failure fraction, pulses, tolerance, time and energy",
          "[arrays][device]") {
  const double s = 5.0, tol = 0.02, g_min = 10.0, g_max = 100.0, target = 55.0;
  const int max_pulses = 5;
  const double v = 1.5, t_write = 100.0, t_verify = 20.0;
  const auto dev = make_device({{"impl", "table"},
                                {"g_min_us", g_min},
                                {"g_max_us", g_max},
                                {"program_sigma_poly_us", Json::array({s})},
                                {"verify_tolerance", tol},
                                {"max_pulses", max_pulses},
                                {"v_write_v", v},
                                {"t_write_ns", t_write},
                                {"t_verify_ns", t_verify}});
  const double tol_us = tol * (g_max - g_min);
  const double p = 2.0 * normal_cdf(tol_us / s) - 1.0;  // one pulse lands within tolerance
  const double q = 1.0 - p, n = static_cast<double>(kN);

  SECTION("budget of 5 pulses") {
    arrays::Crossbar xb(*dev, stream(23));
    const auto rep = xb.program(std::vector<double>(kN, target), kRows, kCols);

    const double fail = std::pow(q, max_pulses);
    CHECK_NEAR(static_cast<double>(rep.verify_failures) / n, fail,
               test::kZ * std::sqrt(fail * (1 - fail) / n));

    // Pulses per cell K: P(K = k) = q^{k−1} p for k < P, q^{P−1} for k = P.
    double ek = 0, ek2 = 0;
    for (int k = 1; k <= max_pulses; ++k) {
      const double pk = k < max_pulses ? std::pow(q, k - 1) * p : std::pow(q, max_pulses - 1);
      ek += k * pk;
      ek2 += k * k * pk;
    }
    REQUIRE(ek == Approx((1 - fail) / p));
    CHECK_NEAR(static_cast<double>(rep.pulses) / n, ek, test::kZ * std::sqrt((ek2 - ek * ek) / n));

    // Accepted cells within tolerance, failed ones outside; accepted errors centred.
    std::size_t outside = 0;
    std::vector<double> accepted;
    for (const double g : xb.programmed()) {
      if (std::abs(g - target) > tol_us) {
        ++outside;
      } else {
        accepted.push_back(g - target);
      }
    }
    CHECK(outside == rep.verify_failures);
    const Sample a = describe(accepted);
    CHECK_NEAR(a.mean, 0.0, test::kZ * a.sd / std::sqrt(a.n));

    // Every row has a cell that spends the whole budget (P(not) ≈ 1e-27).
    CHECK(rep.time_ns == Approx(static_cast<double>(kRows * max_pulses) * (t_write + t_verify)));

    // Energy: Σ V²·G·t over pulses; each pulse's G is unbiased about the target
    // (Wald), so E = k·T·pulses ± k·s·sqrt(pulses), k = V²·t in pJ/µS.
    const double k_pj = v * v * 1e-6 * t_write * 1e-9 * 1e12;
    const double pulses = static_cast<double>(rep.pulses);
    CHECK_NEAR(rep.energy_pj, k_pj * target * pulses, test::kZ * k_pj * s * std::sqrt(pulses));
  }

  SECTION("one pulse: energy is exactly sum V^2 G t over cells, time is one pulse per row") {
    const auto one = make_device({{"impl", "table"},
                                  {"g_min_us", g_min},
                                  {"g_max_us", g_max},
                                  {"program_sigma_poly_us", Json::array({s})},
                                  {"v_write_v", v},
                                  {"t_write_ns", t_write},
                                  {"t_verify_ns", t_verify}});
    arrays::Crossbar x1(*one, stream(24));
    const auto r1 = x1.program(spread_targets(kN, 0.2, 0.9, g_max), kRows, kCols);
    double e = 0;
    for (const double g : x1.programmed()) e += v * v * (g * 1e-6) * (t_write * 1e-9) * 1e12;
    CHECK(r1.energy_pj == Approx(e).epsilon(1e-12));
    CHECK(r1.pulses == kN);
    CHECK(r1.verify_failures == 0);
    CHECK(r1.time_ns == Approx(static_cast<double>(kRows) * (t_write + t_verify)));
  }
  SECTION("budget of one pulse with a tolerance: failures are 1 - p") {
    const auto one = make_device({{"impl", "table"},
                                  {"g_min_us", g_min},
                                  {"g_max_us", g_max},
                                  {"program_sigma_poly_us", Json::array({s})},
                                  {"verify_tolerance", tol},
                                  {"max_pulses", 1}});
    arrays::Crossbar x1(*one, stream(25));
    const auto r1 = x1.program(std::vector<double>(kN, target), kRows, kCols);
    CHECK(r1.pulses == kN);
    CHECK_NEAR(static_cast<double>(r1.verify_failures) / n, q, test::kZ * std::sqrt(p * q / n));
  }
}

// 8. Device-to-device variation of the window's top.
TEST_CASE("d2d window variation: unreachable targets and clamped conductances",
          "[arrays][device]") {
  SECTION("target at g_max: half unreachable; g = g_max·(1 + s·min(0, xi))") {
    const double s = 0.1, g_max = 100.0;
    const auto dev = make_device({{"impl", "ideal"}, {"g_max_us", g_max}, {"d2d_window_sigma", s}});
    arrays::Crossbar xb(*dev, stream(26));
    const auto rep = xb.program(std::vector<double>(kN, g_max), kRows, kCols);
    const double n = static_cast<double>(kN);
    CHECK_NEAR(static_cast<double>(rep.unreachable), 0.5 * n, test::kZ * std::sqrt(0.25 * n));
    // E[min(0,ξ)] = −1/√(2π), E[min(0,ξ)²] = 1/2.
    const double mean = g_max * (1.0 - s / std::sqrt(2.0 * std::numbers::pi));
    const double sd = g_max * s * std::sqrt(0.5 - 1.0 / (2.0 * std::numbers::pi));
    const Sample smp = describe(xb.programmed());
    CHECK_NEAR(smp.mean, mean, test::kZ * sd / std::sqrt(n));
    CHECK_NEAR(smp.sd, sd, test::kZ * smp.se_sd_any);
    CHECK(*std::max_element(xb.programmed().begin(), xb.programmed().end()) <= g_max);
  }
  SECTION("target at 0.5 g_max, s = 0.2: unreachable fraction Phi(-2.5)") {
    const double s = 0.2, g_max = 100.0, target = 50.0;
    const auto dev = make_device({{"impl", "ideal"}, {"g_max_us", g_max}, {"d2d_window_sigma", s}});
    arrays::Crossbar xb(*dev, stream(27));
    const auto rep = xb.program(std::vector<double>(kN, target), kRows, kCols);
    const double n = static_cast<double>(kN), p = normal_cdf(-(1.0 - 0.5) / s);
    CHECK_NEAR(static_cast<double>(rep.unreachable), n * p, test::kZ * std::sqrt(n * p * (1 - p)));
    std::size_t below = 0;
    for (const double g : xb.programmed()) {
      if (g != target) {
        ++below;
        REQUIRE(g < target);
      }
    }
    CHECK(below == rep.unreachable);
  }
}

// 9. Reproducibility from the stream key.
TEST_CASE("programming is a pure function of the stream key", "[arrays][device]") {
  const auto dev = make_device({{"preset", "pcm_ibm"},
                                {"verify_tolerance", 0.02},
                                {"max_pulses", 4},
                                {"d2d_window_sigma", 0.05},
                                {"stuck_lrs_fraction", 0.01},
                                {"stuck_hrs_fraction", 0.01}});
  const auto targets = spread_targets(64 * 48, 0.1, 0.9, 25.0);
  arrays::Crossbar a(*dev, kit::Stream(42, "layer1", "device"));
  arrays::Crossbar b(*dev, kit::Stream(42, "layer1", "device"));
  const auto ra = a.program(targets, 64, 48);
  const auto rb = b.program(targets, 64, 48);
  CHECK_SAME(a.programmed(), b.programmed());
  CHECK_SAME(a.drift_nu(), b.drift_nu());
  CHECK_SAME(a.stuck(), b.stuck());
  CHECK_SAME(a.conductances_at(3600.0), b.conductances_at(3600.0));
  CHECK(ra.to_json() == rb.to_json());

  // Programming again gives the same state.
  const auto first = a.programmed();
  a.program(targets, 64, 48);
  CHECK_SAME(a.programmed(), first);

  // Any other key part changes (almost) every cell.
  for (const kit::Stream other :
       {kit::Stream(43, "layer1", "device"), kit::Stream(42, "layer2", "device"),
        kit::Stream(42, "layer1", "device", 1)}) {
    arrays::Crossbar c(*dev, other);
    c.program(targets, 64, 48);
    std::size_t same = 0;
    for (std::size_t k = 0; k < targets.size(); ++k) same += c.programmed()[k] == first[k];
    CHECK(same < targets.size() / 20);  // only cells stuck in both may coincide
  }
}
