#pragma once
// Natural log and exp in double precision as straight-line code, so that
// per-device loops that use them vectorise (libm's calls do not). Accurate
// to a few ulp for finite positive arguments of log and |x| < 700 for exp;
// tests compare them with std::log and std::exp.
#include <bit>
#include <cmath>
#include <cstdint>

namespace xbarsim::kit {

// log(x) for x > 0 (normal numbers): x = m·2^e with m in [1/sqrt2, sqrt2),
// log m = 2·atanh(s), s = (m−1)/(m+1), |s| <= 0.1716, by its odd series.
inline double log_fast(double x) {
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  const std::uint64_t mant = bits & 0x000fffffffffffffull;
  // m in [1, 2); use m/2 when m >= sqrt(2) so it lies in [1/sqrt2, sqrt2).
  // Signed compares and 32-bit integer conversions keep the loop vectorisable.
  const auto big = static_cast<std::int32_t>(static_cast<std::int64_t>(mant) >= 0x6a09e667f3bcdll);
  const double m =
      std::bit_cast<double>(mant | 0x3ff0000000000000ull) * (1.0 - 0.5 * static_cast<double>(big));
  const double e = static_cast<double>(static_cast<std::int32_t>(bits >> 52) - 1023 + big);
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  double p = 1.0 / 23;
  p = p * z + 1.0 / 21;
  p = p * z + 1.0 / 19;
  p = p * z + 1.0 / 17;
  p = p * z + 1.0 / 15;
  p = p * z + 1.0 / 13;
  p = p * z + 1.0 / 11;
  p = p * z + 1.0 / 9;
  p = p * z + 1.0 / 7;
  p = p * z + 1.0 / 5;
  p = p * z + 1.0 / 3;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 split for exactness
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  return e * kLn2Hi + (2.0 * s + 2.0 * s * z * p + e * kLn2Lo);
}

// exp(x) for |x| < 700: x = k·ln2 + r, |r| <= ln2/2, exp r by Taylor to r^13.
inline double exp_fast(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double k = std::nearbyint(x * 1.44269504088896338700);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k from k's bits in the mantissa of 1.5·2^52 + k: a double -> int64
  // conversion has no AVX2 instruction and would keep the loops scalar.
  constexpr double kMagic = 6755399441055744.0;  // 1.5·2^52
  const std::int64_t ki =
      std::bit_cast<std::int64_t>(k + kMagic) - std::bit_cast<std::int64_t>(kMagic);
  return p * std::bit_cast<double>(static_cast<std::uint64_t>(ki + 1023) << 52);
}

// a^b for a > 0.
inline double pow_fast(double a, double b) { return exp_fast(b * log_fast(a)); }

}  // namespace xbarsim::kit
