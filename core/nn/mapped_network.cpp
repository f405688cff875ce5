#include "core/nn/mapped_network.h"

#include <algorithm>

#include "core/kit/rng.h"
#include "core/nn/layer_blocks.h"

namespace xbarsim::nn {

MappedNetwork::MappedNetwork(const Network& net, const Weights& weights,
                             const LayerHardware& hardware, const kit::Registry& registry,
                             std::uint64_t trial)
    : net_(net),
      weights_(weights),
      blocks_(net.layers.size()),
      digital_(net.layers.size(), false),
      float_(float_product(net, weights)),
      layer_actions_(net.layers.size()) {
  const kit::Stream seeds(hardware.base().seed, "network", "tile_seed", trial);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    if (!l.matrix()) continue;
    if (hardware.digital(i)) {
      digital_[i] = true;
      continue;
    }
    const tile::TileSpec& spec = hardware.spec(i);
    const BlockPlan plan = block_plan(l, spec.array.rows, spec.weight_cols());
    std::uint64_t index = 0;
    for (std::size_t g = 0; g < plan.groups; ++g) {
      for (const Span& rs : plan.rows) {
        for (const Span& cs : plan.cols) {
          add_block(i, index++, g * l.rows() + rs.first, rs.count, g * l.group_cols() + cs.first,
                    cs.count, rs.first, spec, registry, seeds);
        }
      }
    }
  }
}

MappedNetwork::MappedNetwork(const Network& net, const Weights& weights, const tile::TileSpec& spec,
                             const kit::Registry& registry, std::uint64_t trial)
    : MappedNetwork(net, weights, LayerHardware(spec, net.layers.size()), registry, trial) {}

void MappedNetwork::add_block(std::size_t layer, std::uint64_t index, std::size_t v0,
                              std::size_t rows, std::size_t c0, std::size_t cols, std::size_t r0,
                              const tile::TileSpec& spec, const kit::Registry& registry,
                              const kit::Stream& seeds) {
  const RowMatrixF& w = weights_.layers[layer].w;
  Block b{v0, rows, c0, cols, {}};
  tile::TileSpec ts = spec;
  const kit::PhiloxCounter c = seeds.substream(layer).block(index);
  ts.seed = (static_cast<std::uint64_t>(c[0]) << 32) | c[1];
  b.tile = std::make_unique<tile::Tile>(std::move(ts), registry);
  kit::NdArray block{{rows, cols}, std::vector<double>(rows * cols)};
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t cc = 0; cc < cols; ++cc) {
      block.data[r * cols + cc] =
          w(static_cast<Eigen::Index>(r0 + r), static_cast<Eigen::Index>(c0 + cc));
    }
  }
  b.tile->program(block);
  blocks_[layer].push_back(std::move(b));
}

RowMatrixF MappedNetwork::product(std::size_t layer, const RowMatrixF& v, double t_s,
                                  bool compensate, bool calibrating) {
  if (digital_[layer]) return float_(layer, v);
  RowMatrixF y = RowMatrixF::Zero(v.rows(), static_cast<Eigen::Index>(net_.layers[layer].cols()));
  for (auto& b : blocks_[layer]) {
    const RowMatrixF part = b.rows == static_cast<std::size_t>(v.cols())
                                ? v
                                : RowMatrixF(v.middleCols(static_cast<Eigen::Index>(b.v0),
                                                          static_cast<Eigen::Index>(b.rows)));
    if (calibrating) b.tile->calibrate(part, t_s);
    y.middleCols(static_cast<Eigen::Index>(b.col0), static_cast<Eigen::Index>(b.cols)) +=
        b.tile->vmm(part, t_s, compensate);
    if (!calibrating) add_actions(layer, b.tile->last_actions());
  }
  return y;
}

void MappedNetwork::add_actions(std::size_t layer, const tile::Actions& a) {
  actions_.add(a);
  layer_actions_[layer].add(a);
}

void MappedNetwork::reset_actions() {
  actions_ = {};
  for (auto& a : layer_actions_) a = {};
}

namespace {

// The rows of v (its columns [v0, v0 + rows)) with a nonzero entry there.
std::vector<Eigen::Index> driving_rows(const RowMatrixF& v, std::size_t v0, std::size_t rows) {
  std::vector<Eigen::Index> at;
  for (Eigen::Index r = 0; r < v.rows(); ++r) {
    const float* p = v.row(r).data() + v0;
    if (std::any_of(p, p + rows, [](float e) { return e != 0.0f; })) at.push_back(r);
  }
  return at;
}

RowMatrixF gather(const RowMatrixF& v, const std::vector<Eigen::Index>& at, std::size_t v0,
                  std::size_t rows) {
  RowMatrixF out(static_cast<Eigen::Index>(at.size()), static_cast<Eigen::Index>(rows));
  for (std::size_t k = 0; k < at.size(); ++k) {
    out.row(static_cast<Eigen::Index>(k)) =
        v.row(at[k]).segment(static_cast<Eigen::Index>(v0), static_cast<Eigen::Index>(rows));
  }
  return out;
}

}  // namespace

RowMatrixF MappedNetwork::read_events(std::size_t layer, const RowMatrixF& v, double t_s,
                                      bool compensate) {
  if (digital_[layer]) return float_(layer, v);
  RowMatrixF y = RowMatrixF::Zero(v.rows(), static_cast<Eigen::Index>(net_.layers[layer].cols()));
  for (auto& b : blocks_[layer]) {
    const std::vector<Eigen::Index> at = driving_rows(v, b.v0, b.rows);
    if (at.empty()) continue;
    const RowMatrixF part = b.tile->vmm(gather(v, at, b.v0, b.rows), t_s, compensate);
    for (std::size_t k = 0; k < at.size(); ++k) {
      y.row(at[k]).segment(static_cast<Eigen::Index>(b.col0), static_cast<Eigen::Index>(b.cols)) +=
          part.row(static_cast<Eigen::Index>(k));
    }
    add_actions(layer, b.tile->last_actions());
  }
  return y;
}

void MappedNetwork::calibrate_events(std::size_t layer, const RowMatrixF& v) {
  if (digital_[layer]) return;
  for (auto& b : blocks_[layer]) {
    const std::vector<Eigen::Index> at = driving_rows(v, b.v0, b.rows);
    if (!at.empty()) b.tile->calibrate(gather(v, at, b.v0, b.rows), 0.0);
  }
}

MappedNetwork::Programming MappedNetwork::programming() const {
  Programming p;
  for (const auto& layer : blocks_) {
    for (const Block& b : layer) {
      for (const auto& r : b.tile->array_program_reports()) {
        p.total.add(r);
        p.slowest_crossbar_ns = std::max(p.slowest_crossbar_ns, r.time_ns);
        ++p.crossbars;
      }
      p.total.clipped_weights += b.tile->program_report().clipped_weights;
    }
  }
  return p;
}

kit::Json MappedNetwork::Programming::to_json() const {
  kit::Json j = total.to_json();
  j.erase("write_time_ns");
  j["crossbars"] = crossbars;
  j["write_time_ns"] = {{"one_crossbar_at_a_time", total.time_ns},
                        {"all_crossbars_at_once", slowest_crossbar_ns}};
  j["note"] =
      "write-verify of every tile of the network: each crossbar's rows one after "
      "another, a row's cells in parallel; energy sum V^2*G*t over the pulses";
  return j;
}

RowMatrixF MappedNetwork::calibrate(const RowMatrixF& x) {
  return forward(net_, weights_, x, [this](std::size_t layer, const RowMatrixF& v) {
    return product(layer, v, 0.0, true, true);
  });
}

RowMatrixF MappedNetwork::run(const RowMatrixF& x, double t_s, bool compensate) {
  return forward(net_, weights_, x, [&](std::size_t layer, const RowMatrixF& v) {
    return product(layer, v, t_s, compensate, false);
  });
}

}  // namespace xbarsim::nn
