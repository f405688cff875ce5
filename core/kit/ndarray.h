#pragma once
// Dense arrays as read from and written to .npy / .csv files.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace xbarsim::kit {

// A shape as numpy prints it: "(3, 4)", "(5,)".
std::string shape_text(std::span<const std::size_t> shape);

// Row-major (C order) array of doubles with its shape.
struct NdArray {
  std::vector<std::size_t> shape;
  std::vector<double> data;

  std::size_t size() const;
  std::size_t rows() const { return shape.size() >= 1 ? shape[0] : 1; }
  std::size_t cols() const { return shape.size() >= 2 ? shape[1] : 1; }
  std::string shape_text() const;  // "(3, 4)", as numpy prints it
};

// Contract for the readers: `what` names the array in messages ("weights
// file 'W.npy'"); every problem (missing file, unsupported dtype, Fortran
// order, truncation, wrong rank, NaN/Inf) throws InputError with one line.

// Reads .npy format versions 1-3: little- or big-endian float16/32/64,
// signed/unsigned 8-64-bit integers and bool, C order.
NdArray read_npy(const std::string& path, const std::string& what);
// Writes float64 ("<f8") or float32 ("<f4") .npy, version 1.0, C order;
// written to a temporary file and renamed, so a failure leaves no partial file.
void write_npy(const std::string& path, const NdArray& array, bool as_float32 = false);

// Numeric CSV: one row per line, comma-separated, optional '#' comment lines.
NdArray read_csv(const std::string& path, const std::string& what);
void write_csv(const std::string& path, const NdArray& array);

// Reads .npy or .csv by extension.
NdArray read_array(const std::string& path, const std::string& what);
void write_array(const std::string& path, const NdArray& array);

// The (rows, cols) of a 2-D array (a 1-D array is one row when
// allow_vector); refuses other ranks and empty arrays. Does not copy.
struct MatrixShape {
  std::size_t rows = 0, cols = 0;
};
MatrixShape matrix_shape(const NdArray& array, const std::string& what, bool allow_vector);
// Refuses arrays that hold NaN/Inf.
void require_finite(const NdArray& array, const std::string& what);

// The largest |value| a tile takes as a weight or input: 2^60 (~1.15e18), so
// that a weight scale times an input scale (≤ 2^120) stays inside float32,
// the tile's arithmetic. Larger values are refused, not turned into NaN.
inline constexpr int kMaxTileExponent = 60;
// Refuses NaN/Inf and |value| ≥ 2^kMaxTileExponent, naming the first.
void require_tile_range(const NdArray& array, const std::string& what);

}  // namespace xbarsim::kit

namespace xbarsim::kit {

// The bytes of a .npy file (version 1.0, C order, "<f8" or "<f4").
std::string npy_bytes(const NdArray& array, bool as_float32 = false);
// Writes a .npz archive (uncompressed zip of .npy members named "<key>.npy"),
// readable with numpy.load.
void write_npz(const std::string& path, const std::vector<std::pair<std::string, NdArray>>& arrays);

}  // namespace xbarsim::kit
