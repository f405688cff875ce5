#include "peripherals/neuron.h"

#include <algorithm>

namespace xbarsim::peripherals {

std::vector<kit::ParamInfo> NeuronSpec::common_params() {
  using namespace kit;
  return {
      number_param("leak", 1.0, "",
                   "membrane kept per step, u <- leak*u + i (1: integrate-and-fire, no leak)", 0.0,
                   1.0),
      choice_param("reset", "subtract", {"subtract", "zero"},
                   "after a spike: subtract the threshold (keeps the residue; what ANN-to-SNN "
                   "conversion needs) or reset the membrane to 0"),
  };
}

NeuronSpec NeuronSpec::from_json(const kit::Json& j) {
  NeuronSpec s;
  s.impl = j.at("impl").get<std::string>();
  s.leak = j.at("leak").get<double>();
  s.reset =
      j.at("reset").get<std::string>() == "zero" ? NeuronReset::kZero : NeuronReset::kSubtract;
  s.gain_sigma = j.value("gain_sigma", 0.0);
  s.offset_sigma = j.value("offset_sigma", 0.0);
  return s;
}

NeuronMismatch Neuron::mismatch(std::size_t n, const kit::Stream& draws) const {
  NeuronMismatch m;
  const auto draw = [&](double sigma, std::uint64_t part, std::vector<float>& out) {
    if (sigma <= 0) return;
    std::vector<float> z(n);
    draws.substream(part).fill_normal(z);
    out.resize(n);
    // A gain or threshold cannot go below zero: clipped at 1 % of nominal.
    for (std::size_t j = 0; j < n; ++j) {
      out[j] = std::max(0.01f, 1.0f + static_cast<float>(sigma) * z[j]);
    }
  };
  draw(spec_.gain_sigma, 0, m.gain);
  draw(spec_.offset_sigma, 1, m.threshold);
  return m;
}

std::size_t Neuron::step(NeuronMatrix& u, const NeuronMatrix& i, const NeuronMismatch& m,
                         NeuronMatrix& spikes) const {
  const auto leak = static_cast<float>(spec_.leak);
  const bool subtract = spec_.reset == NeuronReset::kSubtract;
  const Eigen::Index rows = u.rows(), n = u.cols();
  spikes.resize(rows, n);
  std::size_t fired = 0;
  for (Eigen::Index b = 0; b < rows; ++b) {
    float* ub = u.row(b).data();
    const float* ib = i.row(b).data();
    float* sb = spikes.row(b).data();
    for (Eigen::Index j = 0; j < n; ++j) {
      const auto k = static_cast<std::size_t>(j);
      const float gain = m.gain.empty() ? 1.0f : m.gain[k];
      const float theta = m.threshold.empty() ? 1.0f : m.threshold[k];
      float v = leak * ub[j] + gain * ib[j];
      const bool fire = v >= theta;
      if (fire) v = subtract ? v - theta : 0.0f;
      ub[j] = v;
      sb[j] = fire ? 1.0f : 0.0f;
      fired += fire ? 1 : 0;
    }
  }
  return fired;
}

}  // namespace xbarsim::peripherals
