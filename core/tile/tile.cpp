#include "core/tile/tile.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/kit/io.h"

namespace xbarsim::tile {

Tile::Tile(TileSpec spec, const kit::Registry& registry)
    : spec_(std::move(spec)),
      device_(registry.build<arrays::Device>("device", spec_.device)),
      circuit_(spec_.circuit(spec_.array.rows, spec_.array.cols)),
      solver_(spec_.solver_spec()),
      mapping_(spec_.mapping, device_->common().g_min_us, device_->common().g_max_us,
               device_->common().levels),
      dac_(registry.build<peripherals::Dac>("dac", spec_.dac)),
      adc_(registry.build<peripherals::Adc>("adc", spec_.adc)),
      shift_add_(std::make_unique<peripherals::ShiftAdd>(
          peripherals::ShiftAddSpec::from_json(spec_.shift_add))) {}

const arrays::ProgramReport& Tile::program(const kit::NdArray& w) {
  const auto shape = kit::matrix_shape(w, "weights", false);
  kit::require_tile_range(w, "weights");
  const std::size_t rows = shape.rows, cols = shape.cols;
  if (rows > spec_.array.rows || cols > spec_.array.cols) {
    throw kit::InputError(fmt::format(
        "weights: shape {} does not fit the {} x {} array; raise array.rows/array.cols or split "
        "the matrix",
        w.shape_text(), spec_.array.rows, spec_.array.cols));
  }
  kit::require_memory(
      spec_.memory_bytes(rows, cols, 0),
      fmt::format("programming a {} x {} weight block ({} weight bits on {}-bit "
                  "cells)",
                  rows, cols, spec_.mapping.weight_bits, spec_.mapping.bits_per_cell),
      "use fewer slices (mapping.weight_bits / bits_per_cell) or a smaller array");
  weights_ = w;
  mapped_ = mapping_.map(w.data, rows, cols);

  crossbars_pos_.clear();
  crossbars_neg_.clear();
  report_ = arrays::ProgramReport{};
  array_reports_.clear();
  const kit::Stream base(spec_.seed, "tile", "crossbar");
  const bool diff = mapping_.differential();
  for (std::size_t k = 0; k < static_cast<std::size_t>(mapped_.slices); ++k) {
    crossbars_pos_.emplace_back(*device_, base.substream(2 * k));
    crossbars_neg_.emplace_back(*device_, base.substream(2 * k + 1));
    array_reports_.push_back(crossbars_pos_.back().program(mapped_.targets_pos[k], rows, cols));
    array_reports_.push_back(
        crossbars_neg_.back().program(mapped_.targets_neg[k], rows, diff ? cols : 1));
  }
  for (const auto& r : array_reports_) report_.add(r);
  report_.clipped_weights = mapped_.clipped;
  reads_ = 0;
  comp_reference_.clear();
  state_.reset();
  dac_calibrated_ = false;
  adc_range_.clear();
  adc_banks_.clear();
  last_actions_ = total_actions_ = Actions{};
  if (!adc_->spec().ideal()) {
    const kit::Stream errors(spec_.seed, "adc", "errors");
    for (std::size_t k = 0; k < static_cast<std::size_t>(mapped_.slices); ++k) {
      adc_banks_.emplace_back(adc_->spec(), cols, errors.substream(k));
    }
    if (adc_->spec().range != peripherals::AdcRange::kCalibrated) {
      adc_range_.resize(adc_banks_.size() * cols);
      for (std::size_t k = 0; k < adc_banks_.size(); ++k) {
        // Ranges in µS·v_read units: a fixed current divided by v_read.
        const double r = adc_->spec().range == peripherals::AdcRange::kFixed
                             ? adc_->spec().full_scale_ua / spec_.array.v_read_v
                             : worst_case_signal(k);
        std::fill_n(adc_range_.begin() + static_cast<std::ptrdiff_t>(k * cols), cols,
                    static_cast<float>(r));
      }
    }
  }
  if (spec_.drift_compensation != DriftCompensation::kNone) {
    // The state right after programming serves the calibration read and then
    // the reads at t = 0 (building it can mean solving every crossbar's circuit).
    state_ = build_state(0.0);
    comp_reference_ = calibration_response(*state_, 0);
    compensate(*state_);
  }
  return report_;
}

kit::MatrixShape Tile::input_shape(const kit::NdArray& x) const {
  const auto shape = kit::matrix_shape(x, "inputs", true);
  kit::require_tile_range(x, "inputs");
  check_input_rows(shape.cols);
  return shape;
}

void Tile::check_input_rows(std::size_t n) const {
  if (!programmed()) throw kit::InputError("vmm: the tile has no weights; program it first");
  if (n != mapped_.rows) {
    throw kit::InputError(fmt::format(
        "inputs: a vector of {} values does not match the weights' {} rows", n, mapped_.rows));
  }
}

RowMatrixF Tile::checked_inputs(const kit::NdArray& x) const {
  // One pass converts to float and spots NaN/Inf and values beyond the tile's
  // range (biased exponent ≥ 1023 + kMaxTileExponent); require_tile_range
  // then names the first bad value.
  const auto shape = kit::matrix_shape(x, "inputs", true);
  check_input_rows(shape.cols);
  RowMatrixF xf(static_cast<Eigen::Index>(shape.rows), static_cast<Eigen::Index>(shape.cols));
  const auto n = static_cast<std::ptrdiff_t>(x.data.size());
  const double* src = x.data.data();
  float* dst = xf.data();
  constexpr std::uint64_t kExponent = 0x7ff0000000000000ull;
  constexpr std::uint64_t kLimit = std::uint64_t{1023 + kit::kMaxTileExponent} << 52;
  std::uint64_t bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad) if (n > 4096)
  for (std::ptrdiff_t k = 0; k < n; ++k) {
    bad |= static_cast<std::uint64_t>((std::bit_cast<std::uint64_t>(src[k]) & kExponent) >= kLimit);
    dst[k] = static_cast<float>(src[k]);
  }
  if (bad != 0) kit::require_tile_range(x, "inputs");
  return xf;
}

kit::NdArray Tile::vmm_ideal(const kit::NdArray& inputs) const {
  const auto shape = input_shape(inputs);
  return kit::matmul(kit::NdArray{{shape.rows, shape.cols}, inputs.data}, weights_);
}

std::string Tile::crossbar_name(std::size_t k) const {
  const bool diff = mapping_.differential();
  const std::string base = k % 2 == 0 ? (diff ? "g_pos" : "g") : (diff ? "g_neg" : "g_ref");
  return crossbars_pos_.size() > 1 ? fmt::format("{}_s{}", base, k / 2) : base;
}

kit::Json Tile::program_report_json() const {
  kit::Json out = report_.to_json();
  kit::Json arrays = kit::Json::object();
  for (std::size_t k = 0; k < array_reports_.size(); ++k) {
    arrays[crossbar_name(k)] = array_reports_[k].to_json();
  }
  out["arrays"] = std::move(arrays);
  return out;
}

std::map<std::string, kit::NdArray> Tile::conductances(double t_s) const {
  std::map<std::string, kit::NdArray> out;
  for (std::size_t k = 0; k < crossbars_pos_.size(); ++k) {
    const auto& xp = crossbars_pos_[k];
    const auto& xn = crossbars_neg_[k];
    out[crossbar_name(2 * k)] = {{xp.rows(), xp.cols()}, xp.conductances_at(t_s)};
    out[crossbar_name(2 * k + 1)] = {{xn.rows(), xn.cols()}, xn.conductances_at(t_s)};
  }
  return out;
}

}  // namespace xbarsim::tile
