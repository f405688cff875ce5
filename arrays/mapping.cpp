#include "arrays/mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"

namespace xbarsim::arrays {

std::vector<kit::ParamInfo> MappingSpec::params() {
  using namespace kit;
  return {
      int_param("weight_bits", 8, 0, 16,
                "weight precision incl. sign; 0 = analog (continuous, one slice)"),
      int_param("bits_per_cell", 4, 1, 8, "bits stored per cell (bit slicing)"),
      choice_param("scaling", "layer", {"layer", "column"},
                   "one weight range per matrix, or one per column"),
      number_param("clip_percentile", 100.0, "%",
                   "weight range = this percentile of |w|; below 100 clips outliers", 50.0, 100.0),
      choice_param("msb_slice", "spread", {"spread", "aligned"},
                   "a top slice with fewer bits than a cell: spread over the whole window with "
                   "a smaller digital weight (spread), or its digits on the lowest levels "
                   "(aligned: the top slice then uses a small part of the window, so its "
                   "programming error weighs more)"),
  };
}

MappingSpec MappingSpec::from_json(const kit::Json& j) {
  MappingSpec s;
  s.impl = j.at("impl").get<std::string>();
  s.weight_bits = j.at("weight_bits").get<int>();
  s.bits_per_cell = j.at("bits_per_cell").get<int>();
  s.scaling = j.at("scaling").get<std::string>();
  s.clip_percentile = j.at("clip_percentile").get<double>();
  s.msb_slice = j.at("msb_slice").get<std::string>();
  if (s.weight_bits == 1) {
    throw kit::ConfigError("mapping.weight_bits",
                           "1 bit cannot hold a signed weight; use 0 (analog) or at least 2");
  }
  return s;
}

Mapping::Mapping(MappingSpec spec, double g_min_us, double g_max_us, int device_levels)
    : spec_(std::move(spec)), g_min_us_(g_min_us), g_max_us_(g_max_us) {
  if (spec_.weight_bits == 0) {
    slices_ = 1;
    q_max_ = 0;
    spread_ = {1};
    slice_weight_ = {1.0};
  } else {
    // Differential: the sign rides on the pair, cells store the magnitude.
    // Offset: cells store the whole code w + q_max, in weight_bits bits.
    const int code_bits = differential() ? spec_.weight_bits - 1 : spec_.weight_bits;
    q_max_ = (1LL << (spec_.weight_bits - 1)) - 1;
    slices_ = (code_bits + spec_.bits_per_cell - 1) / spec_.bits_per_cell;
    const long long digit_max = (1LL << spec_.bits_per_cell) - 1;
    for (int k = 0; k < slices_; ++k) {
      const int bits = std::min(spec_.bits_per_cell, code_bits - spec_.bits_per_cell * k);
      const long long s = spec_.msb_slice == "spread" ? digit_max / ((1LL << bits) - 1) : 1;
      spread_.push_back(s);
      slice_weight_.push_back(std::ldexp(1.0, spec_.bits_per_cell * k) / static_cast<double>(s));
    }
    const int bits_used = std::min(code_bits, spec_.bits_per_cell);
    if (device_levels >= 2 && device_levels < (1 << bits_used)) {
      throw kit::ConfigError(
          "mapping.bits_per_cell",
          fmt::format("{} bits per cell need {} levels but the device has {}; lower "
                      "bits_per_cell or raise device.levels",
                      bits_used, 1 << bits_used, device_levels));
    }
  }
}

std::vector<double> Mapping::column_wmax(const std::vector<double>& w, std::size_t rows,
                                         std::size_t cols) const {
  // The weight range is the clip_percentile of |w| over the matrix or the column.
  auto percentile = [&](std::vector<double> a) {
    if (a.empty()) return 0.0;
    if (spec_.clip_percentile >= 100.0) return *std::max_element(a.begin(), a.end());
    const double pos = spec_.clip_percentile / 100.0 * static_cast<double>(a.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, a.size() - 1);
    std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(lo), a.end());
    const double vlo = a[lo];
    if (hi == lo) return vlo;
    const double vhi = *std::min_element(a.begin() + static_cast<std::ptrdiff_t>(lo) + 1, a.end());
    return vlo + (pos - static_cast<double>(lo)) * (vhi - vlo);
  };
  std::vector<double> out(cols);
  if (spec_.scaling == "layer") {
    std::vector<double> a(w.size());
    std::transform(w.begin(), w.end(), a.begin(), [](double v) { return std::abs(v); });
    std::fill(out.begin(), out.end(), percentile(std::move(a)));
  } else {
    for (std::size_t j = 0; j < cols; ++j) {
      std::vector<double> a(rows);
      for (std::size_t i = 0; i < rows; ++i) a[i] = std::abs(w[i * cols + j]);
      out[j] = percentile(std::move(a));
    }
  }
  for (auto& m : out) {
    if (m == 0.0) m = 1.0;  // an all-zero column maps to g_min whatever the scale
  }
  return out;
}

double Mapping::slice_target_us(long long code, int k) const {
  const int bpc = spec_.bits_per_cell;
  const long long digit_max = (1LL << bpc) - 1;
  const long long level = ((code >> (bpc * k)) & digit_max) * spread_[static_cast<std::size_t>(k)];
  return g_min_us_ +
         static_cast<double>(level) * (g_max_us_ - g_min_us_) / static_cast<double>(digit_max);
}

MappedWeights Mapping::map(const std::vector<double>& w, std::size_t rows, std::size_t cols) const {
  MappedWeights m;
  m.rows = rows;
  m.cols = cols;
  m.slices = slices_;
  m.w_max = column_wmax(w, rows, cols);
  const double range = g_max_us_ - g_min_us_;
  const bool diff = differential();
  const int bpc = spec_.bits_per_cell;
  const long long digit_max = (1LL << bpc) - 1;
  m.targets_pos.assign(static_cast<std::size_t>(slices_),
                       std::vector<double>(rows * cols, g_min_us_));
  m.targets_neg.assign(static_cast<std::size_t>(slices_),
                       std::vector<double>(diff ? rows * cols : rows, g_min_us_));
  m.slice_weight = slice_weight_;
  // Logical weight per µS of conductance difference in one slice unit.
  m.col_scale.resize(cols);
  for (std::size_t j = 0; j < cols; ++j) {
    if (q_max_ == 0) {
      m.col_scale[j] = m.w_max[j] / range * (diff ? 1.0 : 2.0);
    } else {
      m.col_scale[j] =
          m.w_max[j] / static_cast<double>(q_max_) * static_cast<double>(digit_max) / range;
    }
  }
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t idx = i * cols + j;
      double r = w[idx] / m.w_max[j];
      if (std::abs(r) > 1.0) {
        ++m.clipped;
        r = std::clamp(r, -1.0, 1.0);
      }
      if (q_max_ == 0) {  // analog
        if (diff) {
          (r >= 0 ? m.targets_pos : m.targets_neg)[0][idx] = g_min_us_ + std::abs(r) * range;
        } else {
          m.targets_pos[0][idx] = g_min_us_ + (r + 1.0) / 2.0 * range;
        }
        continue;
      }
      const long long q = std::llround(r * static_cast<double>(q_max_));
      const long long code = diff ? std::llabs(q) : q + q_max_;
      for (int k = 0; k < slices_; ++k) {
        const double g = slice_target_us(code, k);
        if (!diff || q >= 0) {
          m.targets_pos[static_cast<std::size_t>(k)][idx] = g;
        } else {
          m.targets_neg[static_cast<std::size_t>(k)][idx] = g;
        }
      }
    }
  }
  if (!diff) {  // reference column: the code of a zero weight, per slice
    for (int k = 0; k < slices_; ++k) {
      double g = g_min_us_ + range / 2.0;
      if (q_max_ != 0) {
        g = slice_target_us(q_max_, k);
      }
      std::fill(m.targets_neg[static_cast<std::size_t>(k)].begin(),
                m.targets_neg[static_cast<std::size_t>(k)].end(), g);
    }
  }
  return m;
}

std::vector<double> Mapping::quantized(const std::vector<double>& w, std::size_t rows,
                                       std::size_t cols) const {
  const auto wmax = column_wmax(w, rows, cols);
  std::vector<double> out(w.size());
  for (std::size_t idx = 0; idx < w.size(); ++idx) {
    const std::size_t j = idx % cols;
    const double r = std::clamp(w[idx] / wmax[j], -1.0, 1.0);
    out[idx] = q_max_ == 0 ? r * wmax[j]
                           : static_cast<double>(std::llround(r * static_cast<double>(q_max_))) /
                                 static_cast<double>(q_max_) * wmax[j];
  }
  return out;
}

}  // namespace xbarsim::arrays
