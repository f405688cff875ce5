#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/kit/rng.h"

using namespace xbarsim::kit;

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors", "[core][rng]") {
  // Source: DEShawResearch/random123, tests/kat_vectors (philox4x32 10).
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
        PhiloxCounter{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  CHECK(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                      {0xffffffffu, 0xffffffffu}) ==
        PhiloxCounter{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  CHECK(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                      {0xa4093822u, 0x299f31d0u}) ==
        PhiloxCounter{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("normal draws follow N(0,1)", "[core][rng]") {
  const Stream s(42, "test", "normal");
  const std::size_t n = 200000;
  std::vector<double> v(n);
  s.fill_normal(std::span<double>(v));
  double mean = 0, var = 0;
  for (const double x : v) mean += x;
  mean /= static_cast<double>(n);
  for (const double x : v) var += (x - mean) * (x - mean);
  var /= static_cast<double>(n - 1);
  CHECK(std::abs(mean) < 5.0 / std::sqrt(static_cast<double>(n)));
  CHECK(std::abs(var - 1.0) < 5.0 * std::sqrt(2.0 / static_cast<double>(n)));
  // Kolmogorov-Smirnov against the normal CDF (critical value at alpha = 0.1 %).
  std::sort(v.begin(), v.end());
  double d = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double cdf = 0.5 * std::erfc(-v[i] / std::sqrt(2.0));
    d = std::max({d, cdf - static_cast<double>(i) / static_cast<double>(n),
                  static_cast<double>(i + 1) / static_cast<double>(n) - cdf});
  }
  CHECK(d < 1.95 / std::sqrt(static_cast<double>(n)));
}

TEST_CASE("uniform draws are in (0,1) with the right moments", "[core][rng]") {
  const Stream s(7, "test", "uniform");
  const std::size_t n = 100000;
  std::vector<double> v(n);
  s.fill_uniform(std::span<double>(v));
  double mean = 0;
  for (const double x : v) {
    REQUIRE(x > 0.0);
    REQUIRE(x < 1.0);
    mean += x;
  }
  mean /= static_cast<double>(n);
  CHECK(std::abs(mean - 0.5) < 5.0 * std::sqrt(1.0 / 12.0 / static_cast<double>(n)));
}

TEST_CASE("draws depend only on key and index, never on how they are split", "[core][rng]") {
  const Stream s(1, "tile", "read_noise");
  std::vector<float> whole(1001), part(500);
  s.fill_normal(std::span<float>(whole));
  s.fill_normal(std::span<float>(part), 501);  // odd offset: mid Box-Muller pair
  for (std::size_t i = 0; i < part.size(); ++i) CHECK(part[i] == whole[501 + i]);
  CHECK(static_cast<float>(s.normal_at(17)) == whole[17]);
  Stream seq(1, "tile", "read_noise");
  CHECK(seq.normal() == s.normal_at(0));
  CHECK(seq.normal() == s.normal_at(1));
}

TEST_CASE("different seeds, purposes, trials and substreams are independent", "[core][rng]") {
  const Stream a(1, "tile", "x"), b(2, "tile", "x"), c(1, "tile", "y"), d(1, "tile", "x", 1);
  CHECK(a.normal_at(0) != b.normal_at(0));
  CHECK(a.normal_at(0) != c.normal_at(0));
  CHECK(a.normal_at(0) != d.normal_at(0));
  CHECK(a.substream(0).normal_at(0) != a.substream(1).normal_at(0));
  // Correlation between two substreams is within sampling error of zero.
  const std::size_t n = 50000;
  double sxy = 0;
  for (std::size_t i = 0; i < n; ++i)
    sxy += a.substream(3).normal_at(i) * a.substream(4).normal_at(i);
  CHECK(std::abs(sxy / static_cast<double>(n)) < 5.0 / std::sqrt(static_cast<double>(n)));
}
