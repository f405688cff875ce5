#include "core/kit/rng.h"

#include <algorithm>
#include <bit>

namespace xbarsim::kit {
namespace {

// Source: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
// 1, 2, 3", SC'11 — Philox4x32 multipliers and Weyl key increments.
constexpr std::uint32_t kMul0 = 0xD2511F53u;
constexpr std::uint32_t kMul1 = 0xCD9E8D57u;
constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;
constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;

inline void mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
}

// 53-bit uniform from two words, in (0, 1).
inline double to_open_unit53(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
  return (static_cast<double>(bits & ((1ull << 53) - 1)) + 0.5) * (1.0 / 9007199254740992.0);
}

}  // namespace

PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey k) {
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMul0, c[0], hi0, lo0);
    mulhilo(kMul1, c[2], hi1, lo1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return c;
}

std::uint64_t hash_name(std::string_view name) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (const char ch : name) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ull;  // FNV-1a 64 prime
  }
  return h;
}

Stream::Stream(std::uint64_t seed, std::string_view component, std::string_view purpose,
               std::uint64_t trial) {
  // Mix the four key parts through one Philox block so that nearby seeds or
  // trials give unrelated keys.
  const std::uint64_t names = hash_name(component) ^ (hash_name(purpose) * 0x9E3779B97F4A7C15ull);
  const PhiloxCounter mixed =
      philox4x32_10({static_cast<std::uint32_t>(names), static_cast<std::uint32_t>(names >> 32),
                     static_cast<std::uint32_t>(trial), static_cast<std::uint32_t>(trial >> 32)},
                    {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  key_ = {mixed[0] ^ mixed[2], mixed[1] ^ mixed[3]};
}

PhiloxCounter Stream::block(std::uint64_t b) const {
  return philox4x32_10(
      {static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32), domain_, 0x5851F42Du},
      key_);
}

double Stream::uniform_at(std::uint64_t index) const {
  const PhiloxCounter w = block(index / 2);
  return (index % 2 == 0) ? to_open_unit53(w[0], w[1]) : to_open_unit53(w[2], w[3]);
}

namespace {

// Single-precision math written as straight-line code so that the compiler
// vectorises the loops that call it. Accuracy ~1 ulp over the ranges used.
// Source: polynomial coefficients of Cephes logf, sinf, cosf (S. Moshier).
inline float log_f(float x) {  // x in (0, 1]
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  // Branch-free, selects done in integers, so that the loops vectorise.
  const std::uint32_t mant = bits & 0x007fffffu;
  const auto small = static_cast<std::int32_t>(mant < 0x3504f3u);  // m0 < 1/sqrt(2)
  const float m0 = std::bit_cast<float>(mant | 0x3f000000u);       // [0.5, 1)
  const float m = m0 - 1.0f + static_cast<float>(small) * m0;      // 2·m0 − 1 when small
  const float fe = static_cast<float>(static_cast<std::int32_t>(bits >> 23) - 126 - small);
  const float z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  float y = m * z * p;
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  return m + y + 0.693359375f * fe;
}

// 24-bit uniform in (0, 1) from a 32-bit word.
inline float unit24(std::uint32_t w) {
  return (static_cast<float>(w >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

// Box-Muller: words a (radius) and b (angle) give the pair (z0, z1). The angle
// is a quarter turn chosen by b's two low bits plus a uniform phase in
// [-pi/4, pi/4) from its high bits, so only the short sin/cos polynomials run.
inline void box_muller(std::uint32_t a, std::uint32_t b, float& z0, float& z1) {
  const float r = std::sqrt(-2.0f * log_f(unit24(a)));
  const float phi = (unit24(b) - 0.5f) * 1.57079632679489662f;
  const float x2 = phi * phi;
  const float s =
      phi + phi * x2 * (-1.6666654611e-1f + x2 * (8.3321608736e-3f + x2 * -1.9515295891e-4f));
  const float c =
      1.0f - 0.5f * x2 +
      x2 * x2 *
          (4.166664568298827e-2f + x2 * (-1.388731625493765e-3f + x2 * 2.443315711809948e-5f));
  const float swap = static_cast<float>(b & 1u);         // rotate by 90 degrees
  const float sign = 1.0f - static_cast<float>(b & 2u);  // and by 180
  z0 = sign * r * (c - swap * (s + c));
  z1 = sign * r * (s + swap * (c - s));
}

// Philox blocks first_block .. first_block + n - 1 in structure-of-arrays form.
constexpr std::size_t kLanes = 64;
void philox_lanes(PhiloxKey key, std::uint32_t domain, std::uint64_t first_block, std::size_t n,
                  std::uint32_t (&w)[4][kLanes]) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t b = first_block + i;
    w[0][i] = static_cast<std::uint32_t>(b);
    w[1][i] = static_cast<std::uint32_t>(b >> 32);
    w[2][i] = domain;
    w[3][i] = 0x5851F42Du;
  }
  for (int round = 0; round < 10; ++round) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(kMul0) * w[0][i];
      const std::uint64_t p1 = static_cast<std::uint64_t>(kMul1) * w[2][i];
      const std::uint32_t c1 = w[1][i], c3 = w[3][i];
      w[0][i] = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ key[0];
      w[1][i] = static_cast<std::uint32_t>(p1);
      w[2][i] = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ key[1];
      w[3][i] = static_cast<std::uint32_t>(p0);
    }
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
}

}  // namespace

double Stream::normal_at(std::uint64_t index) const {
  const PhiloxCounter w = block(index / 4);
  float z[4];
  box_muller(w[0], w[1], z[0], z[1]);
  box_muller(w[2], w[3], z[2], z[3]);
  return static_cast<double>(z[index % 4]);
}

namespace {
template <class T>
void fill_normal_impl(const Stream& s, std::span<T> out, std::uint64_t first) {
  std::size_t i = 0;
  std::uint64_t idx = first;
  while (idx % 4 != 0 && i < out.size()) out[i++] = static_cast<T>(s.normal_at(idx++));
  std::uint32_t w[4][kLanes];
  float z[4][kLanes];
  while (out.size() - i >= 4) {
    const std::size_t blocks = std::min(kLanes, (out.size() - i) / 4);
    philox_lanes(s.key(), s.domain(), idx / 4, blocks, w);
    for (std::size_t l = 0; l < blocks; ++l) box_muller(w[0][l], w[1][l], z[0][l], z[1][l]);
    for (std::size_t l = 0; l < blocks; ++l) box_muller(w[2][l], w[3][l], z[2][l], z[3][l]);
    for (std::size_t l = 0; l < blocks; ++l) {
      for (std::size_t k = 0; k < 4; ++k) out[i + 4 * l + k] = static_cast<T>(z[k][l]);
    }
    i += 4 * blocks;
    idx += 4 * blocks;
  }
  while (i < out.size()) out[i++] = static_cast<T>(s.normal_at(idx++));
}
}  // namespace

void Stream::fill_normal(std::span<float> out, std::uint64_t first) const {
  fill_normal_impl(*this, out, first);
}
void Stream::fill_normal(std::span<double> out, std::uint64_t first) const {
  fill_normal_impl(*this, out, first);
}

void Stream::fill_uniform(std::span<double> out, std::uint64_t first) const {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = uniform_at(first + i);
}

Stream Stream::substream(std::uint64_t part) const {
  // Fold the part into the key (domain word keeps a second separation).
  const PhiloxCounter m = philox4x32_10(
      {static_cast<std::uint32_t>(part), static_cast<std::uint32_t>(part >> 32), domain_, 1u},
      key_);
  return Stream(PhiloxKey{m[0], m[1]}, m[2]);
}

}  // namespace xbarsim::kit
