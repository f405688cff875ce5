#pragma once
// One tile: a weight matrix mapped onto crossbars of devices, read through
// the input/output pipeline (DAC -> arrays -> ADC -> shift-add) at a time
// after programming, with read noise and drift compensation.
//
// Contract: weights rows x cols (must fit array.rows x array.cols), inputs
// batch x rows, outputs batch x cols, all in logical units. One crossbar per
// weight slice and polarity (offset mapping: per slice, plus a reference
// column). Conductances in µS. Not thread-safe: vmm() advances the tile's
// read counter, which keys its read-noise draws, so a sequence of calls is
// reproducible for a given seed whatever the thread count.
#include <Eigen/Core>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arrays/circuit.h"
#include "arrays/crossbar.h"
#include "arrays/device.h"
#include "arrays/mapping.h"
#include "core/arch/tile_spec.h"
#include "core/kit/ndarray.h"
#include "core/kit/registry.h"

namespace xbarsim::arch {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class Tile {
 public:
  Tile(TileSpec spec, const kit::Registry& registry);
  Tile(const Tile&) = delete;
  Tile& operator=(const Tile&) = delete;

  // Maps and programs the weights (write-verify, faults); resets the read counter.
  const arrays::ProgramReport& program(const kit::NdArray& weights);
  bool programmed() const { return !crossbars_pos_.empty(); }

  // Y = X·W through the configured pipeline, t_s seconds after programming.
  kit::NdArray vmm(const kit::NdArray& inputs, double t_s = 0.0);
  // Y = X·W with the weights as given (no mapping, devices or periphery).
  kit::NdArray vmm_ideal(const kit::NdArray& inputs) const;
  // Exact double-precision product of two 2-D arrays (shapes must agree).
  static kit::NdArray matmul(const kit::NdArray& x, const kit::NdArray& w);

  // Conductances (µS) t_s after programming: "g_pos"/"g_neg" (differential)
  // or "g"/"g_ref" (offset), suffixed "_s<k>" per slice when sliced.
  std::map<std::string, kit::NdArray> conductances(double t_s) const;
  const arrays::ProgramReport& program_report() const { return report_; }
  // The totals plus one report per crossbar ("arrays": {"g_pos_s0": ...}).
  kit::Json program_report_json() const;
  const TileSpec& spec() const { return spec_; }
  const arrays::Device& device() const { return *device_; }
  const arrays::Mapping& mapping() const { return mapping_; }

 private:
  // Everything a read at time t needs, computed once per (programming, t).
  struct ReadState {
    double t_s = 0;
    // Column-major: with row-major inputs and a column-major product this is
    // the layout Eigen's GEMM runs fastest in (measured, BENCHMARKS.md).
    Eigen::MatrixXf w_eff;    // rows x cols: Σ_k c_kj (G+ - G-)_k  (logical weights)
    Eigen::MatrixXf var_eff;  // rows x cols: Σ_k c_kj² (σ+² + σ-²)_k (data cells)
    // When every row of var_eff is the same (σ independent of the state, as
    // for a constant read noise), the output variance is |x|²·var_eff(0, j):
    // sd_col holds sqrt(var_eff(0, j)) and the second GEMM is skipped.
    Eigen::RowVectorXf sd_col;
    // Per crossbar, for per_device reads: σ·c as float, rows x cols.
    std::vector<RowMatrixF> sigma_scaled;
    std::vector<float> sign;   // +1 for G+ crossbars, -1 for G-
    RowMatrixF ref_var;        // offset: rows x slices, σ_ref² of the reference
    RowMatrixF ref_scale;      // offset: slices x cols, c_kj
    std::vector<double> comp;  // drift compensation per column (1 = none)
    // Nonlinear cells: one circuit per crossbar (G+ then G- per slice), solved
    // on every read; the signal is then not x·w_eff.
    std::vector<std::unique_ptr<arrays::CircuitSolver>> circuits;
  };
  const ReadState& state_at(double t_s);
  ReadState build_state(double t_s) const;
  void compensate(ReadState& s) const;  // sets s.comp from the calibration reference
  Eigen::MatrixXf read(const RowMatrixF& x, const ReadState& s, const kit::Stream& noise) const;
  void add_output_referred_noise(const RowMatrixF& x, const ReadState& s, const kit::Stream& noise,
                                 Eigen::MatrixXf& y) const;
  void add_per_device_noise(const RowMatrixF& x, const ReadState& s, const kit::Stream& noise,
                            Eigen::MatrixXf& y) const;
  std::vector<double> calibration_response(const ReadState& s, std::uint64_t which) const;
  // Checks inputs against the programmed weights (rank, NaN, rows).
  kit::MatrixShape input_shape(const kit::NdArray& inputs) const;
  RowMatrixF checked_inputs(const kit::NdArray& inputs) const;
  // Name of crossbar k (0, 1 = slice 0's G+/G- or G/G_ref; 2, 3 = slice 1 ...).
  std::string crossbar_name(std::size_t k) const;
  // Conductances (µS) a crossbar presents to the inputs: G itself without
  // line resistance, else the effective matrix T of its circuit (I = V·T).
  std::vector<double> through_circuit(const arrays::Crossbar& xb,
                                      const std::vector<double>& g_us) const;
  Eigen::MatrixXf circuit_signal(const RowMatrixF& x, const ReadState& s) const;

  TileSpec spec_;
  std::unique_ptr<arrays::Device> device_;
  arrays::CircuitSpec circuit_;  // the array's circuit (linear or not, resistances)
  arrays::SolverSpec solver_;
  arrays::Mapping mapping_;
  arrays::MappedWeights mapped_;
  std::vector<arrays::Crossbar> crossbars_pos_, crossbars_neg_;  // per slice
  kit::NdArray weights_;                                         // as given, for vmm_ideal
  arrays::ProgramReport report_;
  std::vector<arrays::ProgramReport> array_reports_;  // pos/neg per slice, in order
  std::vector<double> comp_reference_;  // calibration response right after programming
  std::optional<ReadState> state_;
  std::uint64_t reads_ = 0;
};

}  // namespace xbarsim::arch
