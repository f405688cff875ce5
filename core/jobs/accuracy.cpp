#include "core/jobs/accuracy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/jobs/snn.h"
#include "core/jobs/tile_job.h"
#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/parallel.h"
#include "core/kit/stats.h"
#include "core/kit/stopwatch.h"
#include "core/nn/dataset.h"
#include "core/nn/forward.h"
#include "core/nn/layer_blocks.h"
#include "core/nn/mapped_network.h"
#include "core/nn/network.h"

namespace xbarsim::jobs {

using peripherals::RowMatrixF;

std::vector<kit::ParamInfo> AccuracySpec::dataset_params() {
  using namespace kit;
  return {
      string_param("train_images", "data/mnist/train-images-idx3-ubyte",
                   "IDX images for training and range calibration"),
      string_param("train_labels", "data/mnist/train-labels-idx1-ubyte", "IDX labels"),
      string_param("test_images", "data/mnist/t10k-images-idx3-ubyte", "IDX images to score"),
      string_param("test_labels", "data/mnist/t10k-labels-idx1-ubyte", "IDX labels"),
      positive_param("scale", 1.0 / 255.0, "", "pixel multiplier (1/255 maps bytes to [0, 1])"),
      int_param("crop_px", 0, 0, 1 << 15, "pixels removed from every edge of each image"),
      number_param("binarize_at", 0.0, "",
                   "inputs become 1 where the scaled pixel is >= this, else 0 (0 = off)", 0.0),
  };
}

kit::Json AccuracySpec::named_dataset(const std::string& name, const std::string& path) {
  if (name == "mnist") return kit::Json::object();  // the defaults
  if (name == "fashion-mnist") {
    // Debian's dataset-fashion-mnist (Xiao, Rasul and Vollgraf 2017: 60,000
    // training and 10,000 test images of clothing, MNIST's format).
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    return {{"train_images", dir + "train-images-idx3-ubyte.gz"},
            {"train_labels", dir + "train-labels-idx1-ubyte.gz"},
            {"test_images", dir + "t10k-images-idx3-ubyte.gz"},
            {"test_labels", dir + "t10k-labels-idx1-ubyte.gz"}};
  }
  const std::vector<std::string> names = {"mnist", "fashion-mnist"};
  throw kit::ConfigError(path, fmt::format("unknown dataset \"{}\"; {}use \"mnist\", "
                                           "\"fashion-mnist\" or an object of IDX paths",
                                           name, kit::did_you_mean(name, names)));
}

std::vector<kit::ParamInfo> AccuracySpec::params() {
  using namespace kit;
  return {
      int_param("test_samples", 0, 0, 1 << 30, "test samples scored (0 = the whole file)"),
      int_param("calibration_samples", 256, 1, 1 << 20,
                "training samples that set the calibrated DAC/ADC ranges"),
      int_param("batch", 50, 1, 1 << 20, "samples per pass through the tiles (memory)"),
      string_param("weights", "",
                   "directory of <layer>.weight.npy / <layer>.bias.npy (\"\" = train with "
                   "evaluation.train)"),
      number_list_param("times_s", {1.0, 3600.0, 86400.0, 31536000.0}, "s",
                        "read times after programming (drift)"),
      int_param("trials", 3, 1, 10000, "Monte Carlo device draws (each reprograms every tile)"),
  };
}

AccuracySpec AccuracySpec::parse(const kit::Json& node, const std::string& path) {
  if (!node.is_object()) throw kit::ConfigError(path, "expected an object");
  static const std::vector<std::string> nested = {"dataset", "train", "snn"};
  AccuracySpec s;
  s.resolved = kit::resolve_params(node, path, params(), nested);
  const auto sub = [&](const std::string& key, const std::vector<kit::ParamInfo>& p) {
    const kit::Json n = node.contains(key) ? node.at(key) : kit::Json::object();
    if (!n.is_object()) throw kit::ConfigError(path + "." + key, "expected an object");
    return kit::resolve_params(n, path + "." + key, p);
  };
  if (node.contains("dataset") && node.at("dataset").is_string()) {
    kit::Json named = node;
    named["dataset"] = named_dataset(node.at("dataset").get<std::string>(), path + ".dataset");
    return parse(named, path);
  }
  const kit::Json d = sub("dataset", dataset_params());
  const kit::Json t = sub("train", nn::TrainSpec::params());
  s.resolved["dataset"] = d;
  s.resolved["train"] = t;
  s.train_images = d.at("train_images").get<std::string>();
  s.train_labels = d.at("train_labels").get<std::string>();
  s.test_images = d.at("test_images").get<std::string>();
  s.test_labels = d.at("test_labels").get<std::string>();
  s.pixels.scale = d.at("scale").get<double>();
  s.pixels.crop_px = d.at("crop_px").get<std::size_t>();
  s.pixels.binarize_at = d.at("binarize_at").get<double>();
  s.train = nn::TrainSpec::from_json(t);
  const kit::Json& r = s.resolved;
  s.test_samples = r.at("test_samples").get<std::size_t>();
  s.calibration_samples = r.at("calibration_samples").get<std::size_t>();
  s.batch = r.at("batch").get<std::size_t>();
  s.weights = r.at("weights").get<std::string>();
  s.times_s = r.at("times_s").get<std::vector<double>>();
  s.trials = r.at("trials").get<std::size_t>();
  if (node.contains("snn")) s.snn = node.at("snn");
  if (s.times_s.empty() || s.times_s.size() > kMaxReadTimes) {
    throw kit::ConfigError(path + ".times_s", fmt::format("give 1 to {} read times, not {}",
                                                          kMaxReadTimes, s.times_s.size()));
  }
  for (std::size_t k = 0; k < s.times_s.size(); ++k) {
    if (!(s.times_s[k] >= 0) || !std::isfinite(s.times_s[k])) {
      throw kit::ConfigError(fmt::format("{}.times_s[{}]", path, k),
                             "must be a finite time >= 0 s");
    }
  }
  return s;
}

namespace {

kit::Json stats(const std::vector<double>& v) {
  const kit::Summary s = kit::summarize(v);
  return {{"mean", s.mean}, {"std", s.std}, {"sem", s.sem}, {"trials", v}};
}

}  // namespace

tile::TileSpec quantized_only(tile::TileSpec s, const kit::Registry& registry) {
  const auto resolve = [&](const std::string& key, const kit::Json& node) {
    s.resolved[key] = registry.resolve(key, node, key);
    return s.resolved[key];
  };
  s.device = resolve("device", {{"impl", "ideal"},
                                {"g_min_us", s.device.at("g_min_us")},
                                {"g_max_us", s.device.at("g_max_us")},
                                {"levels", s.device.at("levels")}});
  s.read_noise = arrays::ReadNoiseSpec::from_json(resolve("read_noise", {{"mode", "off"}}));
  s.solver = resolve("solver", {{"impl", "ideal"}});
  for (const char* k : {"offset_sigma_lsb", "gain_sigma", "inl_sigma_lsb", "noise_sigma_lsb"}) {
    if (s.adc.contains(k)) s.adc[k] = 0.0;
  }
  s.resolved["adc"] = s.adc;
  return s;
}

namespace {

// Whether each layer's output can be negative, from the network input's sign
// and each kind's rule (LayerKind::nonnegative).
std::vector<bool> nonnegative_outputs(const nn::Network& net, bool input_nonnegative) {
  const std::size_t n = net.layers.size();
  std::vector<bool> out(n, false);
  std::vector<bool> in;
  for (std::size_t i = 0; i < n; ++i) {
    const nn::Layer& l = net.layers[i];
    in.clear();
    for (const auto src : l.inputs)
      in.push_back(src == nn::kNetworkInput ? input_nonnegative : out[src]);
    out[i] = l.kind->nonnegative(l, in);
  }
  return out;
}

}  // namespace

namespace {

// Every block of every matrix layer holds a programmed tile for the whole run,
// one network per trial running side by side: refused before any work when
// that cannot fit in memory.
void require_tile_memory(const nn::LayerHardware& tiles, const nn::Network& net,
                         const AccuracySpec& spec) {
  double bytes = 0;
  std::size_t blocks = 0;
  for (const auto idx : net.matrix_layers()) {
    if (tiles.digital(idx)) continue;
    const nn::Layer& l = net.layers[idx];
    const tile::TileSpec& tile = tiles.spec(idx);
    const nn::BlockPlan plan =
        nn::block_plan(l, tile.array.rows, std::max<std::size_t>(1, tile.weight_cols()));
    for (const nn::Span& r : plan.rows) {
      for (const nn::Span& c : plan.cols) {
        bytes += static_cast<double>(plan.groups) * tile.memory_bytes(r.count, c.count, spec.batch);
      }
    }
    blocks += plan.blocks();
  }
  const std::size_t side_by_side =
      std::min<std::size_t>(spec.trials, std::max(1u, std::thread::hardware_concurrency()));
  kit::require_memory(
      bytes * static_cast<double>(side_by_side),
      fmt::format("the accuracy job ({} tiles per network, {} trial{} at once)", blocks,
                  side_by_side, side_by_side == 1 ? "" : "s"),
      "use fewer slices (mapping.weight_bits / bits_per_cell), fewer evaluation.trials or a "
      "smaller evaluation.batch");
}

}  // namespace

void check_accuracy_inputs(const nn::LayerHardware& tiles, const nn::Network& net,
                           const AccuracySpec& spec) {
  if (net.weights && !spec.weights.empty()) {
    throw kit::ConfigError("evaluation.weights",
                           "the ONNX model (network.onnx) brings its weights; remove "
                           "evaluation.weights or give a layer list");
  }
  require_tile_memory(tiles, net, spec);
  std::size_t elements = 1;
  for (const auto d : net.input) elements *= d;
  const std::size_t classes = net.layers.back().out_elements();
  const nn::Dataset test =
      nn::Dataset::load(spec.test_images, spec.test_labels, spec.pixels, elements, classes,
                        spec.test_samples, "evaluation.dataset.test");
  nn::Dataset::load(spec.train_images, spec.train_labels, spec.pixels, elements, classes, 1,
                    "evaluation.dataset.train");
  if (!spec.weights.empty()) nn::Weights::load(net, spec.weights);
  const bool data_nonneg = test.x.size() == 0 || test.x.minCoeff() >= 0.0f;
  const auto nonneg = nonnegative_outputs(net, data_nonneg);
  const std::size_t n = net.layers.size();
  for (std::size_t i = 0; i < n; ++i) {
    const nn::Layer& l = net.layers[i];
    if (!l.matrix() || tiles.digital(i) ||
        tiles.spec(i).dac.value("signed_drive", std::string()) != "none") {
      continue;
    }
    const std::size_t src = l.input();
    const bool ok = src == nn::kNetworkInput ? data_nonneg : nonneg[src];
    if (ok) continue;
    const std::string source =
        src == nn::kNetworkInput ? "the test data has negative values"
                                 : fmt::format("it reads layer \"{}\" ({}), which can be negative",
                                               net.layers[src].name, net.layers[src].type);
    throw kit::ConfigError(
        tiles.overridden(i) ? kit::join_path(kit::join_path("layers", l.name), "dac.signed_drive")
                            : std::string("dac.signed_drive"),
        fmt::format("\"none\" takes only inputs >= 0, but layer \"{}\" (network.layers[{}]) can "
                    "get negative ones: {}; set dac.signed_drive to \"differential\" or "
                    "\"two_phase\", or put a relu before it",
                    l.name, i, source));
  }
}

EvaluationData load_evaluation(const nn::Network& net, const AccuracySpec& spec,
                               const std::function<void(const std::string&)>& say) {
  std::size_t elements = 1;
  for (const auto d : net.input) elements *= d;
  EvaluationData d;
  d.classes = net.layers.back().out_elements();
  const bool to_train = spec.weights.empty() && !net.weights;
  if (to_train) nn::check_trainable(net, "network");
  d.test = nn::Dataset::load(spec.test_images, spec.test_labels, spec.pixels, elements, d.classes,
                             spec.test_samples, "evaluation.dataset.test");
  const nn::Dataset train =
      nn::Dataset::load(spec.train_images, spec.train_labels, spec.pixels, elements, d.classes,
                        to_train ? 0 : spec.calibration_samples, "evaluation.dataset.train");
  if (net.weights) {
    d.weights = *net.weights;
    d.weights_info = {{"source", "onnx"}, {"file", net.resolved.value("onnx", std::string())}};
  } else if (to_train) {
    say(fmt::format("training {} on {} samples ({} epochs; cached in {})", net.name, train.size(),
                    spec.train.epochs, spec.train.cache.empty() ? "nothing" : spec.train.cache));
    d.weights = nn::cached_training(
        net, train, nn::training_data_key(spec.train_images, spec.train_labels), spec.train,
        d.weights_info, [&](std::size_t epoch, double loss, double acc) {
          say(fmt::format("  epoch {}/{}: loss {:.4f}, training accuracy {:.4f}", epoch,
                          spec.train.epochs, loss, acc));
        });
    d.weights_info["source"] = "trained";
  } else {
    d.weights = nn::Weights::load(net, spec.weights);
    d.weights_info = {{"source", "files"}, {"dir", spec.weights}};
  }
  const auto n_cal = static_cast<Eigen::Index>(std::min(spec.calibration_samples, train.size()));
  d.calibration = train.x.topRows(n_cal);
  return d;
}

std::vector<TrialAccuracy> nonideal_trials(const nn::LayerHardware& tiles, const nn::Network& net,
                                           const EvaluationData& data, const AccuracySpec& spec,
                                           const kit::Registry& registry, bool uncompensated,
                                           const std::function<void(const std::string&)>& say) {
  // Every trial programs every tile anew; trials run side by side (oneTBB),
  // each with serial OpenMP, gathered in trial order.
  std::vector<TrialAccuracy> trials(spec.trials);
  auto run_trial = [&](std::size_t t) {
    nn::MappedNetwork m(net, data.weights, tiles, registry, t);
    m.calibrate(data.calibration);
    TrialAccuracy& r = trials[t];
    r.programming = m.programming();
    for (std::size_t k = 0; k < spec.times_s.size(); ++k) {
      const double ts = spec.times_s[k];
      r.compensated.push_back(
          data.test.accuracy(in_batches(data.test.x, spec.batch, data.classes,
                                        [&](const RowMatrixF& x) { return m.run(x, ts, true); })));
      if (k == 0) r.first_actions = m.actions();
      if (uncompensated) {
        r.uncompensated.push_back(data.test.accuracy(
            in_batches(data.test.x, spec.batch, data.classes,
                       [&](const RowMatrixF& x) { return m.run(x, ts, false); })));
      }
    }
    say(fmt::format("  trial {} done", t + 1));
  };
  kit::run_trials(spec.trials, run_trial);
  return trials;
}

namespace {

// Whether any matrix layer's tile compensates drift.
bool compensates_drift(const nn::LayerHardware& tiles, const nn::Network& net) {
  bool compensated = false;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    compensated |= net.layers[i].matrix() && !tiles.digital(i) &&
                   tiles.spec(i).drift_compensation != tile::DriftCompensation::kNone;
  }
  return compensated;
}

}  // namespace

kit::Json run_accuracy(const nn::LayerHardware& tiles, const nn::Network& net,
                       const AccuracySpec& spec, const kit::Json& ppa,
                       const kit::Registry& registry, bool progress) {
  const kit::Stopwatch start;
  auto say = [&](const std::string& line) {
    if (progress) std::fprintf(stderr, "xbarsim: %s\n", line.c_str());
  };
  const EvaluationData data = load_evaluation(net, spec, say);
  const nn::Dataset& test = data.test;
  const nn::Weights& w = data.weights;
  const std::size_t classes = data.classes;

  const kit::Stopwatch t_float;
  const double acc_float =
      test.accuracy(in_batches(test.x, spec.batch, classes, [&](const RowMatrixF& x) {
        return nn::forward(net, w, x, nn::float_product(net, w));
      }));
  const double s_float = t_float.seconds();

  say("quantized-only inference (ideal devices, the configured converters)");
  const kit::Stopwatch t_quant;
  const nn::LayerHardware qtiles =
      tiles.transformed([&](const tile::TileSpec& s) { return quantized_only(s, registry); });
  nn::MappedNetwork qnet(net, w, qtiles, registry, 0);
  qnet.calibrate(data.calibration);
  const double acc_quant = test.accuracy(in_batches(
      test.x, spec.batch, classes, [&](const RowMatrixF& x) { return qnet.run(x, 0.0); }));
  const double s_quant = t_quant.seconds();

  const bool compensated = compensates_drift(tiles, net);
  const std::size_t n_times = spec.times_s.size();
  say(fmt::format("nonideal inference: {} trials x {} drift times{} on {} test samples",
                  spec.trials, n_times, compensated ? " x with/without compensation" : "",
                  test.size()));
  const kit::Stopwatch t_mc;
  const std::vector<TrialAccuracy> trials =
      nonideal_trials(tiles, net, data, spec, registry, compensated, say);
  const double s_mc = t_mc.seconds();

  kit::Json nonideal = kit::Json::array();
  for (std::size_t k = 0; k < n_times; ++k) {
    std::vector<double> comp, raw;
    for (const auto& r : trials) {
      comp.push_back(r.compensated[k]);
      if (compensated) raw.push_back(r.uncompensated[k]);
    }
    kit::Json row = stats(comp);
    row["t_s"] = spec.times_s[k];
    if (compensated) row["uncompensated"] = stats(raw);
    nonideal.push_back(row);
  }

  // Tile energy per inference: measured on the test data (trial 0, first
  // time) beside the static estimate of the same components.
  const tile::Actions& a = trials.front().first_actions;
  const double per = 1.0 / static_cast<double>(test.size());
  kit::Json energy = {{"measured",
                       {{"array", a.array_pj * per},
                        {"dac", a.dac_pj * per},
                        {"adc", a.adc_pj * per},
                        {"shift_add", a.shift_add_pj * per}}}};
  // A spiking chip's static estimate prices the SNN, not these ANN reads.
  if (ppa.is_object() && !ppa.contains("snn")) {
    const kit::Json& e = ppa.at("totals").at("energy_pj");
    energy["static"] = {{"array", e.at("array")},
                        {"dac", e.at("dac")},
                        {"adc", e.at("adc")},
                        {"shift_add", e.at("shift_add")}};
  }
  energy["note"] =
      "pJ per inference in the crossbar tiles (arrays, DACs, ADCs, shift-add). measured: the "
      "test samples' own inputs and programmed conductances (trial 0, first drift time, "
      "with compensation); static: the performance model's input_activity and "
      "conductance_fraction (not for a spiking chip, whose estimate prices the SNN)";
  energy["adc_clipped_fraction"] =
      a.adc_conversions > 0
          ? static_cast<double>(a.adc_clipped) / static_cast<double>(a.adc_conversions)
          : 0.0;

  // What loading the network took, for trial 0's device draws.
  kit::Json programming = trials.front().programming.to_json();
  programming["trial"] = 0;

  kit::Json snn;
  if (!spec.snn.is_null()) {
    const nn::SnnSpec s = check_snn(spec.snn, net, registry);
    AnnReference ann;
    for (const auto& r : trials)
      ann.accuracy += r.compensated.front() / static_cast<double>(trials.size());
    ann.actions = trials.front().first_actions;
    snn = run_snn(tiles, net, data, s, spec.batch, ann, registry, say);
  }

  kit::Json report = {{"dataset",
                       {{"test", spec.test_images},
                        {"test_samples", test.size()},
                        {"calibration_samples", data.calibration.rows()}}},
                      {"weights", data.weights_info},
                      {"float", acc_float},
                      {"quantized", acc_quant},
                      {"nonideal", nonideal},
                      {"drift_compensation", compensated},
                      {"energy_pj", energy},
                      {"programming", programming},
                      {"seconds",
                       {{"float", s_float},
                        {"quantized", s_quant},
                        {"nonideal", s_mc},
                        {"total", start.seconds()}}}};
  if (!snn.is_null()) report["snn"] = snn;
  return report;
}

}  // namespace xbarsim::jobs
