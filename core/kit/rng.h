#pragma once
// Counter-based random streams (Philox4x32-10, Salmon et al., SC'11,
// "Parallel random numbers: as easy as 1, 2, 3"). A stream is keyed by
// (seed, component, purpose, trial); value number k of a stream is a pure
// function of the key and k, so results never depend on how work is split
// over threads.
//
// Contract: Stream is a small value type, cheap to copy; draws with an
// explicit index are const and thread-safe; the sequential draws advance the
// stream's own counter and are not.
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <string_view>

namespace xbarsim::kit {

using PhiloxCounter = std::array<std::uint32_t, 4>;
using PhiloxKey = std::array<std::uint32_t, 2>;

// One Philox4x32-10 block.
PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key);

// 64-bit FNV-1a of a name, used to key streams by component and purpose.
std::uint64_t hash_name(std::string_view name);

class Stream {
 public:
  // purpose names what the numbers are for ("programming", "read_noise", ...);
  // component names which object draws them ("array", "layer3.tile2", ...).
  Stream(std::uint64_t seed, std::string_view component, std::string_view purpose,
         std::uint64_t trial = 0);

  // Four independent 32-bit words for block number `block`.
  PhiloxCounter block(std::uint64_t block) const;

  // Uniform in (0, 1), never 0 or 1: value number `index` of the stream
  // (53 bits from half a Philox block).
  double uniform_at(std::uint64_t index) const;
  // Standard normal, value number `index`: Box-Muller on two 32-bit words
  // (24-bit uniforms, single-precision math; |z| <= 5.9, P(beyond) = 3e-9).
  // Block k gives normals 4k..4k+3.
  double normal_at(std::uint64_t index) const;

  // Fills out[i] with normal_at(first + i), bit for bit; vectorised, thread-safe.
  void fill_normal(std::span<float> out, std::uint64_t first = 0) const;
  void fill_normal(std::span<double> out, std::uint64_t first = 0) const;
  void fill_uniform(std::span<double> out, std::uint64_t first = 0) const;

  // Sequential draws (advance this stream's counter).
  double uniform() { return uniform_at(next_++); }
  double normal() { return normal_at(next_++); }

  // A sub-stream for a numbered part (a layer, a column block, a pulse).
  Stream substream(std::uint64_t part) const;

  PhiloxKey key() const { return key_; }
  std::uint32_t domain() const { return domain_; }

 private:
  Stream(PhiloxKey key, std::uint32_t domain) : key_(key), domain_(domain) {}
  PhiloxKey key_{};
  std::uint32_t domain_ = 0;  // high counter word: separates substreams
  std::uint64_t next_ = 0;
};

}  // namespace xbarsim::kit
