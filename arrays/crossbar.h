#pragma once
// One physical crossbar of devices: programming with write-verify,
// faults, device-to-device variation, and the conductance state at a time
// after programming.
//
// Contract: conductances in µS, row-major rows x cols (the used part of the
// array); times in seconds since programming. Random draws come from the
// stream given at construction (one per crossbar), indexed by cell, so the
// state is the same for any thread count. program() is not thread-safe;
// the const methods are.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "arrays/device.h"
#include "core/kit/json.h"
#include "core/kit/rng.h"

namespace xbarsim::arrays {

struct ProgramReport {
  std::size_t cells = 0;
  std::size_t pulses = 0;
  std::size_t verify_failures = 0;  // cells that spent the budget outside tolerance
  std::size_t unreachable = 0;      // targets outside the device's own window (clamped)
  std::size_t stuck_lrs = 0, stuck_hrs = 0;
  std::size_t clipped_weights = 0;  // filled in by the mapping's caller
  double energy_pj = 0.0;           // Σ V²·G·t over pulses (ohmic estimate)
  double time_ns = 0.0;             // rows one after another, a row's cells in parallel

  void add(const ProgramReport& other);
  kit::Json to_json() const;
};

class Crossbar {
 public:
  Crossbar(const Device& device, kit::Stream stream);

  // Programs targets (µS, rows*cols row-major): each is snapped to the
  // device's nearest level (when it has levels) and clamped to the device's
  // own window; cell (i,j) draws from index i*cols+j.
  ProgramReport program(const std::vector<double>& targets_us, std::size_t rows, std::size_t cols);

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  // Conductances t_s after programming (drift/relaxation applied; stuck cells fixed).
  std::vector<double> conductances_at(double t_s) const;
  // σ of one read of each cell at conductances g (from conductances_at(t_s)).
  std::vector<double> read_sigma_at(const std::vector<double>& g, double t_s) const;
  // Per-cell state for inspection and tests.
  const std::vector<double>& programmed() const { return g_prog_; }
  const std::vector<double>& drift_nu() const { return nu_; }
  const std::vector<std::uint8_t>& stuck() const { return stuck_; }  // 0 ok, 1 LRS, 2 HRS

 private:
  const Device& device_;
  kit::Stream stream_;
  std::size_t rows_ = 0, cols_ = 0;
  std::vector<double> g_prog_, nu_, xi_relax_;
  std::vector<std::uint8_t> stuck_;
};

}  // namespace xbarsim::arrays
