#pragma once
// Weight -> conductance mapping: quantize logical weights to integers,
// split their bits over cells (bit slicing), and place signs on a
// differential pair (w = G+ - G-) or around an offset with a reference column.
//
// Contract: weights are rows x cols, row-major doubles, finite; conductance
// targets come out in µS, one rows x cols matrix per slice and polarity.
// decode_scale() turns the column current differences (in µS·input units)
// back into logical outputs. Stateless after construction; thread-safe.
#include <cstddef>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::arrays {

struct MappingSpec {
  std::string impl = "differential";  // "differential" | "offset"
  int weight_bits = 8;                // incl. sign; 0 = analog (no quantization, one slice)
  int bits_per_cell = 4;              // bits stored per cell
  std::string scaling = "layer";      // "layer" (one w_max) | "column" (w_max per column)
  double clip_percentile = 100.0;     // w_max = this percentile of |w|; < 100 clips outliers
  // A most significant slice with fewer bits than a cell: digit d at level d
  // ("aligned", plain bit slicing) or at level d·s with s = ⌊(2^bpc−1)/(2^b−1)⌋
  // ("spread": the slice's few levels span the window, its device errors
  // count s times less, and its digital weight is divided by s).
  std::string msb_slice = "spread";

  static std::vector<kit::ParamInfo> params();
  static MappingSpec from_json(const kit::Json& resolved);
};

// The conductance targets for one weight matrix.
struct MappedWeights {
  std::size_t rows = 0, cols = 0;
  int slices = 1;
  // targets_pos[k], targets_neg[k]: rows*cols row-major µS for slice k.
  // For "offset", targets_neg[k] is the reference: rows x 1 (one column per slice).
  std::vector<std::vector<double>> targets_pos, targets_neg;
  std::vector<double> slice_weight;  // 2^(bits_per_cell*k) / spread of slice k
  std::vector<double> col_scale;     // logical weight per (µS of one slice unit), per column
  std::size_t clipped = 0;           // weights beyond w_max, clipped
  std::vector<double> w_max;         // per column (all equal for "layer")
};

class Mapping {
 public:
  // g_min_us/g_max_us: the device window; device_levels 0 = analog.
  Mapping(MappingSpec spec, double g_min_us, double g_max_us, int device_levels);

  MappedWeights map(const std::vector<double>& weights, std::size_t rows, std::size_t cols) const;

  const MappingSpec& spec() const { return spec_; }
  int slices() const { return slices_; }
  // Digital weight of each slice's level in units of slice 0's level.
  const std::vector<double>& slice_weights() const { return slice_weight_; }
  bool differential() const { return spec_.impl == "differential"; }
  // Exact logical weights the mapping represents (quantized, clipped): for tests.
  std::vector<double> quantized(const std::vector<double>& weights, std::size_t rows,
                                std::size_t cols) const;

 private:
  std::vector<double> column_wmax(const std::vector<double>& w, std::size_t rows,
                                  std::size_t cols) const;
  // Conductance target (µS) of slice k's digit of an integer code.
  double slice_target_us(long long code, int k) const;
  MappingSpec spec_;
  double g_min_us_, g_max_us_;
  int slices_ = 1;
  long long q_max_ = 0;               // largest integer code magnitude (0 = analog)
  std::vector<long long> spread_;     // per slice: levels per digit step (1 = aligned)
  std::vector<double> slice_weight_;  // per slice: 2^(bits_per_cell·k) / spread
};

}  // namespace xbarsim::arrays
