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
//
// The members are defined by concern, one file each: tile.cpp (programming,
// inputs, reports), read_state.cpp, read_noise.cpp, calibration.cpp,
// pipeline.cpp (the read path), costs.cpp (counts and costs).
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
#include "core/kit/ndarray.h"
#include "core/kit/registry.h"
#include "core/tile/actions.h"
#include "core/tile/bit_table.h"
#include "core/tile/tile_spec.h"
#include "peripherals/adc.h"
#include "peripherals/dac.h"
#include "peripherals/shift_add.h"

namespace xbarsim::tile {

using peripherals::RowMatrixF;

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
  // The same in float for callers that already hold float inputs (network
  // inference; the values must be finite). compensate = false reads without
  // the drift compensation (a tile built without it has none either way).
  RowMatrixF vmm(const RowMatrixF& inputs, double t_s = 0.0, bool compensate = true);
  // Y = X·W with the weights as given (no mapping, devices or periphery).
  kit::NdArray vmm_ideal(const kit::NdArray& inputs) const;

  // Conductances (µS) t_s after programming: "g_pos"/"g_neg" (differential)
  // or "g"/"g_ref" (offset), suffixed "_s<k>" per slice when sliced.
  std::map<std::string, kit::NdArray> conductances(double t_s) const;
  const arrays::ProgramReport& program_report() const { return report_; }
  // One report per crossbar (pos/neg per slice, in order).
  const std::vector<arrays::ProgramReport>& array_program_reports() const { return array_reports_; }
  // The totals plus one report per crossbar ("arrays": {"g_pos_s0": ...}).
  kit::Json program_report_json() const;
  const TileSpec& spec() const { return spec_; }
  const arrays::Device& device() const { return *device_; }
  const arrays::Mapping& mapping() const { return mapping_; }

  // Sets the calibrated full scales (DAC range "calibrated", ADC range
  // "calibrated") from these inputs read t_s after programming. vmm() calls
  // it with its own inputs when a calibrated range is still unset; program()
  // clears them.
  void calibrate(const kit::NdArray& inputs, double t_s = 0.0);
  void calibrate(const RowMatrixF& inputs, double t_s = 0.0);
  // What the last vmm() did and cost, and the sum over every vmm() since
  // programming.
  const Actions& last_actions() const { return last_actions_; }
  const Actions& total_actions() const { return total_actions_; }
  // Per-action costs and the area of the tile's periphery and arrays.
  kit::Json costs_json() const;

 private:
  // What one conversion target sees: a signal matrix and its read noise.
  // For the whole tile (logical units, slices and columns scaled and summed)
  // or for one slice (physical µS, as its ADCs see it).
  struct Readout {
    // Column-major: with row-major inputs and a column-major product this is
    // the layout Eigen's GEMM runs fastest in (measured, BENCHMARKS.md).
    Eigen::MatrixXf w;    // rows x cols: Σ_k c_kj (G+ - G-)_k, or one slice's G+ - G-
    Eigen::MatrixXf var;  // rows x cols: σ+² + σ-² (scaled by c² when summed)
    // When every row of var is the same (σ independent of the state, as for
    // a constant read noise), the output variance is |u|²·var(0, j): sd_col
    // holds sqrt(var(0, j)) and the second GEMM is skipped.
    Eigen::RowVectorXf sd_col;
    // Per crossbar, for per_device reads: σ (scaled by c when summed).
    std::vector<RowMatrixF> sigma;
    std::vector<float> sign;  // +1 for G+ crossbars, -1 for G-
    RowMatrixF ref_var;       // offset: rows x R, σ_ref² of the reference column(s)
    RowMatrixF ref_scale;     // offset: R x cols, what each reference adds to a column
    // Lookup tables of w and var for ternary (bit-serial) planes.
    BitPlaneTable table, var_table;
    void set_rank1();  // sets sd_col when var allows
  };
  // Everything a read at time t needs, computed once per (programming, t).
  struct ReadState {
    double t_s = 0;
    Readout total;
    std::vector<Readout> slices;  // only when the ADC quantizes
    Eigen::VectorXf row_g_us;     // Σ_j G_ij over every crossbar, per row (read energy)
    std::vector<double> comp;     // drift compensation per column (1 = none)
    // Nonlinear cells: one circuit per crossbar (G+ then G- per slice), solved
    // on every read; the signal is then not x·w.
    std::vector<std::unique_ptr<arrays::CircuitSolver>> circuits;
  };
  const ReadState& state_at(double t_s);
  ReadState build_state(double t_s) const;
  void compensate(ReadState& s) const;  // sets s.comp from the calibration reference
  // y = x·w plus read noise whose amplitude input is u (u = x for a plain
  // read; for quantized inputs u carries the independent noise of each read).
  Eigen::MatrixXf read(const RowMatrixF& x, const ReadState& s, const kit::Stream& noise) const;
  // codes: u packed for the lookup tables (u ternary: every entry -1, 0 or
  // 1), or null.
  void add_noise(const RowMatrixF& u, const Readout& r, const kit::Stream& noise,
                 Eigen::MatrixXf& y, const PlaneCodes* codes = nullptr) const;
  void add_output_referred_noise(const RowMatrixF& u, const Readout& r, const kit::Stream& noise,
                                 Eigen::MatrixXf& y, const PlaneCodes* codes) const;
  void add_per_device_noise(const RowMatrixF& u, const Readout& r, const kit::Stream& noise,
                            Eigen::MatrixXf& y) const;
  std::vector<double> calibration_response(const ReadState& s, std::uint64_t which) const;
  // Checks inputs against the programmed weights (rank, NaN, rows).
  kit::MatrixShape input_shape(const kit::NdArray& inputs) const;
  void check_input_rows(std::size_t n) const;
  // vmm's work: outputs (col-major, logical units) before drift
  // compensation; state receives the read state it used.
  Eigen::MatrixXf vmm_uncompensated(const RowMatrixF& x, double t_s, const ReadState*& state);
  RowMatrixF checked_inputs(const kit::NdArray& inputs) const;
  // Name of crossbar k (0, 1 = slice 0's G+/G- or G/G_ref; 2, 3 = slice 1 ...).
  std::string crossbar_name(std::size_t k) const;
  // Conductances (µS) a crossbar presents to the inputs: G itself without
  // line resistance, else the effective matrix T of its circuit (I = V·T).
  std::vector<double> through_circuit(const arrays::Crossbar& xb,
                                      const std::vector<double>& g_us) const;
  // Nonlinear cells: the signal (µS·v_read units) of voltages v (units of
  // v_read, any number of rows) through the circuits of one slice
  // (physical), or of every slice scaled to logical units (slice < 0).
  Eigen::MatrixXf circuit_signal(const RowMatrixF& v, const ReadState& s, int slice) const;

  // The periphery (tile_pipeline.cpp): DAC -> array -> ADC -> shift-add.
  double dac_full_scale(const RowMatrixF& x) const;
  // Logical outputs of quantized inputs with an ideal ADC: the reads combine
  // linearly, so planes and slices sum before the (single) read.
  Eigen::MatrixXf read_combined(const peripherals::DacPlanes& p, const ReadState& s,
                                const kit::Stream& noise) const;
  // p's planes packed for the slices' lookup tables when those apply (one
  // packing for every slice's signal and noise), else nothing.
  std::optional<PlaneCodes> table_codes(const peripherals::DacPlanes& p, const ReadState& s) const;
  // The analog signals of one slice for every group of planes, with read
  // noise: (groups·batch) x cols, µS·v_read units. codes: table_codes(p, s).
  Eigen::MatrixXf slice_signals(const peripherals::DacPlanes& p, const PlaneCodes* codes,
                                const ReadState& s, std::size_t slice,
                                const kit::Stream& noise) const;
  // Logical outputs through the ADCs and shift-add; counts clipped
  // conversions. codes: p's planes packed (required when p is packed).
  Eigen::MatrixXf read_converted(const peripherals::DacPlanes& p, const PlaneCodes* codes,
                                 const ReadState& s, const kit::Stream& noise,
                                 const kit::Stream& adc_noise, std::size_t& clipped) const;
  // Whether a read at s can take the DAC's packed planes: every product and
  // noise term of the read then comes from the packed codes (bit-serial
  // planes, one per conversion, through a linear array's lookup tables;
  // read noise off or output-referred on a differential mapping).
  bool packed_reads(const ReadState& s) const;
  // Each group's read-noise amplitude ν_g = Σ_{p in g} frac_p·|v_p| (the
  // planes themselves when every group is one plane; signs do not matter to
  // the noise); storage holds it when it has to be computed.
  static const RowMatrixF& group_amplitudes(const peripherals::DacPlanes& p, RowMatrixF& storage);
  int accumulator_bits(const std::vector<double>& group_weights) const;
  // Worst-case |signal| of slice k's columns (range "full_scale").
  double worst_case_signal(std::size_t slice) const;
  void calibrate_adc(const RowMatrixF& x, const ReadState& s);
  // What the action counts need from plane rows (n x rows).
  struct PlaneStats {
    double max_abs = 0;  // max |v|
    double energy = 0;   // Σ v²·g, or Σ |v|·g for durations (g: row conductance)
    std::uint64_t nnz = 0;
  };
  static PlaneStats plane_stats(const float* v, Eigen::Index n, Eigen::Index rows,
                                const Eigen::VectorXf& g, bool durations);
  // The same from packed ternary planes: rows [first, first + n) of codes;
  // sums: PlaneCodes::group_sums of the row conductances.
  static PlaneStats plane_stats(const PlaneCodes& codes, Eigen::Index first, Eigen::Index n,
                                const std::vector<double>& sums);
  // Counts and prices one vmm: planes p (their statistics; entries times
  // v_scale are in units of v_read).
  Actions count_actions(const peripherals::DacPlanes& p, const std::vector<PlaneStats>& stats,
                        double v_scale) const;
  bool linear_array() const { return circuit_.linear() || !solver_.models_wires(); }

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
  std::unique_ptr<peripherals::Dac> dac_;
  std::unique_ptr<peripherals::Adc> adc_;
  std::unique_ptr<peripherals::ShiftAdd> shift_add_;
  std::vector<peripherals::AdcBank> adc_banks_;  // per slice
  double dac_fs_ = 0;                            // calibrated DAC full scale
  bool dac_calibrated_ = false;
  std::vector<float> adc_range_;  // slices x cols, µS·v_read (empty = unset)
  Actions last_actions_, total_actions_;
};

}  // namespace xbarsim::tile
