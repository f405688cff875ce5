#include "core/nn/weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <filesystem>

#include "core/kit/error.h"
#include "core/kit/ndarray.h"
#include "core/kit/rng.h"

namespace xbarsim::nn {
namespace {

std::vector<std::size_t> file_shape(const Layer& l) {
  if (l.in_shape().size() != 3) return {l.cols(), l.rows()};  // linear: (out, in)
  return {l.out_channels, l.in_shape()[0] / l.groups, l.window.kernel[0], l.window.kernel[1]};
}

}  // namespace

Weights Weights::init(const Network& net, std::uint64_t seed) {
  Weights w;
  w.layers.resize(net.layers.size());
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    if (!l.matrix()) continue;
    const auto rows = static_cast<Eigen::Index>(l.rows()),
               cols = static_cast<Eigen::Index>(l.cols());
    LayerWeights& lw = w.layers[i];
    lw.w.resize(rows, cols);
    kit::Stream(seed, "train", "init")
        .substream(i)
        .fill_normal(std::span<float>(lw.w.data(), static_cast<std::size_t>(lw.w.size())));
    lw.w *= static_cast<float>(std::sqrt(2.0 / static_cast<double>(rows)));
    if (l.bias) lw.b = Eigen::RowVectorXf::Zero(cols);
  }
  return w;
}

Weights Weights::load(const Network& net, const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) {
    throw kit::InputError(fmt::format(
        "weights directory '{}' does not exist; it holds <layer>.weight.npy and <layer>.bias.npy "
        "per matrix layer (docs/accuracy.md), or leave evaluation.weights empty to train",
        dir));
  }
  Weights w;
  w.layers.resize(net.layers.size());
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    if (!l.matrix()) continue;
    const std::string wpath = dir + "/" + l.name + ".weight.npy";
    if (!std::filesystem::exists(wpath)) {
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string f = e.path().filename().string();
        if (f.ends_with(".weight.npy")) found.push_back(f);
      }
      std::sort(found.begin(), found.end());
      std::vector<std::string> wanted;
      for (const Layer& m : net.layers) {
        if (m.matrix()) wanted.push_back(m.name + ".weight.npy");
      }
      throw kit::InputError(fmt::format(
          "weights directory '{}': no {} for layer \"{}\"; it holds {}; the network's matrix "
          "layers need {}",
          dir, l.name + ".weight.npy", l.name,
          found.empty() ? "no *.weight.npy" : fmt::format("{}", fmt::join(found, ", ")),
          fmt::join(wanted, ", ")));
    }
    const kit::NdArray a = kit::read_npy(wpath, "weights file '" + wpath + "'");
    const auto want = file_shape(l);
    if (a.shape != want) {
      throw kit::InputError(fmt::format("weights file '{}': shape {}, layer \"{}\" needs {}", wpath,
                                        a.shape_text(), l.name, kit::shape_text(want)));
    }
    kit::require_finite(a, "weights file '" + wpath + "'");
    // File rows are output channels, each one flattened in (c, ky, kx) order.
    const std::size_t rows = l.rows(), cols = l.cols();
    LayerWeights& lw = w.layers[i];
    lw.w.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    for (std::size_t o = 0; o < cols; ++o) {
      for (std::size_t r = 0; r < rows; ++r) {
        lw.w(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(o)) =
            static_cast<float>(a.data[o * rows + r]);
      }
    }
    const std::string bpath = dir + "/" + l.name + ".bias.npy";
    if (l.bias) {
      const kit::NdArray b = kit::read_npy(bpath, "bias file '" + bpath + "'");
      if (b.shape != std::vector<std::size_t>{cols}) {
        throw kit::InputError(fmt::format("bias file '{}': shape {}, layer \"{}\" needs ({},)",
                                          bpath, b.shape_text(), l.name, cols));
      }
      kit::require_finite(b, "bias file '" + bpath + "'");
      lw.b.resize(static_cast<Eigen::Index>(cols));
      for (std::size_t o = 0; o < cols; ++o) {
        lw.b(static_cast<Eigen::Index>(o)) = static_cast<float>(b.data[o]);
      }
    } else if (std::filesystem::exists(bpath)) {
      throw kit::InputError(fmt::format(
          "bias file '{}' exists but layer \"{}\" has \"bias\": false; remove one of them", bpath,
          l.name));
    }
  }
  return w;
}

void Weights::save(const Network& net, const std::string& dir) const {
  std::filesystem::create_directories(dir);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    if (!l.matrix()) continue;
    const LayerWeights& lw = layers[i];
    const std::size_t rows = l.rows(), cols = l.cols();
    kit::NdArray a{file_shape(l), std::vector<double>(rows * cols)};
    for (std::size_t o = 0; o < cols; ++o) {
      for (std::size_t r = 0; r < rows; ++r) {
        a.data[o * rows + r] = lw.w(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(o));
      }
    }
    kit::write_npy(dir + "/" + l.name + ".weight.npy", a, true);
    if (l.bias) {
      kit::write_npy(dir + "/" + l.name + ".bias.npy",
                     kit::NdArray{{cols}, std::vector<double>(lw.b.data(), lw.b.data() + cols)},
                     true);
    }
  }
}

}  // namespace xbarsim::nn
