#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "arrays/update.h"
#include "core/kit/error.h"
#include "core/nn/in_situ/in_situ.h"

namespace xbarsim::nn {

std::vector<kit::ParamInfo> IoSpec::params(const IoSpec& d) {
  using namespace kit;
  return {
      int_param("inp_bits", d.inp_bits, 0, 24, "input DAC bits, sign included (0 = analog)"),
      int_param("out_bits", d.out_bits, 0, 24, "output ADC bits, sign included (0 = analog)"),
      positive_param("inp_bound", d.inp_bound, "", "input full scale after noise management"),
      number_param("out_bound", d.out_bound, "",
                   "output full scale (0 = the worst case: rows * max|w| * inp_bound)", 0.0),
      number_param("out_noise", d.out_noise, "",
                   "Gaussian output noise sigma, in the normalised output's units", 0.0),
      bool_param("bound_management", d.bound_management,
                 "re-read a row whose output clips with its inputs halved (forward only)"),
      number_param("binarize_at", d.binarize_at, "",
                   "drive 1 where the input is >= this, else 0 (NeuroSim's binary inputs and "
                   "hidden spikes; 0 = off)",
                   0.0),
      positive_param("out_gain", d.out_gain, "",
                     "digital gain on the result (MLP_NeuroSim's read gives half the weighted "
                     "sum: 0.5)"),
  };
}

IoSpec IoSpec::from_json(const kit::Json& r) {
  IoSpec s;
  s.inp_bits = r.at("inp_bits").get<int>();
  s.out_bits = r.at("out_bits").get<int>();
  s.inp_bound = r.at("inp_bound").get<double>();
  s.out_bound = r.at("out_bound").get<double>();
  s.out_noise = r.at("out_noise").get<double>();
  s.bound_management = r.at("bound_management").get<bool>();
  s.binarize_at = r.at("binarize_at").get<double>();
  s.out_gain = r.at("out_gain").get<double>();
  return s;
}

std::vector<kit::ParamInfo> TikiTakaSpec::params() {
  using namespace kit;
  return {
      number_param("gamma", 0.0, "", "weight of the fast array in what the network reads", 0.0,
                   1.0),
      positive_param("fast_lr", 1.0, "", "the fast array's learning rate, x learning_rate"),
      positive_param("transfer_lr", 1.0, "", "the transfer's learning rate, x learning_rate"),
      int_param("transfer_every", 1, 1, 1 << 20, "updates between transfers"),
      int_param("reads_per_transfer", 1, 1, 1 << 20, "rows of the fast array read per transfer"),
  };
}

std::vector<kit::ParamInfo> InSituSpec::params() {
  using namespace kit;
  return {
      choice_param("scheme", "stochastic", {"stochastic", "pulse_count", "sign"},
                   "how an update becomes pulses: coincident stochastic pulse trains "
                   "(Gokmen-Vlasov), round(dW/dw_min) pulses per device (NeuroSim), or one "
                   "pulse of the gradient's sign (Manhattan rule)"),
      choice_param("algorithm", "sgd", {"sgd", "tiki_taka"},
                   "plain SGD on one array per layer, or Tiki-Taka (a fast and a slow array, "
                   "the in_situ.tiki_taka node)"),
      choice_param("cell", "single", {"single", "one_sided_pair"},
                   "one device per weight (w = its state), or a pair of devices only ever "
                   "potentiated, w = w+ - w-, with refresh (aihwkit's OneSidedUnitCell; PCM)"),
      int_param("refresh_every", 1, 0, 1 << 20,
                "one_sided_pair: updates between refreshes (0 = never)"),
      number_param("refresh_upper", 0.75, "",
                   "one_sided_pair: refresh a pair whose larger device is above this fraction "
                   "of w_max ...",
                   0.0, 1.0),
      number_param("refresh_lower", 0.25, "",
                   "... and whose smaller device is above this fraction of w_max", 0.0, 1.0),
      int_param("bl", 31, 1, 64, "stochastic: pulse-train length (slots per update)"),
      bool_param("bl_management", true,
                 "stochastic: shorter trains for small updates (ceil(lr*max|x|*max|d|/dw_min)); "
                 "implies update_management"),
      bool_param("update_management", true, "stochastic: balance the x and d pulse probabilities"),
      int_param("max_pulses", 0, 0, 1 << 20,
                "pulse_count: most pulses per device and update (0 = no cap)"),
      number_param("sign_threshold", 0.0, "",
                   "sign: pulse only where |grad| > this * max|grad| of the layer", 0.0, 1.0),
      int_param("epochs", 10, 1, 100000, "passes over samples_per_epoch training samples"),
      int_param("batch", 1, 1, 4096, "samples per update"),
      int_param("samples_per_epoch", 0, 0, 1 << 30,
                "training samples per epoch, a fresh shuffle each epoch (0 = all)"),
      positive_param("learning_rate", 0.1, "", "SGD step size (constant)"),
      number_list_param("layer_learning_rates", {}, "",
                        "one step size per matrix layer, in order (empty = learning_rate)"),
      choice_param("loss", "cross_entropy", {"cross_entropy", "mse"},
                   "softmax cross-entropy on the last layer, or squared error against one-hot "
                   "labels on the network's output (NeuroSim: sigmoid outputs)"),
      number_param("init_uniform", 0.0, "",
                   "initial weights uniform on +-this, clipped to the devices' bounds (0 = the "
                   "built-in trainer's He-normal draw; NeuroSim: 1)",
                   0.0),
      int_param("trajectories", 4, 0, 1000,
                "devices per layer whose state is recorded after every epoch"),
      int_param("seed", 1, 0, std::numeric_limits<std::int32_t>::max(),
                "device draws, initial weights, pulse trains, noise and sample order"),
  };
}

InSituSpec InSituSpec::parse(const kit::Json& node, const kit::Registry& registry,
                             const std::string& path) {
  if (!node.is_null() && !node.is_object()) throw kit::ConfigError(path, "expected an object");
  const kit::Json n = node.is_null() ? kit::Json::object() : node;
  static const std::vector<std::string> nested = {"update", "forward", "backward", "tiki_taka"};
  InSituSpec s;
  s.resolved = kit::resolve_params(n, path, params(), nested);
  kit::Json& r = s.resolved;
  s.update = registry.resolve("update", n.value("update", kit::Json::object()),
                              kit::join_path(path, "update"));
  r["update"] = s.update;
  std::unique_ptr<arrays::UpdateModel> law;
  try {
    law = registry.build<arrays::UpdateModel>("update", s.update);  // refuses what it cannot take
  } catch (const kit::ConfigError& e) {
    // The laws name their keys from the "update" node; it sits under path.
    const std::string what = e.what();
    const std::string prefix = "config " + e.path() + ": ";
    throw kit::ConfigError(kit::join_path(path, e.path()),
                           what.starts_with(prefix) ? what.substr(prefix.size()) : what);
  }
  for (const auto* dir : {"forward", "backward"}) {
    const kit::Json d = n.value(dir, kit::Json::object());
    if (!d.is_object()) throw kit::ConfigError(kit::join_path(path, dir), "expected an object");
    r[dir] = kit::resolve_params(d, kit::join_path(path, dir), IoSpec::params(IoSpec{}));
  }
  const kit::Json tt = n.value("tiki_taka", kit::Json::object());
  if (!tt.is_object())
    throw kit::ConfigError(kit::join_path(path, "tiki_taka"), "expected an object");
  r["tiki_taka"] =
      kit::resolve_params(tt, kit::join_path(path, "tiki_taka"), TikiTakaSpec::params());
  s.tiki_taka.on = r.at("algorithm").get<std::string>() == "tiki_taka";
  s.tiki_taka.gamma = r.at("tiki_taka").at("gamma").get<double>();
  s.tiki_taka.fast_lr = r.at("tiki_taka").at("fast_lr").get<double>();
  s.tiki_taka.transfer_lr = r.at("tiki_taka").at("transfer_lr").get<double>();
  s.tiki_taka.transfer_every = r.at("tiki_taka").at("transfer_every").get<std::size_t>();
  s.tiki_taka.reads_per_transfer = r.at("tiki_taka").at("reads_per_transfer").get<std::size_t>();
  if (!s.tiki_taka.on) {
    if (n.contains("tiki_taka")) {
      throw kit::ConfigError(kit::join_path(path, "tiki_taka"),
                             "is used only with \"algorithm\": \"tiki_taka\"");
    }
    r.erase("tiki_taka");
  }
  s.pair = r.at("cell").get<std::string>() == "one_sided_pair";
  s.refresh_every = r.at("refresh_every").get<std::size_t>();
  s.refresh_upper = r.at("refresh_upper").get<double>();
  s.refresh_lower = r.at("refresh_lower").get<double>();
  if (!s.pair) {
    for (const auto* k : {"refresh_every", "refresh_upper", "refresh_lower"}) {
      if (n.contains(k)) {
        throw kit::ConfigError(kit::join_path(path, k),
                               "is used only with \"cell\": \"one_sided_pair\"");
      }
    }
    if (law->common().w_min >= 0) {
      throw kit::ConfigError(
          kit::join_path(path, "cell"),
          fmt::format("the update law cannot go below w_min = {:g} (a one-sided device such as "
                      "PCM): one device per weight could never learn a negative weight; train it "
                      "as a pair, \"cell\": \"one_sided_pair\"",
                      law->common().w_min));
    }
  }
  s.forward = IoSpec::from_json(r.at("forward"));
  s.backward = IoSpec::from_json(r.at("backward"));
  const std::string scheme = r.at("scheme").get<std::string>();
  s.rule = scheme == "stochastic"    ? UpdateRule::kStochastic
           : scheme == "pulse_count" ? UpdateRule::kPulseCount
                                     : UpdateRule::kSign;
  s.bl = r.at("bl").get<std::size_t>();
  s.bl_management = r.at("bl_management").get<bool>();
  s.update_management = r.at("update_management").get<bool>();
  s.max_pulses = r.at("max_pulses").get<std::size_t>();
  s.sign_threshold = r.at("sign_threshold").get<double>();
  s.epochs = r.at("epochs").get<std::size_t>();
  s.batch = r.at("batch").get<std::size_t>();
  s.samples_per_epoch = r.at("samples_per_epoch").get<std::size_t>();
  s.learning_rate = r.at("learning_rate").get<double>();
  s.layer_learning_rates = r.at("layer_learning_rates").get<std::vector<double>>();
  for (std::size_t k = 0; k < s.layer_learning_rates.size(); ++k) {
    if (!(s.layer_learning_rates[k] > 0) || !std::isfinite(s.layer_learning_rates[k])) {
      throw kit::ConfigError(fmt::format("{}.layer_learning_rates[{}]", path, k),
                             "must be a finite step size > 0");
    }
  }
  s.loss = r.at("loss").get<std::string>() == "mse" ? Loss::kMse : Loss::kCrossEntropy;
  s.init_uniform = r.at("init_uniform").get<double>();
  s.trajectories = r.at("trajectories").get<std::size_t>();
  s.seed = r.at("seed").get<std::uint64_t>();
  return s;
}

void InSituSpec::check(const Network& net, const std::string& path) const {
  const auto matrix = net.matrix_layers();
  if (matrix.empty()) throw kit::ConfigError("network", "has no matrix layer to train in situ");
  for (const std::size_t i : matrix) {
    const Layer& l = net.layers[i];
    if (l.groups != 1) {
      throw kit::ConfigError("network", fmt::format("layer \"{}\" is grouped ({} groups); in-situ "
                                                    "training reads ungrouped layers only",
                                                    l.name, l.groups));
    }
  }
  for (const Layer& l : net.layers) {
    if (!l.kind->trainable()) {
      throw kit::ConfigError("network",
                             fmt::format("layer \"{}\" ({}) has no backward pass", l.name, l.type));
    }
  }
  if (loss == Loss::kCrossEntropy &&
      (!net.layers.back().matrix() || net.layers.back().out_shape.size() != 1)) {
    throw kit::ConfigError(kit::join_path(path, "loss"),
                           "cross_entropy needs a linear last layer (the logits); use \"mse\" "
                           "for a network that ends in an activation");
  }
  if (net.layers.back().out_shape.size() != 1) {
    throw kit::ConfigError("network", "the last layer must output one score per class");
  }
  if (!layer_learning_rates.empty() && layer_learning_rates.size() != matrix.size()) {
    throw kit::ConfigError(kit::join_path(path, "layer_learning_rates"),
                           fmt::format("has {} entries for {} matrix layers",
                                       layer_learning_rates.size(), matrix.size()));
  }
}

}  // namespace xbarsim::nn
