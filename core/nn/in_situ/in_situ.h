#pragma once
// In-situ training: the network learns on its crossbars. Each matrix
// layer's weights are the states of pulsed devices (one device per weight,
// an update law from arrays/updates/); the forward pass reads them through
// the forward periphery, the error goes back through the same devices read
// transposed with the backward periphery, and the update is programming
// pulses (stochastic pulse trains, pulse counts or the sign rule, in
// schemes/), each one evolving its device by the law and charged V²·G·t.
// Biases stay digital (as in inference: added after the crossbar) and take
// plain SGD steps.
//
//   "in_situ": {"update": {"preset": "neurosim_ag_si"}, "scheme": "pulse_count",
//               "epochs": 10, "learning_rate": 0.1, "loss": "mse", ...}
//
// Contract: InSituSpec::parse validates the node (the update law through
// the registry) before any work. train_in_situ is deterministic for a seed:
// every draw (device parameters, pulse trains, cycle-to-cycle noise, read
// noise, sample order) comes from a counter-based stream keyed by seed and
// purpose, and training runs serially, so results are bitwise identical for
// any thread count.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"
#include "core/kit/registry.h"
#include "core/nn/dataset.h"
#include "core/nn/network.h"

namespace xbarsim::nn {

// One direction's periphery, aihwkit's analog MVM: inputs scaled by their
// row's max |x| (noise management), quantized to inp_bits (sign included)
// on ±inp_bound; outputs get Gaussian noise out_noise, are quantized to
// out_bits on ±out_bound and scaled back. out_bound 0 = the worst case
// (rows · max |w| · inp_bound: nothing clips, NeuroSim's full-range ADC).
// Bound management (forward): a row whose output clips is read again with
// its inputs halved, up to 10 times. binarize_at > 0 drives 1 where x >=
// binarize_at and 0 elsewhere (MLP_NeuroSim's 1-bit inputs and binary
// hidden spikes); the update still uses the unbinarised x.
struct IoSpec {
  int inp_bits = 7, out_bits = 9;
  double inp_bound = 1.0, out_bound = 12.0, out_noise = 0.06, binarize_at = 0.0;
  double out_gain = 1.0;  // digital gain on the result (NeuroSim's read gives half the sum: 0.5)
  bool bound_management = true;
  static std::vector<kit::ParamInfo> params(const IoSpec& defaults);
  static IoSpec from_json(const kit::Json& resolved);
};

enum class UpdateRule { kStochastic, kPulseCount, kSign };

// Tiki-Taka (Gokmen & Haensch, Front. Neurosci. 14, 103 (2020)): two arrays
// of the same devices per layer; the updates go to the fast array A (at
// fast_lr × the learning rate), every transfer_every updates the next
// reads_per_transfer rows of A are read through the forward periphery (a
// one-hot input each) and added to C by the same pulse rule at
// transfer_lr × the learning rate, and the network reads W = gamma·A + C.
// C starts from the initial weights, A from 0.
struct TikiTakaSpec {
  bool on = false;
  double gamma = 0.0, fast_lr = 1.0, transfer_lr = 1.0;
  std::size_t transfer_every = 1, reads_per_transfer = 1;
  static std::vector<kit::ParamInfo> params();
};
enum class Loss { kCrossEntropy, kMse };

struct InSituSpec {
  kit::Json update;  // the resolved update-law node
  UpdateRule rule = UpdateRule::kStochastic;
  std::size_t bl = 31;  // stochastic: pulse-train length
  bool bl_management = true, update_management = true;
  std::size_t max_pulses = 0;   // pulse_count: cap per device and update (0 = none)
  double sign_threshold = 0.0;  // sign: pulse where |grad| > this · max |grad|
  IoSpec forward, backward;
  TikiTakaSpec tiki_taka;
  // One-sided pairs (PulsedArray) and their refresh (refresh.h).
  bool pair = false;
  std::size_t refresh_every = 1;
  double refresh_upper = 0.75, refresh_lower = 0.25;
  std::size_t epochs = 10, batch = 1, samples_per_epoch = 0;
  double learning_rate = 0.1;
  std::vector<double> layer_learning_rates;  // per matrix layer (empty: learning_rate)
  Loss loss = Loss::kCrossEntropy;
  double init_uniform = 0.0;     // initial weights uniform on ±this (0: the trainer's He normal)
  std::size_t trajectories = 4;  // devices per layer whose state is recorded per epoch
  std::uint64_t seed = 1;
  // Not a key: set by the job from the tile (array.cell "1R": the V/2
  // scheme's half-selected cells are charged, PulsedArray).
  bool half_select = false;
  kit::Json resolved;

  static std::vector<kit::ParamInfo> params();
  static InSituSpec parse(const kit::Json& node, const kit::Registry& registry,
                          const std::string& path);
  // Throws ConfigError at `path` when this network cannot be trained in situ.
  void check(const Network& net, const std::string& path) const;
};

// What a training run did: per epoch and per layer, JSON-ready.
struct InSituResult {
  kit::Json report;
  std::vector<std::vector<float>> weights;  // final states per matrix layer (row-major)
};

// progress(epoch, report of the epoch) after each epoch, if set.
using InSituProgress = std::function<void(std::size_t, const kit::Json&)>;
InSituResult train_in_situ(const Network& net, const Dataset& train, const Dataset& test,
                           const InSituSpec& spec, const kit::Registry& registry,
                           const InSituProgress& progress = nullptr);

}  // namespace xbarsim::nn
