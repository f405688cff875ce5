#pragma once
// ANN-to-SNN conversion (Rueckauer et al., Front. Neurosci. 2017): every
// ReLU becomes a population of integrate-and-fire neurons whose threshold is
// the ReLU's activation scale λ (a percentile of its positive outputs on
// calibration data: the "robust normalisation"), so a neuron's firing rate
// times λ approximates the ReLU's output. Weights stay as trained: a matrix
// layer reads binary spikes on its rows and its output is scaled by its
// input's λ digitally; biases are constant currents; max pooling passes the
// spikes of the input that has fired most so far (spike gating); the last
// layer's currents are accumulated and read as the membrane potential.
// Average pooling of spikes is a population too: the window's mean spike
// drives integrate-and-fire neurons whose threshold is the spikes' scale, so
// they fire at the window's mean rate (Rueckauer et al. 2017).
//
// What each layer carries per step: spikes of a scale λ (values 0 or λ),
// currents, or (direct coding) the analog input. Layers are mapped by kind:
//   conv2d, linear           spikes or the analog input -> currents
//   relu                     currents -> spikes (neurons); spikes pass
//   maxpool                  spikes -> spikes (gated)
//   avgpool, global_avgpool  spikes -> spikes (neurons at the input's scale)
//   flatten, reshape, pad, transpose   pass what they read
//   add, affine, batchnorm, avgpool, global_avgpool   currents -> currents (linear)
//   softmax, log_softmax     last layer only: the readout is its input
// Anything else (another activation, matmul, concat, a crossbar reading
// currents) is refused at the layer's path.
#include <cstddef>
#include <string>
#include <vector>

#include "core/nn/network.h"
#include "core/nn/snn/spec.h"
#include "core/nn/weights.h"

namespace xbarsim::nn {

enum class SnnRole { kMatrix, kNeurons, kGate, kPass, kLinear, kReadout };

struct SnnLayer {
  SnnRole role = SnnRole::kPass;
  // kMatrix: the scale of the spikes it reads (0: it reads the analog input).
  // kNeurons: the threshold λ in the layer's current units.
  float scale = 0;
  // kMatrix: whether it reads spikes (false: the analog input, direct
  // coding), and whether they can be negative (ternary: signed rate-coded
  // input; set by convert_to_snn).
  bool reads_spikes = false;
  bool signed_spikes = false;
  // kNeurons: an average pooling of spikes (its neurons integrate the
  // window's mean spike; threshold: the spikes' scale), not a relu.
  bool pools = false;
};

struct SnnPlan {
  std::vector<SnnLayer> layers;  // per network layer
  std::size_t readout = 0;       // the layer whose outputs accumulate into the scores
  float input_scale = 1;         // rate coding: the input that fires every step
  bool signed_input = false;     // rate coding: negative inputs give -1 spikes
  std::vector<std::string> warnings;
};

// The roles alone (no data): refuses what cannot be converted, at
// "network.layers[i]" (checked before any work).
SnnPlan snn_roles(const Network& net, SpikeCoding coding);
// The roles and the scales from calibration inputs x (samples x inputs)
// through the float network.
SnnPlan convert_to_snn(const Network& net, const Weights& w, const RowMatrixF& x,
                       const SnnSpec& spec);

}  // namespace xbarsim::nn
