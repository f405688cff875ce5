#include "core/tile/bit_table.h"

#include <algorithm>
#include <array>
#include <bit>
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
