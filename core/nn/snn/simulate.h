#pragma once
// The time-stepped run of a converted network (core/nn/snn/convert.h): each
// step the input is coded (rate: a spike with probability |x|/x_max, drawn
// from a stream keyed by the sample's index and the step; direct: x itself),
// every layer runs in graph order, each matrix layer's product comes from a
// callback (float weights, or the tiles read once per step), the neurons
// integrate and fire, and the readout layer's outputs add up into the
// scores. At each checkpoint T of the spec the scores so far are kept.
//
// Contract: deterministic for a seed; the product callback sees binary (or
// ternary) spikes for a layer whose SnnLayer::scale is > 0 and the analog
// input otherwise; it is called in graph order, once per matrix layer and
// step.
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "core/nn/network.h"
#include "core/nn/snn/convert.h"
#include "core/nn/snn/spec.h"
#include "core/nn/weights.h"
#include "peripherals/neuron.h"

namespace xbarsim::nn {

// The product of matrix layer `layer` for one step's input vectors.
using SpikeProductFn = std::function<RowMatrixF(std::size_t layer, const RowMatrixF& vectors)>;

// What a batch did up to each checkpoint.
struct SnnCheckpoint {
  RowMatrixF scores;           // batch x readout elements: the readout's sum over the steps
  std::vector<double> spikes;  // per network layer: spikes its neurons fired, or a gate passed
                               // (max pooling; 0 for others)
  double input_spikes = 0;     // rate coding: spikes of the coded input (signed ones count 1)
};

// Rate-coded spikes of n values x: entry e fires with probability
// min(1, |x_e|/scale) against its uniform draw u_e, as ±amplitude by the
// sign of x_e, else 0.
void rate_spikes(const float* x, const double* u, std::size_t n, float scale, float amplitude,
                 float* out);

class SnnRunner {
 public:
  // mismatch_trial keys the neurons' mismatch draws (none: ideal neurons).
  SnnRunner(const Network& net, const Weights& w, const SnnPlan& plan, const SnnSpec& spec,
            const peripherals::Neuron& neuron, std::optional<std::uint64_t> mismatch_trial);

  // Runs the samples x whose dataset indices start at `first`;
  // at_checkpoint(k), if set, is called right after checkpoint k's step.
  std::vector<SnnCheckpoint> run(const RowMatrixF& x, std::size_t first,
                                 const SpikeProductFn& product,
                                 const std::function<void(std::size_t)>& at_checkpoint = {}) const;
  // Neurons of each network layer (0 for layers without).
  const std::vector<std::size_t>& neurons() const { return neurons_; }

 private:
  // Step `step`'s coded input of samples x.
  RowMatrixF code_input(const RowMatrixF& x, std::size_t first, std::size_t step) const;

  const Network& net_;
  const Weights& w_;
  const SnnPlan& plan_;
  const SnnSpec& spec_;
  const peripherals::Neuron& neuron_;
  std::vector<peripherals::NeuronMismatch> mismatch_;  // per network layer
  std::vector<std::size_t> neurons_;
};

}  // namespace xbarsim::nn
