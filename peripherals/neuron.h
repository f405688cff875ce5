#pragma once
// Spiking neurons: the population of integrate-and-fire neurons that turns a
// layer's column currents into spikes, step by step, and what each step and
// each spike costs.
//
// Contract: membranes and currents are batch x neurons, in units of the
// neuron's threshold (a current of 1 fills an empty membrane to the
// threshold in one step). One step, for neuron j:
//   u_j <- leak·u_j + gain_j·i_j
//   spike when u_j >= 1 + offset_j, then u_j -= 1 + offset_j ("subtract") or
//   u_j = 0 ("zero")
// gain_j and offset_j are the instance's mismatch (capacitor ratio,
// comparator offset), drawn once per population from an explicit stream;
// digital neurons have none. Whether the column currents reach the neuron
// through the tile's ADCs (digital neurons) or integrate on it directly
// (analog neurons: no conversion) is the variant's. Stateless; thread-safe.
#include <Eigen/Core>
#include <cstddef>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/rng.h"

namespace xbarsim::peripherals {

using NeuronMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class NeuronReset { kSubtract, kZero };

struct NeuronSpec {
  std::string impl;
  double leak = 1.0;  // membrane kept per step (1: integrate-and-fire)
  NeuronReset reset = NeuronReset::kSubtract;
  double gain_sigma = 0, offset_sigma = 0;  // relative, per instance

  // Parameters every neuron shares (leak, reset).
  static std::vector<kit::ParamInfo> common_params();
  static NeuronSpec from_json(const kit::Json& resolved);
};

// Per-instance mismatch of a population (empty vectors: none).
struct NeuronMismatch {
  std::vector<float> gain, threshold;  // per neuron: 1 + ε, 1 + δ
};

struct NeuronCost {
  double step_pj = 0;    // per neuron per step (integrate, compare)
  double spike_pj = 0;   // per spike fired (reset, output)
  double area_um2 = 0;   // per neuron
  double t_step_ns = 0;  // added to a step's time after the array read
};

class Neuron {
 public:
  explicit Neuron(NeuronSpec spec) : spec_(std::move(spec)) {}
  virtual ~Neuron() = default;
  Neuron(const Neuron&) = delete;
  Neuron& operator=(const Neuron&) = delete;

  // Whether the column currents are converted by the tile's ADCs first.
  virtual bool reads_adc() const = 0;
  virtual NeuronCost cost(double node_nm) const = 0;

  // The mismatch of a population of n neurons, drawn from `draws`.
  NeuronMismatch mismatch(std::size_t n, const kit::Stream& draws) const;
  // One step of the population: u integrates i (both batch x n), and
  // spikes (batch x n) is set to 1 where a neuron fires, else 0. Returns
  // the spikes fired.
  std::size_t step(NeuronMatrix& u, const NeuronMatrix& i, const NeuronMismatch& m,
                   NeuronMatrix& spikes) const;
  const NeuronSpec& spec() const { return spec_; }

 private:
  NeuronSpec spec_;
};

}  // namespace xbarsim::peripherals
