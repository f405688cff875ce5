#pragma once
// The built-in trainer: minibatch SGD with momentum on softmax cross-entropy,
// for any graph of the layer kinds that have a backward pass (all but
// softmax; residual adds, concat and gates too; batchnorm is trained as the
// folded network, the identity), with random-shift augmentation of image
// inputs. Optional noise-aware training injects
// Gaussian weight noise (σ = weight_noise · max |W| of the layer, a fresh draw
// every step) into the forward pass and applies the gradient to the clean
// weights.
//
// Contract: deterministic. Initialisation, shuffling and weight noise come
// from counter-based streams keyed by the seed, and training runs with
// serial OpenMP/Eigen, so the weights are bit-identical for any thread count.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/nn/dataset.h"
#include "core/nn/forward.h"
#include "core/nn/network.h"

namespace xbarsim::nn {

struct TrainSpec {
  std::size_t epochs = 15, batch = 32, shift_px = 2;
  double learning_rate = 0.05, momentum = 0.9, weight_decay = 1e-4, weight_noise = 0.0,
         clip_sigma = 2.5;
  std::uint64_t seed = 1;
  std::string cache = "data/weights";  // directory of trained weights ("" = no cache)

  static std::vector<kit::ParamInfo> params();
  static TrainSpec from_json(const kit::Json& resolved);
};

struct TrainLog {
  std::vector<double> loss, accuracy;  // per epoch, on the training set
  double seconds = 0;
  kit::Json to_json() const;
};

// Softmax cross-entropy of the logits z of samples idx: returns the summed
// loss and the number right, and turns z into d(mean loss)/d(logits).
std::pair<double, std::size_t> softmax_xent(RowMatrixF& z, const std::vector<int>& labels,
                                            std::span<const std::size_t> idx);
// The inputs of layer l: x for the network's, else earlier layers' outputs.
std::vector<const RowMatrixF*> inputs_of(const Layer& l, const RowMatrixF& x,
                                         const std::vector<RowMatrixF>& acts);
// Back through the graph from d loss / d (last layer's output): each
// layer's output gradient is the sum over the layers that read it.
// context(i, need_input_grad) gives layer i's backward context (its weights
// as used forward and where its gradients go); need_input_grad is false
// where no matrix layer is upstream (the first matrix layer's input
// gradient is never computed); a matrix layer that does not reach the loss
// gets zero gradients.
void backward_graph(const Network& net, const RowMatrixF& x, const std::vector<RowMatrixF>& acts,
                    const std::vector<Saved>& saved, RowMatrixF dlogits,
                    const std::function<BackwardContext(std::size_t, bool)>& context);

// Throws ConfigError at `path` when the trainer cannot train this network.
void check_trainable(const Network& net, const std::string& path);

// progress(epoch, loss, accuracy) after each epoch, if set.
using TrainProgress = std::function<void(std::size_t, double, double)>;
Weights train(const Network& net, const Dataset& data, const TrainSpec& spec, TrainLog& log,
              const TrainProgress& progress = nullptr);

// What identifies the training data in the cache key: a hash of the image
// and label files' bytes.
std::string training_data_key(const std::string& images, const std::string& labels);

// Weights from spec.cache when this network, spec and training file were
// trained before, else trained and saved there (atomically: a directory with
// its weights and a train.json written last). info receives where they came
// from and the training log.
Weights cached_training(const Network& net, const Dataset& data, const std::string& data_key,
                        const TrainSpec& spec, kit::Json& info,
                        const TrainProgress& progress = nullptr);

}  // namespace xbarsim::nn
