#include "core/nn/forward.h"

#include <utility>

namespace xbarsim::nn {

namespace {

// The graph in order; with `keep` false each output is freed once no later
// layer reads it.
std::vector<RowMatrixF> run_layers(const Network& net, const Weights& w, const RowMatrixF& x,
                                   const ProductFn& product, bool keep) {
  const std::size_t n = net.layers.size();
  std::vector<RowMatrixF> outs(n);
  const std::vector<std::size_t> last = net.last_uses();
  std::vector<const RowMatrixF*> in;
  for (std::size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    in.clear();
    for (const auto src : l.inputs) in.push_back(src == kNetworkInput ? &x : &outs[src]);
    const ForwardContext ctx{i, &w.layers[i].b, &product};
    outs[i] = l.kind->forward(l, in, ctx, nullptr);
    for (const auto src : l.inputs) {
      if (!keep && src != kNetworkInput && last[src] == i) outs[src] = RowMatrixF();
    }
  }
  return outs;
}

}  // namespace

RowMatrixF forward(const Network& net, const Weights& w, const RowMatrixF& x,
                   const ProductFn& product) {
  return std::move(run_layers(net, w, x, product, false).back());
}

std::vector<RowMatrixF> forward_all(const Network& net, const Weights& w, const RowMatrixF& x,
                                    const ProductFn& product) {
  return run_layers(net, w, x, product, true);
}

ProductFn float_product(const Network& net, const Weights& w) {
  return [&net, &w](std::size_t layer, const RowMatrixF& v) -> RowMatrixF {
    return grouped_product(net.layers[layer], v, w.layers[layer].w);
  };
}

std::vector<int> argmax_rows(const RowMatrixF& y) {
  std::vector<int> out(static_cast<std::size_t>(y.rows()));
  for (Eigen::Index b = 0; b < y.rows(); ++b) {
    Eigen::Index at = 0;
    y.row(b).maxCoeff(&at);
    out[static_cast<std::size_t>(b)] = static_cast<int>(at);
  }
  return out;
}

}  // namespace xbarsim::nn
