#include "core/nn/train.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <numeric>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/kit/io.h"
#include "core/kit/parallel.h"
#include "core/kit/rng.h"

namespace xbarsim::nn {

std::vector<kit::ParamInfo> TrainSpec::params() {
  using namespace kit;
  return {
      int_param("epochs", 15, 1, 1000, "passes over the training set"),
      int_param("batch", 32, 1, 4096, "samples per SGD step"),
      positive_param("learning_rate", 0.05, "", "initial step size (cosine decay to 0)"),
      number_param("momentum", 0.9, "", "SGD momentum", 0.0, 0.999),
      number_param("weight_decay", 1e-4, "", "L2 penalty on the weights", 0.0, 1.0),
      int_param("shift_px", 2, 0, 16,
                "augmentation: images ([C, H, W] inputs) moved by up to this many pixels"),
      number_param("weight_noise", 0.0, "",
                   "noise-aware training: Gaussian weight noise σ / max|W| per layer, redrawn "
                   "every step (0 = off)",
                   0.0, 1.0),
      number_param(
          "clip_sigma", 2.5, "",
          "clip each layer's weights to ± this many standard deviations after every "
          "step (0 = off): outliers would set the mapping scale and so the relative device error",
          0.0, 100.0),
      int_param("seed", 1, 0, std::numeric_limits<std::int32_t>::max(),
                "initialisation, shuffling and weight-noise streams"),
      string_param("cache", "data/weights",
                   "directory of trained weights, reused when network, training settings and "
                   "data match (\"\" = always train)"),
  };
}

TrainSpec TrainSpec::from_json(const kit::Json& r) {
  TrainSpec s;
  s.epochs = r.at("epochs").get<std::size_t>();
  s.batch = r.at("batch").get<std::size_t>();
  s.learning_rate = r.at("learning_rate").get<double>();
  s.momentum = r.at("momentum").get<double>();
  s.weight_decay = r.at("weight_decay").get<double>();
  s.shift_px = r.at("shift_px").get<std::size_t>();
  s.weight_noise = r.at("weight_noise").get<double>();
  s.clip_sigma = r.at("clip_sigma").get<double>();
  s.seed = r.at("seed").get<std::uint64_t>();
  s.cache = r.at("cache").get<std::string>();
  return s;
}

kit::Json TrainLog::to_json() const {
  return {{"loss", loss}, {"accuracy", accuracy}, {"seconds", seconds}};
}

void check_trainable(const Network& net, const std::string& path) {
  for (const Layer& l : net.layers) {
    if (!l.kind->trainable()) {
      throw kit::ConfigError(
          path, fmt::format("the built-in trainer cannot train layer \"{}\" ({}); train "
                            "elsewhere and set evaluation.weights to a directory of .npy files "
                            "(docs/accuracy.md), or give an ONNX model with its weights",
                            l.name, l.type));
    }
  }
  if (!net.layers.back().matrix() || net.layers.back().out_shape.size() != 1) {
    throw kit::ConfigError(path, "the built-in trainer needs a linear last layer (the logits)");
  }
}

namespace {

// Data augmentation: each image moved by a random whole-pixel offset in
// [-max_px, max_px] on both axes, zeros shifted in.
void shift_images(RowMatrixF& x, const std::vector<std::size_t>& shape, std::size_t max_px,
                  const kit::Stream& stream) {
  const auto c = static_cast<std::ptrdiff_t>(shape[0]), h = static_cast<std::ptrdiff_t>(shape[1]),
             w = static_cast<std::ptrdiff_t>(shape[2]);
  const auto span = static_cast<double>(2 * max_px + 1);
  std::vector<float> img(static_cast<std::size_t>(c * h * w));
  for (Eigen::Index b = 0; b < x.rows(); ++b) {
    const auto u = static_cast<std::uint64_t>(2 * b);
    const auto dy = static_cast<std::ptrdiff_t>(stream.uniform_at(u) * span) -
                    static_cast<std::ptrdiff_t>(max_px);
    const auto dx = static_cast<std::ptrdiff_t>(stream.uniform_at(u + 1) * span) -
                    static_cast<std::ptrdiff_t>(max_px);
    float* row = x.data() + b * x.cols();
    std::copy(row, row + img.size(), img.begin());
    for (std::ptrdiff_t ch = 0; ch < c; ++ch) {
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        for (std::ptrdiff_t xx = 0; xx < w; ++xx) {
          const std::ptrdiff_t sy = y - dy, sx = xx - dx;
          row[(ch * h + y) * w + xx] = sy >= 0 && sy < h && sx >= 0 && sx < w
                                           ? img[static_cast<std::size_t>((ch * h + sy) * w + sx)]
                                           : 0.0f;
        }
      }
    }
  }
}

// Noise-aware training: Gaussian noise of σ = weight_noise · max |W| on the
// weights used forward, a fresh draw per step and layer.
void add_weight_noise(RowMatrixF& w, const TrainSpec& spec, std::uint64_t step, std::size_t layer) {
  RowMatrixF noise(w.rows(), w.cols());
  kit::Stream(spec.seed, "train", "weight_noise", step)
      .substream(layer)
      .fill_normal(std::span<float>(noise.data(), static_cast<std::size_t>(noise.size())));
  const double max_abs = static_cast<double>(w.cwiseAbs().maxCoeff());
  w += noise * static_cast<float>(spec.weight_noise * max_abs);
}

// Back through the graph: used_w are the weights as used forward, grad
// receives the weight gradients.
void backward(const Network& net, const RowMatrixF& x, const std::vector<RowMatrixF>& acts,
              const std::vector<Saved>& saved, const std::vector<RowMatrixF>& used_w,
              std::vector<LayerWeights>& grad, RowMatrixF dlogits) {
  backward_graph(net, x, acts, saved, std::move(dlogits), [&](std::size_t i, bool need_input) {
    const Layer& l = net.layers[i];
    return BackwardContext{&used_w[i], &grad[i].w, l.bias ? &grad[i].b : nullptr, need_input};
  });
}

// One SGD step with momentum and weight decay at learning rate lr, then
// each layer's weights clipped at clip_sigma standard deviations.
void sgd_update(const Network& net, const TrainSpec& spec, double learning_rate,
                const std::vector<LayerWeights>& grad, std::vector<LayerWeights>& velocity,
                Weights& w) {
  const auto lr = static_cast<float>(learning_rate);
  const auto mu = static_cast<float>(spec.momentum), wd = static_cast<float>(spec.weight_decay);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    if (!net.layers[i].matrix()) continue;
    velocity[i].w = mu * velocity[i].w + grad[i].w + wd * w.layers[i].w;
    w.layers[i].w -= lr * velocity[i].w;
    if (net.layers[i].bias) {
      velocity[i].b = mu * velocity[i].b + grad[i].b;
      w.layers[i].b -= lr * velocity[i].b;
    }
    if (spec.clip_sigma > 0) {
      // Outliers would set the layer's mapping scale (max |W|) and so
      // the size of every device error relative to the typical weight.
      RowMatrixF& lw = w.layers[i].w;
      const float mean = lw.mean();
      const float sd = std::sqrt((lw.array() - mean).square().mean());
      const float c = static_cast<float>(spec.clip_sigma) * sd;
      lw = lw.cwiseMax(-c).cwiseMin(c);
    }
  }
}

}  // namespace

// Softmax cross-entropy: returns the summed loss and the number right, and
// turns logits into d(mean loss)/d(logits).
std::pair<double, std::size_t> softmax_xent(RowMatrixF& z, const std::vector<int>& labels,
                                            std::span<const std::size_t> idx) {
  double loss = 0;
  std::size_t right = 0;
  const auto batch = static_cast<float>(z.rows());
  for (Eigen::Index b = 0; b < z.rows(); ++b) {
    const int y = labels[idx[static_cast<std::size_t>(b)]];
    Eigen::Index best = 0;
    const float m = z.row(b).maxCoeff(&best);
    right += best == y;
    z.row(b).array() = (z.row(b).array() - m).exp();
    const float sum = z.row(b).sum();
    loss -= std::log(static_cast<double>(z(b, y) / sum));
    z.row(b) /= sum * batch;
    z(b, y) -= 1.0f / batch;
  }
  return {loss, right};
}

// The inputs of layer l: x for the network's, else earlier outputs.
std::vector<const RowMatrixF*> inputs_of(const Layer& l, const RowMatrixF& x,
                                         const std::vector<RowMatrixF>& acts) {
  std::vector<const RowMatrixF*> in;
  for (const auto src : l.inputs) in.push_back(src == kNetworkInput ? &x : &acts[src]);
  return in;
}

void backward_graph(const Network& net, const RowMatrixF& x, const std::vector<RowMatrixF>& acts,
                    const std::vector<Saved>& saved, RowMatrixF dlogits,
                    const std::function<BackwardContext(std::size_t, bool)>& context) {
  const std::size_t n = net.layers.size();
  // Layers with a matrix layer at or before them: only their outputs'
  // gradients are used (the input gradient of a first conv is not read).
  std::vector<bool> trains(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    trains[i] = net.layers[i].matrix();
    for (const auto src : net.layers[i].inputs) {
      trains[i] = trains[i] || (src != kNetworkInput && trains[src]);
    }
  }
  std::vector<RowMatrixF> g(n);
  g[n - 1] = std::move(dlogits);
  for (std::size_t i = n; i-- > 0;) {
    const Layer& l = net.layers[i];
    bool need_input = false;
    for (const auto src : l.inputs)
      need_input = need_input || (src != kNetworkInput && trains[src]);
    BackwardContext ctx = context(i, need_input);
    if (g[i].size() == 0) {  // does not reach the loss
      if (l.matrix()) {
        *ctx.grad_w = RowMatrixF::Zero(static_cast<Eigen::Index>(l.rows()),
                                       static_cast<Eigen::Index>(l.cols()));
        if (ctx.grad_b != nullptr) {
          *ctx.grad_b = Eigen::RowVectorXf::Zero(static_cast<Eigen::Index>(l.cols()));
        }
        if (ctx.vector_grads != nullptr) *ctx.vector_grads = RowMatrixF();
      }
      continue;
    }
    std::vector<RowMatrixF> gin = l.kind->backward(l, inputs_of(l, x, acts), g[i], saved[i], ctx);
    g[i] = RowMatrixF();
    for (std::size_t k = 0; k < l.inputs.size(); ++k) {
      const auto src = l.inputs[k];
      if (src == kNetworkInput || !trains[src]) continue;
      if (g[src].size() == 0) {
        g[src] = std::move(gin[k]);
      } else {
        g[src] += gin[k];
      }
    }
  }
}

Weights train(const Network& net, const Dataset& data, const TrainSpec& spec, TrainLog& log,
              const TrainProgress& progress) {
  check_trainable(net, "network");
  const kit::SerialOpenMp serial;
  const auto start = std::chrono::steady_clock::now();
  const std::size_t n_layers = net.layers.size(), n = data.size();
  Weights w = Weights::init(net, spec.seed);
  std::vector<LayerWeights> velocity(n_layers), grad(n_layers);
  for (std::size_t i = 0; i < n_layers; ++i) {
    if (!net.layers[i].matrix()) continue;
    velocity[i].w = RowMatrixF::Zero(w.layers[i].w.rows(), w.layers[i].w.cols());
    velocity[i].b = Eigen::RowVectorXf::Zero(w.layers[i].b.size());
  }
  // What backward needs from forward, per layer.
  std::vector<RowMatrixF> acts(n_layers), used_w(n_layers);
  std::vector<Saved> saved(n_layers);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const std::size_t steps_per_epoch = (n + spec.batch - 1) / spec.batch;
  const double total_steps = static_cast<double>(spec.epochs * steps_per_epoch);
  std::uint64_t step = 0;

  for (std::size_t epoch = 0; epoch < spec.epochs; ++epoch) {
    kit::Stream shuffle(spec.seed, "train", "shuffle", epoch);
    for (std::size_t k = n; k > 1; --k) {
      const auto j = static_cast<std::size_t>(shuffle.uniform() * static_cast<double>(k));
      std::swap(order[k - 1], order[std::min(j, k - 1)]);
    }
    double loss = 0;
    std::size_t right = 0;
    for (std::size_t first = 0; first < n; first += spec.batch, ++step) {
      const std::span<const std::size_t> idx(order.data() + first, std::min(spec.batch, n - first));
      RowMatrixF x(static_cast<Eigen::Index>(idx.size()), data.x.cols());
      for (std::size_t b = 0; b < idx.size(); ++b) {
        x.row(static_cast<Eigen::Index>(b)) = data.x.row(static_cast<Eigen::Index>(idx[b]));
      }
      if (spec.shift_px > 0 && net.input.size() == 3) {
        shift_images(x, net.input, spec.shift_px, kit::Stream(spec.seed, "train", "shift", step));
      }
      // Forward, keeping what backward needs.
      for (std::size_t i = 0; i < n_layers; ++i) {
        const Layer& l = net.layers[i];
        if (l.matrix()) {
          used_w[i] = w.layers[i].w;
          if (spec.weight_noise > 0) add_weight_noise(used_w[i], spec, step, i);
        }
        const ProductFn product = [&](std::size_t, const RowMatrixF& v) {
          return grouped_product(l, v, used_w[i]);
        };
        acts[i] =
            l.kind->forward(l, inputs_of(l, x, acts), {i, &w.layers[i].b, &product}, &saved[i]);
      }
      RowMatrixF z = acts.back();
      const auto [batch_loss, batch_right] = softmax_xent(z, data.labels, idx);
      loss += batch_loss;
      right += batch_right;
      backward(net, x, acts, saved, used_w, grad, std::move(z));
      // SGD with momentum, cosine learning-rate decay.
      sgd_update(net, spec,
                 spec.learning_rate * 0.5 *
                     (1.0 + std::cos(std::numbers::pi * static_cast<double>(step) / total_steps)),
                 grad, velocity, w);
    }
    log.loss.push_back(loss / static_cast<double>(n));
    log.accuracy.push_back(static_cast<double>(right) / static_cast<double>(n));
    if (progress) progress(epoch + 1, log.loss.back(), log.accuracy.back());
  }
  for (std::size_t i = 0; i < n_layers; ++i) {
    if (net.layers[i].matrix() && !w.layers[i].w.allFinite()) {
      throw kit::RuntimeError(
          fmt::format("training diverged (layer \"{}\" has non-finite weights); lower "
                      "evaluation.train.learning_rate (now {})",
                      net.layers[i].name, spec.learning_rate));
    }
  }
  log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return w;
}

std::string training_data_key(const std::string& images, const std::string& labels) {
  return fmt::format("{:016x}", kit::hash_name(kit::read_file(images, "training images") +
                                               kit::read_file(labels, "training labels")));
}

Weights cached_training(const Network& net, const Dataset& data, const std::string& data_key,
                        const TrainSpec& spec, kit::Json& info, const TrainProgress& progress) {
  kit::Json key = {{"network", net.resolved},
                   {"epochs", spec.epochs},
                   {"batch", spec.batch},
                   {"learning_rate", spec.learning_rate},
                   {"momentum", spec.momentum},
                   {"weight_decay", spec.weight_decay},
                   {"shift_px", spec.shift_px},
                   {"weight_noise", spec.weight_noise},
                   {"clip_sigma", spec.clip_sigma},
                   {"seed", spec.seed},
                   {"samples", data.size()},
                   {"data", data_key},
                   {"trainer", 2}};  // bump when the trainer's arithmetic changes
  const std::string dir = spec.cache.empty() ? std::string()
                                             : fmt::format("{}/{}-{:016x}", spec.cache, net.name,
                                                           kit::hash_name(key.dump()));
  const std::string meta = dir + "/train.json";
  if (!dir.empty() && std::filesystem::exists(meta)) {
    info = kit::parse_json(kit::read_file(meta, "training record '" + meta + "'"), meta);
    info["cached"] = true;
    info["dir"] = dir;
    return Weights::load(net, dir);
  }
  TrainLog log;
  Weights w = train(net, data, spec, log, progress);
  info = {{"key", key}, {"log", log.to_json()}, {"cached", false}};
  if (!dir.empty()) {
    w.save(net, dir);
    kit::write_file_atomic(meta, info.dump(2) + "\n");  // last: marks the directory complete
    info["dir"] = dir;
  }
  return w;
}

}  // namespace xbarsim::nn
