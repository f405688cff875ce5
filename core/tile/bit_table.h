#pragma once
// Products of ternary input planes (entries -1, 0, +1, as bit-serial DACs
// drive them) with a fixed matrix by lookup tables: the rows of the matrix
// are taken four at a time and all 16 subset sums of each group are stored,
// so a plane row costs one table row per group instead of one multiply-add
// per matrix row (the "method of four Russians"). The tables depend only on
// the matrix, so they are built once per read state and reused by every
// plane of every batch: about 4x fewer operations than the GEMM, and groups
// whose inputs are all zero cost nothing.
//
// Contract: w is rows x cols; v is n x rows with entries in {-1, 0, 1}
// (others are an error of the caller); out is n x cols, col-major, and
// equals v·w up to float rounding. Read-only after build(); thread-safe.
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "peripherals/dac.h"

namespace xbarsim::tile {

// Ternary rows packed four entries to a code, as the tables read them: bit t
// of pos[r·groups + g] is set when entry 4g + t of row r is > 0, of neg when
// it is < 0. Packed once per set of planes and shared by every table that
// multiplies them (each slice's signal and variance tables).
struct PlaneCodes {
  explicit PlaneCodes(const peripherals::RowMatrixF& v);
  // The planes of a packed encode (DacPlanes::packed), packed straight from
  // its integer codes: the same codes as from the planes written out.
  explicit PlaneCodes(const peripherals::DacPlanes& p);
  Eigen::Index rows = 0, groups = 0;  // v's rows; groups = ceil(v.cols() / 4)
  std::vector<std::uint8_t> pos, neg;

  // Per row: sqrt of its nonzero count (the row's Euclidean norm).
  Eigen::VectorXf norms() const;
  // Rows [first, first + n): their nonzeros, and Σ of g over them (g:
  // GroupSums of a per-entry weight).
  std::uint64_t nonzeros(Eigen::Index first, Eigen::Index n) const;
  double weighted(Eigen::Index first, Eigen::Index n, const std::vector<double>& sums) const;
  // The 16 subset sums of each group of four entries of g, for weighted().
  static std::vector<double> group_sums(const Eigen::VectorXf& g);
};

class BitPlaneTable {
 public:
  BitPlaneTable() = default;
  explicit BitPlaneTable(const Eigen::MatrixXf& w);
  // out = v·w, or |v|·w when magnitude (e.g. v²·w for a variance).
  void multiply(const PlaneCodes& v, Eigen::MatrixXf& out, bool magnitude = false) const;
  void multiply(const peripherals::RowMatrixF& v, Eigen::MatrixXf& out,
                bool magnitude = false) const {
    multiply(PlaneCodes(v), out, magnitude);
  }
  bool empty() const { return table_.empty(); }

 private:
  static constexpr Eigen::Index kGroup = 4, kCodes = 16, kChunk = 64;
  Eigen::Index rows_ = 0, cols_ = 0, groups_ = 0, chunks_ = 0;
  // [chunk][group][code][kChunk]: one code's row is 256 contiguous bytes and
  // a few groups of one chunk sit together in L1 (a column stride here would
  // put every entry in the same few cache sets).
  std::vector<float> table_;
};

}  // namespace xbarsim::tile
