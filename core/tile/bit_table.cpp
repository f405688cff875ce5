#include "core/tile/bit_table.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace xbarsim::tile {

BitPlaneTable::BitPlaneTable(const Eigen::MatrixXf& w)
    : rows_(w.rows()),
      cols_(w.cols()),
      groups_((w.rows() + kGroup - 1) / kGroup),
      chunks_((w.cols() + kChunk - 1) / kChunk) {
  table_.assign(static_cast<std::size_t>(chunks_ * groups_ * kCodes * kChunk), 0.0f);
  for (Eigen::Index c = 0; c < chunks_; ++c) {
    const Eigen::Index cn = std::min(kChunk, cols_ - c * kChunk);
    for (Eigen::Index g = 0; g < groups_; ++g) {
      float* base = table_.data() + (c * groups_ + g) * kCodes * kChunk;
      for (Eigen::Index code = 1; code < kCodes; ++code) {
        // Subset sum = the sum without the lowest set bit, plus that row.
        const Eigen::Index low = code & -code;
        const Eigen::Index bit = low == 1 ? 0 : low == 2 ? 1 : low == 4 ? 2 : 3;
        const Eigen::Index row = g * kGroup + bit;
        float* dst = base + code * kChunk;
        const float* prev = base + (code - low) * kChunk;
        for (Eigen::Index j = 0; j < cn; ++j) {
          dst[j] = prev[j] + (row < rows_ ? w(row, c * kChunk + j) : 0.0f);
        }
      }
    }
  }
}

namespace {

// Eight floats as one SIMD register (GCC/Clang vector extension).
using V8 = float __attribute__((vector_size(32)));

inline V8 load8(const float* p) {
  V8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, V8 v) { __builtin_memcpy(p, &v, sizeof v); }

// One chunk of 64 columns for a block of rows: acc (rows x 64) +=
// Σ_g table[g][pos[r][g]] - table[g][neg[r][g]] over groups [g0, g1). The
// accumulators of a row stay in registers over the groups, and the groups'
// entries (16 codes x 64 floats each) stay in L1 over the block. kV registers
// of 8 floats cover the chunk's first 8·kV columns (a narrow matrix, as in
// small conv layers, needs only the columns it has).
template <std::size_t kV>
void chunk_kernel(const float* table, const std::uint8_t* pos, const std::uint8_t* neg,
                  std::ptrdiff_t groups, std::ptrdiff_t g0, std::ptrdiff_t g1, std::ptrdiff_t rows,
                  float* acc) {
  for (std::ptrdiff_t r = 0; r < rows; ++r) {
    float* out = acc + r * 64;
    V8 a[kV];
    for (std::size_t k = 0; k < kV; ++k) a[k] = g0 == 0 ? V8{} : load8(out + 8 * k);
    const std::uint8_t* p = pos + r * groups;
    const std::uint8_t* m = neg + r * groups;
    for (std::ptrdiff_t g = g0; g < g1; ++g) {
      const float* t = table + g * 16 * 64;
      if (p[g] != 0) {
        const float* row = t + p[g] * 64;
        for (std::size_t k = 0; k < kV; ++k) a[k] += load8(row + 8 * k);
      }
      if (m[g] != 0) {
        const float* row = t + m[g] * 64;
        for (std::size_t k = 0; k < kV; ++k) a[k] -= load8(row + 8 * k);
      }
    }
    for (std::size_t k = 0; k < kV; ++k) store8(out + 8 * k, a[k]);
  }
}

// Four 0/1 bytes as a 4-bit code (byte t -> bit t): one multiply moves byte
// t's bit from position 8t to 24 + t, and no two partial products collide.
inline std::uint8_t pack4(const std::uint8_t* b) {
  static_assert(std::endian::native == std::endian::little);
  std::uint32_t w;
  __builtin_memcpy(&w, b, sizeof w);
  return static_cast<std::uint8_t>(((w * 0x01020408u) >> 24) & 0xFu);
}

// The low bit of each of eight bytes.
constexpr std::uint64_t kLowBits = 0x0101010101010101ull;

// Eight 0/1 bytes as an 8-bit mask (byte t -> bit t), as pack4 does for four.
inline std::uint64_t pack8(std::uint64_t w) {
  static_assert(std::endian::native == std::endian::little);
  return (w * 0x0102040810204080ull) >> 56;
}

}  // namespace

PlaneCodes::PlaneCodes(const peripherals::RowMatrixF& v)
    : rows(v.rows()),
      groups((v.cols() + 3) / 4),
      pos(static_cast<std::size_t>(rows * groups)),
      neg(static_cast<std::size_t>(rows * groups)) {
  const Eigen::Index cols = v.cols();
#pragma omp parallel if (rows * cols > 16384)
  {
    // One row's signs, padded with zeros to whole groups: the compares first
    // (a loop the compiler vectorizes), then packed four to a code.
    std::vector<std::uint8_t> up(static_cast<std::size_t>(groups * 4), 0),
        down(static_cast<std::size_t>(groups * 4), 0);
#pragma omp for schedule(static)
    for (Eigen::Index r = 0; r < rows; ++r) {
      const float* in = v.data() + r * cols;
      for (Eigen::Index i = 0; i < cols; ++i) {
        up[static_cast<std::size_t>(i)] = in[i] > 0.0f;
        down[static_cast<std::size_t>(i)] = in[i] < 0.0f;
      }
      std::uint8_t* p = pos.data() + r * groups;
      std::uint8_t* m = neg.data() + r * groups;
      for (Eigen::Index g = 0; g < groups; ++g) {
        p[g] = pack4(up.data() + g * 4);
        m[g] = pack4(down.data() + g * 4);
      }
    }
  }
}

PlaneCodes::PlaneCodes(const peripherals::DacPlanes& p)
    : rows(static_cast<Eigen::Index>(p.plane_bits.size() * p.batch)),
      groups(p.codes.empty() ? 0 : (p.codes.front().cols() + 3) / 4),
      pos(static_cast<std::size_t>(rows * groups)),
      neg(static_cast<std::size_t>(rows * groups)) {
  if (!p.packed) throw std::logic_error("PlaneCodes: planes not packed");
  const auto batch = static_cast<Eigen::Index>(p.batch);
  const Eigen::Index cols = p.codes.empty() ? 0 : p.codes.front().cols();
  const std::size_t phases = p.codes.size();
  // Per phase, the planes (their index and bit) that read its codes.
  std::vector<std::vector<std::pair<Eigen::Index, int>>> of_phase(phases);
  for (std::size_t k = 0; k < p.plane_bits.size(); ++k) {
    of_phase[p.plane_bits[k].first].emplace_back(static_cast<Eigen::Index>(k),
                                                 p.plane_bits[k].second);
  }
#pragma omp parallel if (batch * cols * static_cast <Eigen::Index>(p.plane_bits.size()) > 16384)
  {
    // One row's magnitudes as bytes and its signs as bits, eight entries to
    // a word (padded with zeros); each plane's bit of eight magnitudes is
    // then one shift, one mask and one multiply (pack8), which gives the
    // codes of two groups.
    const Eigen::Index words = (cols + 7) / 8;
    std::vector<std::uint64_t> mag(static_cast<std::size_t>(words)),
        negative(static_cast<std::size_t>(words));
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(words * 8)),
        signs(static_cast<std::size_t>(words * 8));
#pragma omp for schedule(static) collapse(2)
    for (std::size_t ph = 0; ph < phases; ++ph) {
      for (Eigen::Index b = 0; b < batch; ++b) {
        const float* q = p.codes[ph].data() + b * cols;
        float largest = 0;
        for (Eigen::Index i = 0; i < cols; ++i) {
          const float m = std::abs(q[i]);
          largest = std::max(largest, m);
          bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(std::min(m, 255.0f));
          signs[static_cast<std::size_t>(i)] = q[i] < 0.0f;
        }
        if (largest > 255.0f) {
          // Codes beyond a byte (DACs of more than 8 magnitude bits), bit by bit.
          for (const auto& [k, bit] : of_phase[ph]) {
            const Eigen::Index r = k * batch + b;
            for (Eigen::Index g = 0; g < groups; ++g) {
              unsigned up = 0, down = 0;
              for (Eigen::Index t = 0; t < 4 && g * 4 + t < cols; ++t) {
                const float e = q[g * 4 + t];
                if (((static_cast<std::uint32_t>(std::abs(e)) >> bit) & 1u) == 0) continue;
                (e < 0.0f ? down : up) |= 1u << t;
              }
              pos[static_cast<std::size_t>(r * groups + g)] = static_cast<std::uint8_t>(up);
              neg[static_cast<std::size_t>(r * groups + g)] = static_cast<std::uint8_t>(down);
            }
          }
          continue;
        }
        for (Eigen::Index w = 0; w < words; ++w) {
          __builtin_memcpy(&mag[static_cast<std::size_t>(w)], bytes.data() + w * 8, 8);
          std::uint64_t sw;
          __builtin_memcpy(&sw, signs.data() + w * 8, 8);
          negative[static_cast<std::size_t>(w)] = pack8(sw);
        }
        for (const auto& [k, bit] : of_phase[ph]) {
          std::uint8_t* pp = pos.data() + (k * batch + b) * groups;
          std::uint8_t* mm = neg.data() + (k * batch + b) * groups;
          for (Eigen::Index w = 0; w < words; ++w) {
            const auto set = pack8((mag[static_cast<std::size_t>(w)] >> bit) & kLowBits);
            const auto n = negative[static_cast<std::size_t>(w)];
            const auto up = set & ~n, down = set & n;
            pp[2 * w] = static_cast<std::uint8_t>(up & 0xFu);
            mm[2 * w] = static_cast<std::uint8_t>(down & 0xFu);
            if (2 * w + 1 < groups) {
              pp[2 * w + 1] = static_cast<std::uint8_t>(up >> 4);
              mm[2 * w + 1] = static_cast<std::uint8_t>(down >> 4);
            }
          }
        }
      }
    }
  }
}

Eigen::VectorXf PlaneCodes::norms() const {
  Eigen::VectorXf n(rows);
  for (Eigen::Index r = 0; r < rows; ++r) n(r) = std::sqrt(static_cast<float>(nonzeros(r, 1)));
  return n;
}

std::uint64_t PlaneCodes::nonzeros(Eigen::Index first, Eigen::Index n) const {
  std::uint64_t count = 0;
  const auto begin = static_cast<std::size_t>(first * groups);
  const auto end = static_cast<std::size_t>((first + n) * groups);
  for (std::size_t k = begin; k < end; ++k) {
    count += static_cast<std::uint64_t>(std::popcount(static_cast<unsigned>(pos[k] | neg[k])));
  }
  return count;
}

double PlaneCodes::weighted(Eigen::Index first, Eigen::Index n,
                            const std::vector<double>& sums) const {
  double total = 0;
  for (Eigen::Index r = first; r < first + n; ++r) {
    const std::uint8_t* pp = pos.data() + r * groups;
    const std::uint8_t* mm = neg.data() + r * groups;
    for (Eigen::Index g = 0; g < groups; ++g) {
      total += sums[static_cast<std::size_t>(g * 16 + (pp[g] | mm[g]))];
    }
  }
  return total;
}

std::vector<double> PlaneCodes::group_sums(const Eigen::VectorXf& g) {
  const Eigen::Index n = g.size(), groups = (n + 3) / 4;
  std::vector<double> sums(static_cast<std::size_t>(groups * 16), 0.0);
  for (Eigen::Index k = 0; k < groups; ++k) {
    for (unsigned code = 1; code < 16; ++code) {
      double s = 0;
      for (unsigned t = 0; t < 4; ++t) {
        const Eigen::Index i = k * 4 + static_cast<Eigen::Index>(t);
        if ((code >> t & 1u) != 0 && i < n) s += static_cast<double>(g(i));
      }
      sums[static_cast<std::size_t>(k * 16 + code)] = s;
    }
  }
  return sums;
}

void BitPlaneTable::multiply(const PlaneCodes& v, Eigen::MatrixXf& out, bool magnitude) const {
  constexpr Eigen::Index kBlock = 64, kGroupTile = 8;
  if (v.groups != groups_) {
    throw std::logic_error("BitPlaneTable::multiply: codes of another row count");
  }
  const Eigen::Index n = v.rows;
  out.resize(n, cols_);
#pragma omp parallel
  {
    std::vector<float> acc(static_cast<std::size_t>(kBlock * kChunk));
    // |v|: an entry's magnitude bit is its sign bits' OR, against no negatives.
    std::vector<std::uint8_t> mag, none;
    if (magnitude) {
      mag.resize(static_cast<std::size_t>(kBlock * groups_));
      none.assign(static_cast<std::size_t>(kBlock * groups_), 0);
    }
#pragma omp for schedule(static)
    for (Eigen::Index r0 = 0; r0 < n; r0 += kBlock) {
      const Eigen::Index rn = std::min(kBlock, n - r0);
      const std::uint8_t* pos = v.pos.data() + r0 * groups_;
      const std::uint8_t* neg = v.neg.data() + r0 * groups_;
      if (magnitude) {
        for (Eigen::Index k = 0; k < rn * groups_; ++k) {
          mag[static_cast<std::size_t>(k)] = pos[k] | neg[k];
        }
        pos = mag.data();
        neg = none.data();
      }
      for (Eigen::Index c = 0; c < chunks_; ++c) {
        const float* chunk = table_.data() + c * groups_ * kCodes * kChunk;
        const Eigen::Index cn = std::min(kChunk, cols_ - c * kChunk);
        const auto kernel = cn <= 8    ? &chunk_kernel<1>
                            : cn <= 16 ? &chunk_kernel<2>
                            : cn <= 32 ? &chunk_kernel<4>
                                       : &chunk_kernel<8>;
        for (Eigen::Index g0 = 0; g0 < groups_; g0 += kGroupTile) {
          kernel(chunk, pos, neg, groups_, g0, std::min(groups_, g0 + kGroupTile), rn, acc.data());
        }
        for (Eigen::Index j = 0; j < cn; ++j) {
          float* col = out.data() + (c * kChunk + j) * n + r0;
          for (Eigen::Index r = 0; r < rn; ++r)
            col[r] = acc[static_cast<std::size_t>(r * kChunk + j)];
        }
      }
    }
  }
}

}  // namespace xbarsim::tile
