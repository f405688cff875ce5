#pragma once
// The accuracy half of a network run (`xbarsim run` with an "evaluation"
// node): real data through the network on the configured tiles.
//
//   float       the trained (or loaded) weights in float32
//   quantized   the same tiles with ideal devices, no read noise and no line
//               resistance: only weight, DAC and ADC quantization remain
//   nonideal    every configured effect, per drift time, Monte Carlo over
//               device draws (mean, std and every trial), with and without
//               drift compensation
//   energy      the data-dependent tile energy the run measured per
//               inference, beside the static estimate's
//
// Weights come from evaluation.weights (a directory of .npy files, see
// core/nn/weights.h) or the built-in trainer (cached). The DAC and ADC
// ranges are calibrated on training samples, never on the test set.
//
// Contract: AccuracySpec::parse validates the whole node (unknown keys,
// ranges) before work; run_accuracy is deterministic for a seed whatever the
// thread count (trials run side by side, each on its own streams).
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/registry.h"
#include "core/nn/dataset.h"
#include "core/nn/layer_hardware.h"
#include "core/nn/mapped_network.h"
#include "core/nn/network.h"
#include "core/nn/train.h"
#include "core/nn/weights.h"
#include "core/tile/actions.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::jobs {

struct AccuracySpec {
  std::string train_images, train_labels, test_images, test_labels;
  nn::Pixels pixels;
  std::size_t test_samples = 0, calibration_samples = 256, batch = 50, trials = 3;
  std::string weights;  // directory of .npy weights ("" = train)
  nn::TrainSpec train;
  std::vector<double> times_s;
  kit::Json snn;  // the "snn" node as given (null: no SNN evaluation; jobs/snn.h parses it)
  kit::Json resolved;

  static std::vector<kit::ParamInfo> params();
  static std::vector<kit::ParamInfo> dataset_params();
  // A named dataset ("mnist", "fashion-mnist") as its IDX paths.
  static kit::Json named_dataset(const std::string& name, const std::string& path);
  static AccuracySpec parse(const kit::Json& node, const std::string& path);
};

// Everything run_accuracy will read, checked before any work (config check
// and run call it): both datasets (present, IDX, shapes against the network's
// input and classes, finite pixels), the weight files when given (present,
// named after the layers, shapes, finite), and that no matrix layer can get
// negative inputs through a DAC with signed_drive "none" (each layer's own).
void check_accuracy_inputs(const nn::LayerHardware& tiles, const nn::Network& net,
                           const AccuracySpec& spec);

// ppa: the static estimate's report, for the energy comparison (may be null).
// progress: one line per stage on stderr when true.
// Outputs of fn over the samples of x, `batch` at a time, in order.
template <typename Fn>
peripherals::RowMatrixF in_batches(const peripherals::RowMatrixF& x, std::size_t batch,
                                   std::size_t classes, Fn&& fn) {
  peripherals::RowMatrixF y(x.rows(), static_cast<Eigen::Index>(classes));
  for (Eigen::Index first = 0; first < x.rows(); first += static_cast<Eigen::Index>(batch)) {
    const Eigen::Index m = std::min(static_cast<Eigen::Index>(batch), x.rows() - first);
    y.middleRows(first, m) = fn(peripherals::RowMatrixF(x.middleRows(first, m)));
  }
  return y;
}

// The data a network's evaluation reads: the test set, the calibration
// samples (training images, never test ones) and the weights (the ONNX
// model's, evaluation.weights', or the cached trainer's).
struct EvaluationData {
  nn::Dataset test;
  peripherals::RowMatrixF calibration;
  nn::Weights weights;
  kit::Json weights_info;
  std::size_t classes = 0;
};
EvaluationData load_evaluation(const nn::Network& net, const AccuracySpec& spec,
                               const std::function<void(const std::string&)>& say);

// One Monte Carlo trial's accuracy at each evaluation time, with drift
// compensation (and without it when asked), and what its tiles did over the
// test set at the first time.
struct TrialAccuracy {
  std::vector<double> compensated, uncompensated;
  tile::Actions first_actions;
  nn::MappedNetwork::Programming programming;
};
// Every trial of spec on `tiles` (each programs every tile anew, side by
// side, deterministic whatever the thread count).
std::vector<TrialAccuracy> nonideal_trials(const nn::LayerHardware& tiles, const nn::Network& net,
                                           const EvaluationData& data, const AccuracySpec& spec,
                                           const kit::Registry& registry, bool uncompensated,
                                           const std::function<void(const std::string&)>& say);

// The tile with every nonideality off: ideal devices over the same window
// and levels, no read noise, no line resistance, ADCs without offset, gain,
// INL or noise. Weight, DAC and ADC quantization remain.
tile::TileSpec quantized_only(tile::TileSpec s, const kit::Registry& registry);

// tiles: each layer's tile (nn::LayerHardware).
kit::Json run_accuracy(const nn::LayerHardware& tiles, const nn::Network& net,
                       const AccuracySpec& spec, const kit::Json& ppa,
                       const kit::Registry& registry, bool progress);

}  // namespace xbarsim::jobs
