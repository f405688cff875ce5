#include "core/nn/snn/simulate.h"

#include <cmath>

#include "core/kit/rng.h"

namespace xbarsim::nn {

SnnRunner::SnnRunner(const Network& net, const Weights& w, const SnnPlan& plan, const SnnSpec& spec,
                     const peripherals::Neuron& neuron, std::optional<std::uint64_t> mismatch_trial)
    : net_(net),
      w_(w),
      plan_(plan),
      spec_(spec),
      neuron_(neuron),
      mismatch_(net.layers.size()),
      neurons_(net.layers.size(), 0) {
  const kit::Stream draws(spec.seed, "snn", "neuron_mismatch", mismatch_trial.value_or(0));
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    if (plan.layers[i].role != SnnRole::kNeurons) continue;
    neurons_[i] = net.layers[i].out_elements();
    if (mismatch_trial) mismatch_[i] = neuron.mismatch(neurons_[i], draws.substream(i));
  }
}

void rate_spikes(const float* x, const double* u, std::size_t n, float scale, float amplitude,
                 float* out) {
  const auto s = static_cast<double>(scale);
  for (std::size_t e = 0; e < n; ++e) {
    const double p = std::min(1.0, std::abs(static_cast<double>(x[e])) / s);
    out[e] = u[e] < p ? std::copysign(amplitude, x[e]) : 0.0f;
  }
}

RowMatrixF SnnRunner::code_input(const RowMatrixF& x, std::size_t first, std::size_t step) const {
  const kit::Stream draws(spec_.seed, "snn", "rate_coding");
  const auto n = static_cast<std::size_t>(x.cols());
  const float scale = plan_.input_scale;
  RowMatrixF s(x.rows(), x.cols());
  std::vector<double> u(n);
  for (Eigen::Index b = 0; b < x.rows(); ++b) {
    draws.substream(first + static_cast<std::size_t>(b)).fill_uniform(u, step * n);
    rate_spikes(x.row(b).data(), u.data(), n, scale, scale, s.row(b).data());
  }
  return s;
}

std::vector<SnnCheckpoint> SnnRunner::run(
    const RowMatrixF& x, std::size_t first, const SpikeProductFn& product,
    const std::function<void(std::size_t)>& at_checkpoint) const {
  const std::size_t n = net_.layers.size();
  const Eigen::Index batch = x.rows();
  std::vector<peripherals::NeuronMatrix> u(n);
  std::vector<RowMatrixF> counts(n), outs(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Layer& l = net_.layers[i];
    if (plan_.layers[i].role == SnnRole::kNeurons) {
      u[i] = RowMatrixF::Zero(batch, static_cast<Eigen::Index>(l.out_elements()));
    } else if (plan_.layers[i].role == SnnRole::kGate) {
      counts[i] = RowMatrixF::Zero(batch, static_cast<Eigen::Index>(l.in_elements()));
    }
  }
  const Layer& readout = net_.layers[plan_.readout];
  RowMatrixF scores = RowMatrixF::Zero(batch, static_cast<Eigen::Index>(readout.out_elements()));
  std::vector<double> fired(n, 0.0);
  double input_spikes = 0;
  std::vector<SnnCheckpoint> out;
  std::vector<const RowMatrixF*> in;
  RowMatrixF coded, current, spikes;
  const bool rate = spec_.coding == SpikeCoding::kRate;
  for (std::size_t t = 0, k = 0; t < spec_.max_steps(); ++t) {
    if (rate) {
      coded = code_input(x, first, t);
      input_spikes += static_cast<double>((coded.array() != 0.0f).count());
    }
    const RowMatrixF& xin = rate ? coded : x;
    for (std::size_t i = 0; i < n; ++i) {
      const Layer& l = net_.layers[i];
      const SnnLayer& s = plan_.layers[i];
      in.clear();
      for (const auto src : l.inputs) in.push_back(src == kNetworkInput ? &xin : &outs[src]);
      switch (s.role) {
        case SnnRole::kMatrix: {
          // Spikes of scale λ reach the rows as 0/±1; the output is scaled back.
          const ProductFn scaled = [&](std::size_t layer, const RowMatrixF& v) -> RowMatrixF {
            if (s.scale <= 0) return product(layer, v);
            return product(layer, RowMatrixF(v.array() / s.scale)) * s.scale;
          };
          const ForwardContext ctx{i, &w_.layers[i].b, &scaled};
          outs[i] = l.kind->forward(l, in, ctx, nullptr);
          break;
        }
        case SnnRole::kNeurons: {
          // In threshold units; a pooling population integrates its window's mean.
          if (s.pools) {
            current = l.kind->forward(l, in, ForwardContext{i, nullptr, nullptr}, nullptr) *
                      (1.0f / s.scale);
          } else {
            current = *in[0] * (1.0f / s.scale);
          }
          fired[i] += static_cast<double>(neuron_.step(u[i], current, mismatch_[i], spikes));
          outs[i] = spikes * s.scale;
          break;
        }
        case SnnRole::kGate: {
          // The input that has fired most so far (this step's spikes
          // included, so a tie goes to a neuron firing now) passes its spike.
          const RowMatrixF& sp = *in[0];
          counts[i] += (sp.array() != 0.0f).cast<float>().matrix();
          Saved saved;
          const RowMatrixF* c = &counts[i];
          l.kind->forward(l, std::span<const RowMatrixF* const>(&c, 1), ForwardContext{i}, &saved);
          const auto out_n = static_cast<std::size_t>(l.out_elements());
          outs[i].resize(batch, static_cast<Eigen::Index>(out_n));
          for (Eigen::Index b = 0; b < batch; ++b) {
            for (std::size_t o = 0; o < out_n; ++o) {
              const std::int32_t at = saved.argmax[static_cast<std::size_t>(b) * out_n + o];
              outs[i](b, static_cast<Eigen::Index>(o)) = at < 0 ? 0.0f : sp(b, at);
            }
          }
          fired[i] += static_cast<double>((outs[i].array() != 0.0f).count());
          break;
        }
        case SnnRole::kReadout:
          break;  // the readout is its input
        default: {
          const ForwardContext ctx{i, nullptr, nullptr};
          outs[i] = l.kind->forward(l, in, ctx, nullptr);
          break;
        }
      }
    }
    scores += outs[plan_.readout];
    if (t + 1 == spec_.steps[k]) {
      out.push_back({scores, fired, input_spikes});
      if (at_checkpoint) at_checkpoint(k);
      ++k;
    }
  }
  return out;
}

}  // namespace xbarsim::nn
