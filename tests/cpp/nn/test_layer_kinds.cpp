// Every trainable layer kind's backward pass against finite differences of
// its own forward pass (the directional derivative of <g, f(x)> along a
// random direction), for the inputs and, for matrix layers, the weights.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/kit/rng.h"
#include "core/nn/network.h"
#include "core/nn/train.h"

using namespace xbarsim;
using kit::Json;
using nn::RowMatrixF;

namespace {

RowMatrixF randn(Eigen::Index r, Eigen::Index c, std::uint64_t seed) {
  RowMatrixF m(r, c);
  kit::Stream(seed, "test", "kinds")
      .fill_normal(std::span<float>(m.data(), static_cast<std::size_t>(m.size())));
  return m;
}

double dot(const RowMatrixF& a, const RowMatrixF& b) {
  return (a.cast<double>().array() * b.cast<double>().array()).sum();
}

// A graph touching every trainable kind and its variants, attention's
// products of two activations and a linear layer over [S, N] tokens too
// (shapes only matter: each layer is checked on random inputs of its own
// input shapes).
Json graph() {
  const Json l = Json::parse(R"([
    {"type": "conv2d", "name": "conv", "out_channels": 6, "kernel_shape": [3, 2],
     "strides": [2, 1], "pads": [1, 0, 1, 1], "dilations": [1, 2], "groups": 2},
    {"type": "relu"}, {"type": "sigmoid"}, {"type": "tanh"}, {"type": "gelu"},
    {"type": "leaky_relu", "alpha": 0.2}, {"type": "clip", "min": -0.6, "max": 0.5},
    {"type": "hard_sigmoid", "alpha": 0.3, "beta": 0.4},
    {"type": "hard_swish", "name": "act"},
    {"type": "maxpool", "kernel": 2, "stride": 1, "padding": 1, "ceil_mode": true},
    {"type": "avgpool", "input": "act", "kernel_shape": [2, 3], "strides": [2, 2],
     "pads": [0, 1, 1, 0], "ceil_mode": true, "count_include_pad": false},
    {"type": "global_avgpool", "name": "gap", "input": "act"},
    {"type": "mul", "name": "gate", "inputs": ["act", "gap"]},
    {"type": "add", "name": "res", "inputs": ["gate", "act"]},
    {"type": "concat", "name": "cat", "inputs": ["res", "act"]},
    {"type": "affine", "scale": [1, -2, 3, 0.5, 1, 1, 2, 2, 1, -1, 1, 1], "shift": [0.5]},
    {"type": "pad", "name": "pad", "pads": [1, 0, 0, 2]},
    {"type": "batchnorm", "input": "conv"},
    {"type": "avgpool", "input": "pad", "kernel": 3, "padding": 1, "stride": 2},
    {"type": "flatten"},
    {"type": "linear", "out_features": 12},
    {"type": "reshape", "name": "tok", "shape": [3, 4]},
    {"type": "linear", "name": "q", "out_features": 4},
    {"type": "transpose", "name": "kt", "input": "tok", "perm": [1, 0]},
    {"type": "matmul", "name": "scores", "inputs": ["q", "kt"]},
    {"type": "matmul", "inputs": ["scores", "tok"]},
    {"type": "flatten"},
    {"type": "linear", "out_features": 5}
  ])");
  return {{"input", {4, 6, 5}}, {"layers", l}};
}

}  // namespace

TEST_CASE("each layer kind's backward pass is the derivative of its forward pass", "[nn][layers]") {
  const nn::Network net = nn::Network::parse(graph(), "network");
  const double eps = 1e-3;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const nn::Layer& l = net.layers[i];
    INFO("layer " << l.name << " (" << l.type << ")");
    REQUIRE(l.kind->trainable());
    const std::uint64_t seed = 10 * i;
    std::vector<RowMatrixF> x, v;
    for (std::size_t k = 0; k < l.inputs.size(); ++k) {
      const auto n = static_cast<Eigen::Index>(nn::elements(l.in_shapes[k]));
      x.push_back(randn(3, n, seed + k));
      v.push_back(randn(3, n, seed + 5 + k));
    }
    // A finite difference across a kink is no derivative: inputs within 0.01
    // of one (|eps·v| < 0.005 here) move off it.
    std::vector<double> kinks;
    if (l.type == "relu" || l.type == "leaky_relu") kinks = {0.0};
    if (l.type == "clip") kinks = {l.alpha, l.beta};
    if (l.type == "hard_sigmoid") kinks = {-l.beta / l.alpha, (1 - l.beta) / l.alpha};
    if (l.type == "hard_swish") kinks = {-3.0, 3.0};
    for (float& ef : std::span<float>(x[0].data(), static_cast<std::size_t>(x[0].size()))) {
      const auto e = static_cast<double>(ef);
      for (const double k : kinks) {
        if (std::abs(e - k) < 0.01) ef = static_cast<float>(k + (e < k ? -0.01 : 0.01));
      }
    }
    RowMatrixF w = l.matrix() ? randn(static_cast<Eigen::Index>(l.rows()),
                                      static_cast<Eigen::Index>(l.cols()), seed + 8)
                              : RowMatrixF();
    const RowMatrixF vw = l.matrix() ? randn(w.rows(), w.cols(), seed + 9) : RowMatrixF();
    const Eigen::RowVectorXf bias =
        l.bias ? Eigen::RowVectorXf(randn(1, w.cols(), seed + 7).row(0)) : Eigen::RowVectorXf();
    // <g, f(x + t·v, W + t·vw)>
    const RowMatrixF g = randn(3, static_cast<Eigen::Index>(l.out_elements()), seed + 3);
    auto loss = [&](double t) {
      std::vector<RowMatrixF> xs;
      for (std::size_t k = 0; k < x.size(); ++k) xs.push_back(x[k] + static_cast<float>(t) * v[k]);
      const RowMatrixF wt = l.matrix() ? RowMatrixF(w + static_cast<float>(t) * vw) : w;
      const nn::ProductFn product = [&](std::size_t, const RowMatrixF& vec) {
        return nn::grouped_product(l, vec, wt);
      };
      std::vector<const RowMatrixF*> in;
      for (const auto& m : xs) in.push_back(&m);
      return dot(g, l.kind->forward(l, in, {i, &bias, &product}, nullptr));
    };
    const double numeric = (loss(eps) - loss(-eps)) / (2 * eps);

    nn::Saved saved;
    const nn::ProductFn product = [&](std::size_t, const RowMatrixF& vec) {
      return nn::grouped_product(l, vec, w);
    };
    std::vector<const RowMatrixF*> in;
    for (const auto& m : x) in.push_back(&m);
    l.kind->forward(l, in, {i, &bias, &product}, &saved);
    RowMatrixF gw;
    Eigen::RowVectorXf gb;
    const nn::BackwardContext ctx{&w, &gw, l.bias ? &gb : nullptr, true};
    const std::vector<RowMatrixF> gx = l.kind->backward(l, in, g, saved, ctx);
    REQUIRE(gx.size() == x.size());
    double analytic = 0;
    for (std::size_t k = 0; k < x.size(); ++k) analytic += dot(gx[k], v[k]);
    if (l.matrix()) {
      analytic += dot(gw, vw);
      CHECK(gb.size() == (l.bias ? w.cols() : 0));
      if (l.bias) CHECK(gb.sum() == Approx(g.sum()).epsilon(1e-4));  // d<g, y>/db
    }
    CHECK(analytic == Approx(numeric).epsilon(2e-3).margin(1e-3 * (1 + std::abs(numeric))));
  }
}

TEST_CASE("the trainer trains a residual graph with concat and a gate", "[nn][layers]") {
  // A residual block, a squeeze-excite gate and a concat on 6x6 inputs whose
  // class is the quadrant of the brightest pixel: the loss falls and the
  // training accuracy beats chance.
  const Json net_json = Json::parse(R"({"input": [1, 6, 6], "layers": [
    {"type": "conv2d", "name": "stem", "out_channels": 4, "kernel": 3, "padding": 1},
    {"type": "relu", "name": "a"},
    {"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1},
    {"type": "add", "inputs": ["a", "conv2d_2"], "name": "res"},
    {"type": "global_avgpool", "name": "gap"},
    {"type": "sigmoid", "name": "s"},
    {"type": "mul", "inputs": ["res", "s"], "name": "gated"},
    {"type": "concat", "inputs": ["gated", "a"]},
    {"type": "maxpool", "kernel": 2},
    {"type": "flatten"},
    {"type": "linear", "out_features": 4}]})");
  const nn::Network net = nn::Network::parse(net_json, "network");
  nn::Dataset data;
  const std::size_t n = 400;
  data.x = randn(static_cast<Eigen::Index>(n), 36, 77).cwiseAbs();
  for (std::size_t s = 0; s < n; ++s) {
    Eigen::Index at = 0;
    data.x.row(static_cast<Eigen::Index>(s)).maxCoeff(&at);
    data.labels.push_back(static_cast<int>((at / 6 >= 3 ? 2 : 0) + (at % 6 >= 3 ? 1 : 0)));
  }
  nn::TrainSpec spec;
  spec.epochs = 8;
  spec.shift_px = 0;
  spec.cache = "";
  nn::TrainLog log;
  nn::train(net, data, spec, log);
  CHECK(log.loss.back() < 0.8 * log.loss.front());
  CHECK(log.accuracy.back() > 0.5);
}
