#pragma once
// How an in-situ update becomes programming pulses: one rule per file.
//
// Contract: apply() moves the array towards W − lr·xᵀd, with x the layer's
// input vectors (n x rows) and d their output gradients (n x cols), by
// pulses through PulsedArray::pulse, and adds the schedule's write time to
// the array's totals. trains keys any random choice the rule makes.
// Deterministic for given streams; not thread-safe (the array is not).
#include <memory>

#include "core/kit/rng.h"
#include "core/nn/in_situ/in_situ.h"
#include "core/nn/in_situ/pulsed_array.h"

namespace xbarsim::nn {

class PulseRule {
 public:
  virtual ~PulseRule() = default;
  // grad is xᵀd, which the backward pass has already computed.
  virtual void apply(PulsedArray& a, const RowMatrixF& x, const RowMatrixF& d,
                     const RowMatrixF& grad, double lr, const kit::Stream& trains) const = 0;
  // The same, computing xᵀd.
  void apply(PulsedArray& a, const RowMatrixF& x, const RowMatrixF& d, double lr,
             const kit::Stream& trains) const;
};

std::unique_ptr<PulseRule> make_stochastic_rule(const InSituSpec& spec);
std::unique_ptr<PulseRule> make_pulse_count_rule(const InSituSpec& spec);
std::unique_ptr<PulseRule> make_sign_rule(const InSituSpec& spec);

using PulseCounts = Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Writes signed pulse counts n (rows x cols) row by row: each row takes its
// largest potentiation count times t_set, then its largest depression count
// times t_reset (two phases; the columns of a row in parallel), added to
// the array's time; a 1R array's half-selected cells are charged per row.
void write_row_by_row(PulsedArray& a, const PulseCounts& n);

}  // namespace xbarsim::nn
