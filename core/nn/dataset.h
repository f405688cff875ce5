#pragma once
// A labelled image set from IDX files (the MNIST format; point the config at
// full MNIST or Fashion-MNIST the same way), as the network's input rows.
//
// Contract: load() checks that the files exist (a missing file is an
// InputError saying how to get the digits), that images and labels agree in
// count, that each image has the network input's element count and that
// every label is a class the network outputs; pixels are prepared as
// Pixels says (scaled, cropped, binarised) before the element count is
// checked.
#include <cstddef>
#include <string>
#include <vector>

#include "peripherals/dac.h"

namespace xbarsim::nn {

// How stored pixels become the network's inputs: multiplied by `scale`
// (1/255 maps bytes to [0, 1]), crop_px removed from every edge of each
// [H, W] image, then 1 where >= binarize_at and 0 elsewhere (0 = keep the
// values). MLP_NeuroSim's digits are MNIST cropped to 20 x 20 and binarised
// at 0.5.
struct Pixels {
  double scale = 1.0 / 255.0;
  std::size_t crop_px = 0;
  double binarize_at = 0.0;
};

struct Dataset {
  peripherals::RowMatrixF x;  // samples x elements (C order)
  std::vector<int> labels;

  // limit 0 = every sample, else the first `limit`. `key` names the files in
  // errors as config paths (e.g. "evaluation.dataset.test").
  static Dataset load(const std::string& images, const std::string& labels, const Pixels& pixels,
                      std::size_t elements, std::size_t classes, std::size_t limit,
                      const std::string& key);
  std::size_t size() const { return labels.size(); }
  // Fraction of rows of y (samples x classes) whose largest entry is the label.
  double accuracy(const peripherals::RowMatrixF& y) const;
};

}  // namespace xbarsim::nn
