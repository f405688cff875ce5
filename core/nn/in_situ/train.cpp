// The in-situ training loop: forward through the devices and the forward
// periphery, back through the same devices read transposed, update by
// pulses (rules/), one sample batch at a time, serially.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "core/kit/error.h"
#include "core/kit/parallel.h"
#include "core/nn/forward.h"
#include "core/nn/in_situ/analog_io.h"
#include "core/nn/in_situ/in_situ.h"
#include "core/nn/in_situ/pulsed_array.h"
#include "core/nn/in_situ/rules/rules.h"
#include "core/nn/train.h"
#include "core/nn/weights.h"

namespace xbarsim::nn {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<PulseRule> make_rule(const InSituSpec& spec) {
  switch (spec.rule) {
    case UpdateRule::kStochastic:
      return make_stochastic_rule(spec);
    case UpdateRule::kPulseCount:
      return make_pulse_count_rule(spec);
    case UpdateRule::kSign:
      break;
  }
  return make_sign_rule(spec);
}

// Squared error of outputs y against one-hot labels: returns the summed
// loss and the number right; y becomes d(mean loss)/dy.
std::pair<double, std::size_t> squared_error(RowMatrixF& y, const std::vector<int>& labels,
                                             std::span<const std::size_t> idx) {
  double loss = 0;
  std::size_t right = 0;
  const auto batch = static_cast<float>(y.rows());
  for (Eigen::Index b = 0; b < y.rows(); ++b) {
    const int label = labels[idx[static_cast<std::size_t>(b)]];
    Eigen::Index best = 0;
    y.row(b).maxCoeff(&best);
    right += best == label;
    for (Eigen::Index k = 0; k < y.cols(); ++k) {
      const float e = y(b, k) - (k == label ? 1.0f : 0.0f);
      loss += static_cast<double>(e) * static_cast<double>(e);
      y(b, k) = 2.0f * e / batch;
    }
  }
  return {loss, right};
}

// Per-device pulse statistics of one layer, against the law's endurance.
kit::Json pulse_stats(const PulsedArray& a) {
  const auto& p = a.pulses();
  double sum = 0, max = 0;
  std::size_t beyond = 0;
  const double endurance = a.law().common().endurance_pulses;
  for (const std::uint32_t v : p) {
    sum += v;
    max = std::max(max, static_cast<double>(v));
    beyond += endurance > 0 && v > endurance;
  }
  kit::Json j = {{"mean", sum / static_cast<double>(p.size())}, {"max", max}};
  if (endurance > 0) {
    j["endurance_pulses"] = endurance;
    j["max_of_endurance"] = max / endurance;
    j["devices_beyond_endurance"] = beyond;
  } else {
    j["endurance_pulses"] = nullptr;  // the law's preset gives none
  }
  return j;
}

}  // namespace

InSituResult train_in_situ(const Network& net, const Dataset& train, const Dataset& test,
                           const InSituSpec& spec, const kit::Registry& registry,
                           const InSituProgress& progress) {
  spec.check(net, "in_situ");
  const kit::SerialOpenMp serial;
  const auto start = Clock::now();
  const auto law = registry.build<arrays::UpdateModel>("update", spec.update);
  const auto rule = make_rule(spec);
  const std::size_t n_layers = net.layers.size();
  const std::vector<std::size_t> matrix = net.matrix_layers();
  Weights init = Weights::init(net, spec.seed);
  if (spec.init_uniform > 0) {
    for (const std::size_t i : matrix) {
      RowMatrixF& w = init.layers[i].w;
      const kit::Stream s = kit::Stream(spec.seed, "in_situ", "init").substream(i);
      for (Eigen::Index k = 0; k < w.size(); ++k) {
        w.data()[k] = static_cast<float>(spec.init_uniform *
                                         (2.0 * s.uniform_at(static_cast<std::uint64_t>(k)) - 1.0));
      }
    }
  }

  // The devices, initial weights written onto them; biases digital.
  std::vector<std::unique_ptr<PulsedArray>> arrays(n_layers);
  std::vector<Eigen::RowVectorXf> bias(n_layers);
  std::vector<double> lr(n_layers, spec.learning_rate), fwd_worst(n_layers), bwd_worst(n_layers);
  for (std::size_t m = 0; m < matrix.size(); ++m) {
    const std::size_t i = matrix[m];
    const Layer& l = net.layers[i];
    arrays[i] = std::make_unique<PulsedArray>(
        *law, l.rows(), l.cols(), kit::Stream(spec.seed, "in_situ", "devices").substream(i),
        kit::Stream(spec.seed, "in_situ", "c2c").substream(i));
    arrays[i]->write(init.layers[i].w);
    bias[i] = init.layers[i].b;
    if (!spec.layer_learning_rates.empty()) lr[i] = spec.layer_learning_rates[m];
    const double w_abs = arrays[i]->max_abs_bound();
    fwd_worst[i] = static_cast<double>(l.rows()) * w_abs * spec.forward.inp_bound;
    bwd_worst[i] = static_cast<double>(l.cols()) * w_abs * spec.backward.inp_bound;
  }

  // The network through the devices; `key` keys the read noise.
  std::vector<RowMatrixF> acts(n_layers);
  std::vector<Saved> saved(n_layers);
  const auto forward_pass = [&](const RowMatrixF& x, std::uint64_t key, bool keep) {
    const kit::Stream noise(spec.seed, "in_situ", "forward_noise", key);
    const ProductFn product = [&](std::size_t i, const RowMatrixF& v) {
      return analog_product(v, arrays[i]->w(), false, spec.forward, noise.substream(i),
                            fwd_worst[i]);
    };
    for (std::size_t i = 0; i < n_layers; ++i) {
      const Layer& l = net.layers[i];
      acts[i] =
          l.kind->forward(l, inputs_of(l, x, acts), {i, &bias[i], &product}, keep ? &saved[i] : nullptr);
    }
    return acts.back();
  };
  const auto evaluate = [&](const Dataset& data, std::uint64_t key) {
    std::size_t right = 0;
    for (Eigen::Index first = 0; first < data.x.rows(); first += 256) {
      const Eigen::Index m = std::min<Eigen::Index>(256, data.x.rows() - first);
      const RowMatrixF y = forward_pass(RowMatrixF(data.x.middleRows(first, m)),
                                        key + static_cast<std::uint64_t>(first), false);
      const auto pred = argmax_rows(y);
      for (Eigen::Index b = 0; b < m; ++b) {
        right += pred[static_cast<std::size_t>(b)] ==
                 data.labels[static_cast<std::size_t>(first + b)];
      }
    }
    return static_cast<double>(right) / static_cast<double>(data.size());
  };

  // Devices whose states are recorded after each epoch, evenly spaced.
  kit::Json trajectories = kit::Json::object();
  const auto record = [&]() {
    for (const std::size_t i : matrix) {
      const std::size_t devices = arrays[i]->rows() * arrays[i]->cols();
      const std::size_t t = std::min(spec.trajectories, devices);
      kit::Json& layer = trajectories[net.layers[i].name];
      for (std::size_t q = 0; q < t; ++q) {
        const std::size_t k = q * devices / t;
        if (layer.size() <= q) layer.push_back({{"device", k}, {"w", {}}, {"g_us", {}}});
        layer[q]["w"].push_back(arrays[i]->w().data()[k]);
        layer[q]["g_us"].push_back(arrays[i]->conductance_us(k));
      }
    }
  };
  record();

  std::vector<RowMatrixF> grad_w(n_layers), vgrad(n_layers);
  std::vector<Eigen::RowVectorXf> grad_b(n_layers);
  std::vector<std::function<RowMatrixF(const RowMatrixF&)>> transposed(n_layers);
  std::uint64_t step = 0;
  for (const std::size_t i : matrix) {
    transposed[i] = [&, i](const RowMatrixF& g) {
      return analog_product(g, arrays[i]->w(), true, spec.backward,
                            kit::Stream(spec.seed, "in_situ", "backward_noise", step).substream(i),
                            bwd_worst[i]);
    };
  }
  const std::size_t n = train.size();
  const std::size_t per_epoch = spec.samples_per_epoch == 0 ? n : std::min(spec.samples_per_epoch, n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  kit::Json epochs = kit::Json::array();
  PulseTotals previous;
  double reads_fwd = 0, reads_bwd = 0;

  for (std::size_t epoch = 0; epoch < spec.epochs; ++epoch) {
    const auto t0 = Clock::now();
    kit::Stream shuffle(spec.seed, "in_situ", "shuffle", epoch);
    for (std::size_t k = n; k > 1; --k) {
      const auto j = static_cast<std::size_t>(shuffle.uniform() * static_cast<double>(k));
      std::swap(order[k - 1], order[std::min(j, k - 1)]);
    }
    double loss = 0;
    std::size_t right = 0;
    for (std::size_t first = 0; first < per_epoch; first += spec.batch, ++step) {
      const std::span<const std::size_t> idx(order.data() + first,
                                             std::min(spec.batch, per_epoch - first));
      RowMatrixF x(static_cast<Eigen::Index>(idx.size()), train.x.cols());
      for (std::size_t b = 0; b < idx.size(); ++b) {
        x.row(static_cast<Eigen::Index>(b)) = train.x.row(static_cast<Eigen::Index>(idx[b]));
      }
      RowMatrixF z = forward_pass(x, step, true);
      const auto [batch_loss, batch_right] = spec.loss == Loss::kMse
                                                 ? squared_error(z, train.labels, idx)
                                                 : softmax_xent(z, train.labels, idx);
      loss += batch_loss;
      right += batch_right;
      backward_graph(net, x, acts, saved, std::move(z), [&](std::size_t i, bool need_input) {
        const Layer& l = net.layers[i];
        if (!l.matrix()) return BackwardContext{nullptr, nullptr, nullptr, need_input};
        return BackwardContext{&arrays[i]->w(), &grad_w[i], l.bias ? &grad_b[i] : nullptr,
                               need_input,      &transposed[i], &vgrad[i]};
      });
      for (const std::size_t i : matrix) {
        reads_fwd += static_cast<double>(saved[i].vectors.rows());
        if (vgrad[i].size() == 0) continue;  // does not reach the loss
        reads_bwd += static_cast<double>(vgrad[i].rows());
        rule->apply(*arrays[i], saved[i].vectors, vgrad[i], lr[i],
                    kit::Stream(spec.seed, "in_situ", "trains", step).substream(i));
        if (net.layers[i].bias) bias[i] -= static_cast<float>(lr[i]) * grad_b[i];
      }
    }
    for (const std::size_t i : matrix) {
      if (!arrays[i]->w().allFinite() || (bias[i].size() && !bias[i].allFinite())) {
        throw kit::RuntimeError(fmt::format(
            "in-situ training diverged (layer \"{}\" is not finite); lower "
            "in_situ.learning_rate (now {})",
            net.layers[i].name, spec.learning_rate));
      }
    }
    record();
    PulseTotals total;
    for (const std::size_t i : matrix) total.add(arrays[i]->totals());
    const double test_acc = evaluate(test, (std::uint64_t{1} << 40) + epoch * (1ull << 24));
    const auto pulses = [](const PulseTotals& t) { return t.set_pulses + t.reset_pulses; };
    kit::Json e = {{"epoch", epoch + 1},
                   {"train_loss", loss / static_cast<double>(per_epoch)},
                   {"train_accuracy", static_cast<double>(right) / static_cast<double>(per_epoch)},
                   {"test_accuracy", test_acc},
                   {"pulses", pulses(total) - pulses(previous)},
                   {"write_energy_pj", total.energy_pj() - previous.energy_pj()},
                   {"write_latency_ns", total.latency_ns - previous.latency_ns},
                   {"seconds", std::chrono::duration<double>(Clock::now() - t0).count()}};
    previous = total;
    if (progress) progress(epoch + 1, e);
    epochs.push_back(std::move(e));
  }

  InSituResult out;
  kit::Json layers = kit::Json::array();
  PulseTotals total;
  for (const std::size_t i : matrix) {
    const PulsedArray& a = *arrays[i];
    total.add(a.totals());
    kit::Json row = {{"name", net.layers[i].name},
                     {"rows", a.rows()},
                     {"cols", a.cols()},
                     {"devices", a.rows() * a.cols()},
                     {"pulses_per_device", pulse_stats(a)}};
    row.update(a.totals().to_json());
    layers.push_back(std::move(row));
    out.weights.emplace_back(a.w().data(), a.w().data() + a.w().size());
  }
  kit::Json totals = total.to_json();
  totals["forward_vectors"] = reads_fwd;
  totals["backward_vectors"] = reads_bwd;
  totals["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  out.report = {{"epochs", std::move(epochs)},
                {"layers", std::move(layers)},
                {"totals", std::move(totals)},
                {"trajectories", std::move(trajectories)},
                {"samples_per_epoch", per_epoch},
                {"test_samples", test.size()}};
  out.report["final_test_accuracy"] = out.report["epochs"].back()["test_accuracy"];
  return out;
}

}  // namespace xbarsim::nn
