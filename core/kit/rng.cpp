#include "core/kit/rng.h"

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
  const PhiloxCounter mixed = philox4x32_10(
      {static_cast<std::uint32_t>(names), static_cast<std::uint32_t>(names >> 32),
       static_cast<std::uint32_t>(trial), static_cast<std::uint32_t>(trial >> 32)},
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  key_ = {mixed[0] ^ mixed[2], mixed[1] ^ mixed[3]};
}

PhiloxCounter Stream::block(std::uint64_t b) const {
  return philox4x32_10({static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32),
                        domain_, 0x5851F42Du},
                       key_);
}

double Stream::uniform_at(std::uint64_t index) const {
  const PhiloxCounter w = block(index / 2);
  return (index % 2 == 0) ? to_open_unit53(w[0], w[1]) : to_open_unit53(w[2], w[3]);
}

double Stream::normal_at(std::uint64_t index) const {
  // Box-Muller on one block gives two normals: index 2k and 2k+1.
  const PhiloxCounter w = block(index / 2);
  const double u1 = to_open_unit53(w[0], w[1]);
  const double u2 = to_open_unit53(w[2], w[3]);
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double a = 2.0 * std::numbers::pi * u2;
  return (index % 2 == 0) ? r * std::cos(a) : r * std::sin(a);
}

namespace {
template <class T>
void fill_normal_impl(const Stream& s, std::span<T> out, std::uint64_t first) {
  std::size_t i = 0;
  std::uint64_t idx = first;
  if (idx % 2 == 1 && i < out.size()) {
    out[i++] = static_cast<T>(s.normal_at(idx++));
  }
  for (; i + 1 < out.size(); i += 2, idx += 2) {
    const PhiloxCounter w = s.block(idx / 2);
    const double r = std::sqrt(-2.0 * std::log(to_open_unit53(w[0], w[1])));
    const double a = 2.0 * std::numbers::pi * to_open_unit53(w[2], w[3]);
    out[i] = static_cast<T>(r * std::cos(a));
    out[i + 1] = static_cast<T>(r * std::sin(a));
  }
  if (i < out.size()) out[i] = static_cast<T>(s.normal_at(idx));
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
  const PhiloxCounter m = philox4x32_10({static_cast<std::uint32_t>(part),
                                         static_cast<std::uint32_t>(part >> 32), domain_, 1u},
                                        key_);
  return Stream(PhiloxKey{m[0], m[1]}, m[2]);
}

}  // namespace xbarsim::kit
