// The in-situ training loop: forward through the devices and the forward
// periphery, back through the same devices read transposed, update by
// pulses (rules/), one sample batch at a time, serially.
#include "core/nn/train.h"

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
#include "core/nn/in_situ/refresh.h"
#include "core/nn/in_situ/rules/rules.h"
#include "core/nn/in_situ/tiki_taka.h"
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
  double sum = 0, max = 0, n = 0;
  std::size_t beyond = 0;
  const double endurance = a.law().common().endurance_pulses;
  for (std::size_t s = 0; s < (a.pair() ? 2u : 1u); ++s) {
    for (const std::uint32_t v : a.pulses(s)) {
      sum += v;
      max = std::max(max, static_cast<double>(v));
      beyond += endurance > 0 && v > endurance;
      n += 1;
    }
  }
  kit::Json j = {{"mean", sum / n}, {"max", max}};
  if (endurance > 0) {
    j["endurance_pulses"] = endurance;
    j["max_of_endurance"] = max / endurance;
    j["devices_beyond_endurance"] = beyond;
  } else {
    j["endurance_pulses"] = nullptr;  // the law's preset gives none
  }
  return j;
}

// One layer's devices: the array the network reads (C under Tiki-Taka),
// the fast array (Tiki-Taka only), what the network reads, and its step size
// and output bounds.
struct LayerDevices {
  std::unique_ptr<PulsedArray> slow, fast;
  RowMatrixF visible;  // W = gamma·A + C, or the one array
  Eigen::RowVectorXf bias;
  double lr = 0, fwd_worst = 0, bwd_worst = 0;
  std::size_t next_row = 0;  // Tiki-Taka: the next row to transfer
  // Vectors read: forward while training, transposed (backward), forward
  // while scoring the test set, and one-hot rows of Tiki-Taka's transfers.
  double train_vectors = 0, transposed_vectors = 0, test_vectors = 0, transfer_reads = 0;
  kit::Json reads() const {
    return {{"train_vectors", train_vectors},
            {"transposed_vectors", transposed_vectors},
            {"test_vectors", test_vectors},
            {"transfer_reads", transfer_reads}};
  }
  PulseTotals totals() const {
    PulseTotals t = slow->totals();
    if (fast) t.add(fast->totals());
    return t;
  }
};

class Trainer {
 public:
  Trainer(const Network& net, const InSituSpec& spec, const kit::Registry& registry)
      : net_(net),
        spec_(spec),
        law_(registry.build<arrays::UpdateModel>("update", spec.update)),
        rule_(make_rule(spec)),
        matrix_(net.matrix_layers()),
        layers_(net.layers.size()),
        acts_(net.layers.size()),
        saved_(net.layers.size()),
        grad_w_(net.layers.size()),
        vgrad_(net.layers.size()),
        grad_b_(net.layers.size()),
        transposed_(net.layers.size()) {
    program(initial_weights());
    for (const std::size_t i : matrix_) {
      transposed_[i] = [this, i](const RowMatrixF& g) {
        layers_[i].transposed_vectors += static_cast<double>(g.rows());
        return analog_product(
            g, layers_[i].visible, true, spec_.backward,
            kit::Stream(spec_.seed, "in_situ", "backward_noise", step_).substream(i),
            layers_[i].bwd_worst);
      };
    }
    record();
  }

  // One pass over the first per_epoch samples of `order` (shuffled here);
  // returns the epoch's row of the report.
  kit::Json epoch(const Dataset& train, const Dataset& test, std::vector<std::size_t>& order,
                  std::size_t per_epoch, std::size_t epoch) {
    const auto t0 = Clock::now();
    kit::Stream shuffle(spec_.seed, "in_situ", "shuffle", epoch);
    for (std::size_t k = order.size(); k > 1; --k) {
      const auto j = static_cast<std::size_t>(shuffle.uniform() * static_cast<double>(k));
      std::swap(order[k - 1], order[std::min(j, k - 1)]);
    }
    double loss = 0;
    std::size_t right = 0;
    for (std::size_t first = 0; first < per_epoch; first += spec_.batch, ++step_) {
      const std::span<const std::size_t> idx(order.data() + first,
                                             std::min(spec_.batch, per_epoch - first));
      const auto [batch_loss, batch_right] = step(train, idx);
      loss += batch_loss;
      right += batch_right;
    }
    for (const std::size_t i : matrix_) {
      const LayerDevices& d = layers_[i];
      if (!d.visible.allFinite() || (d.bias.size() && !d.bias.allFinite())) {
        throw kit::RuntimeError(
            fmt::format("in-situ training diverged (layer \"{}\" is not finite); lower "
                        "in_situ.learning_rate (now {})",
                        net_.layers[i].name, spec_.learning_rate));
      }
    }
    record();
    const PulseTotals total = totals();
    const auto pulses = [](const PulseTotals& t) { return t.set_pulses + t.reset_pulses; };
    kit::Json e = {
        {"epoch", epoch + 1},
        {"train_loss", loss / static_cast<double>(per_epoch)},
        {"train_accuracy", static_cast<double>(right) / static_cast<double>(per_epoch)},
        {"test_accuracy", evaluate(test, (std::uint64_t{1} << 40) + epoch * (1ull << 24))},
        {"pulses", pulses(total) - pulses(previous_)},
        {"write_energy_pj", total.energy_pj() - previous_.energy_pj()},
        {"write_latency_ns", total.latency_ns - previous_.latency_ns},
        {"seconds", std::chrono::duration<double>(Clock::now() - t0).count()}};
    previous_ = total;
    return e;
  }

  // Per layer: pulses per device and what they cost; the totals; the
  // final weights.
  void finish(InSituResult& out, kit::Json& report) const {
    kit::Json rows = kit::Json::array();
    for (const std::size_t i : matrix_) {
      const LayerDevices& d = layers_[i];
      const PulsedArray& a = *d.slow;
      kit::Json row = {{"name", net_.layers[i].name},
                       {"rows", a.rows()},
                       {"cols", a.cols()},
                       {"devices", a.rows() * a.cols() * (d.fast ? 2 : 1) * (a.pair() ? 2 : 1)},
                       {"pulses_per_device", pulse_stats(a)}};
      if (d.fast) {
        row["fast_pulses_per_device"] = pulse_stats(*d.fast);
        row["fast"] = d.fast->totals().to_json();
      }
      row.update(d.totals().to_json());
      row["reads"] = d.reads();
      rows.push_back(std::move(row));
      out.weights.emplace_back(d.visible.data(), d.visible.data() + d.visible.size());
    }
    kit::Json t = totals().to_json();
    kit::Json reads = {{"train_vectors", 0.0},
                       {"transposed_vectors", 0.0},
                       {"test_vectors", 0.0},
                       {"transfer_reads", 0.0}};
    for (const std::size_t i : matrix_) {
      for (auto& [k, v] : reads.items())
        v = v.get<double>() + layers_[i].reads().at(k).get<double>();
    }
    t["reads"] = std::move(reads);
    report["layers"] = std::move(rows);
    report["totals"] = std::move(t);
    report["trajectories"] = trajectories_;
  }

 private:
  // The trainer's He-normal draw, or uniform on ±init_uniform.
  Weights initial_weights() const {
    Weights init = Weights::init(net_, spec_.seed);
    if (spec_.init_uniform <= 0) return init;
    for (const std::size_t i : matrix_) {
      RowMatrixF& w = init.layers[i].w;
      const kit::Stream s = kit::Stream(spec_.seed, "in_situ", "init").substream(i);
      for (Eigen::Index k = 0; k < w.size(); ++k) {
        w.data()[k] = static_cast<float>(spec_.init_uniform *
                                         (2.0 * s.uniform_at(static_cast<std::uint64_t>(k)) - 1.0));
      }
    }
    return init;
  }

  // The devices drawn and the initial weights written onto them (Tiki-Taka:
  // onto C, A at zero); biases digital.
  void program(const Weights& init) {
    const TikiTakaSpec& tt = spec_.tiki_taka;
    for (std::size_t m = 0; m < matrix_.size(); ++m) {
      const std::size_t i = matrix_[m];
      const Layer& l = net_.layers[i];
      LayerDevices& d = layers_[i];
      d.slow =
          std::make_unique<PulsedArray>(*law_, l.rows(), l.cols(), spec_.pair,
                                        kit::Stream(spec_.seed, "in_situ", "devices").substream(i),
                                        kit::Stream(spec_.seed, "in_situ", "c2c").substream(i));
      d.slow->set_half_select(spec_.half_select);
      d.slow->write(init.layers[i].w);
      if (tt.on) {
        d.fast = std::make_unique<PulsedArray>(
            *law_, l.rows(), l.cols(), spec_.pair,
            kit::Stream(spec_.seed, "in_situ", "fast_devices").substream(i),
            kit::Stream(spec_.seed, "in_situ", "fast_c2c").substream(i));
        d.fast->set_half_select(spec_.half_select);
        d.fast->write(RowMatrixF::Zero(static_cast<Eigen::Index>(l.rows()),
                                       static_cast<Eigen::Index>(l.cols())));
      }
      sync_visible(d);
      d.bias = init.layers[i].b;
      d.lr =
          spec_.layer_learning_rates.empty() ? spec_.learning_rate : spec_.layer_learning_rates[m];
      const double w_abs = d.slow->max_abs_bound();
      d.fwd_worst = static_cast<double>(l.rows()) * w_abs * spec_.forward.inp_bound;
      d.bwd_worst = static_cast<double>(l.cols()) * w_abs * spec_.backward.inp_bound;
    }
  }

  void sync_visible(LayerDevices& d) const {
    d.visible = d.slow->w();
    if (d.fast) d.visible += static_cast<float>(spec_.tiki_taka.gamma) * d.fast->w();
  }

  // The network through the devices; `key` keys the read noise.
  RowMatrixF forward_pass(const RowMatrixF& x, std::uint64_t key, bool keep) {
    const kit::Stream noise(spec_.seed, "in_situ", "forward_noise", key);
    const ProductFn product = [&](std::size_t i, const RowMatrixF& v) {
      (keep ? layers_[i].train_vectors : layers_[i].test_vectors) += static_cast<double>(v.rows());
      return analog_product(v, layers_[i].visible, false, spec_.forward, noise.substream(i),
                            layers_[i].fwd_worst);
    };
    for (std::size_t i = 0; i < net_.layers.size(); ++i) {
      const Layer& l = net_.layers[i];
      acts_[i] = l.kind->forward(l, inputs_of(l, x, acts_), {i, &layers_[i].bias, &product},
                                 keep ? &saved_[i] : nullptr);
    }
    return acts_.back();
  }

  double evaluate(const Dataset& data, std::uint64_t key) {
    std::size_t right = 0;
    for (Eigen::Index first = 0; first < data.x.rows(); first += 256) {
      const Eigen::Index m = std::min<Eigen::Index>(256, data.x.rows() - first);
      const RowMatrixF y = forward_pass(RowMatrixF(data.x.middleRows(first, m)),
                                        key + static_cast<std::uint64_t>(first), false);
      const auto pred = argmax_rows(y);
      for (Eigen::Index b = 0; b < m; ++b) {
        right +=
            pred[static_cast<std::size_t>(b)] == data.labels[static_cast<std::size_t>(first + b)];
      }
    }
    return static_cast<double>(right) / static_cast<double>(data.size());
  }

  // One batch: forward, loss, backward through the transposed reads, and
  // each layer's pulses (and Tiki-Taka's transfer).
  std::pair<double, std::size_t> step(const Dataset& train, std::span<const std::size_t> idx) {
    RowMatrixF x(static_cast<Eigen::Index>(idx.size()), train.x.cols());
    for (std::size_t b = 0; b < idx.size(); ++b) {
      x.row(static_cast<Eigen::Index>(b)) = train.x.row(static_cast<Eigen::Index>(idx[b]));
    }
    RowMatrixF z = forward_pass(x, step_, true);
    const auto result = spec_.loss == Loss::kMse ? squared_error(z, train.labels, idx)
                                                 : softmax_xent(z, train.labels, idx);
    backward_graph(net_, x, acts_, saved_, std::move(z), [&](std::size_t i, bool need_input) {
      const Layer& l = net_.layers[i];
      if (!l.matrix()) return BackwardContext{nullptr, nullptr, nullptr, need_input};
      return BackwardContext{&layers_[i].visible, &grad_w_[i],     l.bias ? &grad_b_[i] : nullptr,
                             need_input,          &transposed_[i], &vgrad_[i]};
    });
    for (const std::size_t i : matrix_) {
      if (vgrad_[i].size() == 0) continue;  // does not reach the loss
      update(i);
    }
    return result;
  }

  void update(std::size_t i) {
    LayerDevices& d = layers_[i];
    const TikiTakaSpec& tt = spec_.tiki_taka;
    const kit::Stream trains = kit::Stream(spec_.seed, "in_situ", "trains", step_).substream(i);
    if (net_.layers[i].bias) d.bias -= static_cast<float>(d.lr) * grad_b_[i];
    if (!d.fast) {
      rule_->apply(*d.slow, saved_[i].vectors, vgrad_[i], grad_w_[i], d.lr, trains);
    } else {
      rule_->apply(*d.fast, saved_[i].vectors, vgrad_[i], grad_w_[i], d.lr * tt.fast_lr, trains);
      if ((step_ + 1) % tt.transfer_every == 0) {
        tiki_taka_transfer(*d.fast, *d.slow, d.next_row, tt.reads_per_transfer, *rule_,
                           spec_.forward, d.lr * tt.transfer_lr, d.fwd_worst,
                           kit::Stream(spec_.seed, "in_situ", "transfer", step_).substream(i));
        d.transfer_reads += static_cast<double>(tt.reads_per_transfer);
      }
    }
    // Once per update, as aihwkit does: decay, and the pairs' refresh.
    for (PulsedArray* a : {d.slow.get(), d.fast.get()}) {
      if (!a) continue;
      a->decay();
      if (a->pair() && spec_.refresh_every > 0 && (step_ + 1) % spec_.refresh_every == 0) {
        refresh_pairs(*a, spec_.refresh_upper, spec_.refresh_lower, *rule_, spec_.forward,
                      d.fwd_worst,
                      kit::Stream(spec_.seed, "in_situ", "refresh", step_)
                          .substream(2 * i + (a == d.fast.get())));
      }
    }
    sync_visible(d);
  }

  // Devices whose states are recorded after each epoch, evenly spaced (of
  // the array the network reads; C under Tiki-Taka).
  void record() {
    for (const std::size_t i : matrix_) {
      const PulsedArray& a = *layers_[i].slow;
      const std::size_t devices = a.rows() * a.cols();
      const std::size_t t = std::min(spec_.trajectories, devices);
      kit::Json& layer = trajectories_[net_.layers[i].name];
      for (std::size_t q = 0; q < t; ++q) {
        const std::size_t k = q * devices / t;
        if (layer.size() <= q) layer.push_back({{"device", k}, {"w", {}}, {"g_us", {}}});
        layer[q]["w"].push_back(a.w().data()[k]);
        layer[q]["g_us"].push_back(a.conductance_us(k));  // w+ of a pair
        if (a.pair()) layer[q]["g_minus_us"].push_back(a.conductance_us(k, 1));
      }
    }
  }

  PulseTotals totals() const {
    PulseTotals t;
    for (const std::size_t i : matrix_) t.add(layers_[i].totals());
    return t;
  }

  const Network& net_;
  const InSituSpec& spec_;
  std::unique_ptr<arrays::UpdateModel> law_;
  std::unique_ptr<PulseRule> rule_;
  std::vector<std::size_t> matrix_;
  std::vector<LayerDevices> layers_;
  // What backward needs from forward, and the gradients, per layer.
  std::vector<RowMatrixF> acts_;
  std::vector<Saved> saved_;
  std::vector<RowMatrixF> grad_w_, vgrad_;
  std::vector<Eigen::RowVectorXf> grad_b_;
  std::vector<std::function<RowMatrixF(const RowMatrixF&)>> transposed_;
  std::uint64_t step_ = 0;
  PulseTotals previous_;
  kit::Json trajectories_ = kit::Json::object();
};

}  // namespace

InSituResult train_in_situ(const Network& net, const Dataset& train, const Dataset& test,
                           const InSituSpec& spec, const kit::Registry& registry,
                           const InSituProgress& progress) {
  spec.check(net, "in_situ");
  const kit::SerialOpenMp serial;
  const auto start = Clock::now();
  Trainer trainer(net, spec, registry);
  const std::size_t n = train.size();
  const std::size_t per_epoch =
      spec.samples_per_epoch == 0 ? n : std::min(spec.samples_per_epoch, n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  kit::Json epochs = kit::Json::array();
  for (std::size_t e = 0; e < spec.epochs; ++e) {
    kit::Json row = trainer.epoch(train, test, order, per_epoch, e);
    if (progress) progress(e + 1, row);
    epochs.push_back(std::move(row));
  }
  InSituResult out;
  out.report = {{"epochs", std::move(epochs)},
                {"samples_per_epoch", per_epoch},
                {"test_samples", test.size()}};
  trainer.finish(out, out.report);
  out.report["totals"]["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  out.report["final_test_accuracy"] = out.report["epochs"].back()["test_accuracy"];
  return out;
}

}  // namespace xbarsim::nn
