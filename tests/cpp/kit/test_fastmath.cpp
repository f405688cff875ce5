#include <catch2/catch.hpp>
#include <cmath>

#include "core/kit/fastmath.h"
#include "core/kit/rng.h"

using namespace xbarsim::kit;

TEST_CASE("log_fast and exp_fast agree with libm to a few ulp", "[core][fastmath]") {
  const Stream s(3, "test", "fastmath");
  double worst_log = 0, worst_exp = 0, worst_pow = 0;
  for (std::uint64_t i = 0; i < 200000; ++i) {
    const double y = 1400.0 * s.uniform_at(i) - 700.0;  // log-uniform x over 1e-304..1e304
    const double x = std::exp(y);
    const double l = std::log(x);
    worst_log = std::max(worst_log, std::abs(log_fast(x) - l) / std::max(std::abs(l), 1e-3));
    worst_exp = std::max(worst_exp, std::abs(exp_fast(y) - std::exp(y)) / std::exp(y));
    const double a = 10.0 * s.uniform_at(i + 1000000) + 1e-3,
                 b = 4.0 * s.uniform_at(i + 2000000) - 2.0;
    worst_pow = std::max(worst_pow, std::abs(pow_fast(a, b) - std::pow(a, b)) / std::pow(a, b));
  }
  CHECK(worst_log < 1e-15);
  CHECK(worst_exp < 1e-15);
  CHECK(worst_pow < 1e-13);
  CHECK(log_fast(1.0) == 0.0);
  CHECK(exp_fast(0.0) == 1.0);
  CHECK(log_fast(std::sqrt(2.0)) == Approx(std::log(std::sqrt(2.0))).epsilon(1e-15));
}
