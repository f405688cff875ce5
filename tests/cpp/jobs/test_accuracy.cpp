#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "core/jobs/registry_setup.h"
#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/kit/ndarray.h"
#include "core/kit/rng.h"
#include "core/nn/dataset.h"
#include "core/nn/forward.h"
#include "core/nn/train.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;
using peripherals::RowMatrixF;

namespace {

RowMatrixF random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  RowMatrixF m(rows, cols);
  kit::Stream(seed, "test", "matrix")
      .fill_normal(std::span<float>(m.data(), static_cast<std::size_t>(m.size())));
  return m;
}

nn::Network parse_net(const Json& node) { return nn::Network::parse(node, "network"); }

// LeNet-5 on the MNIST digits ./test fetched into data/mnist, with weights
// trained once into data/weights (shared by every test and by ./run).
Json lenet_run(const Json& tile) {
  Json c = tile;
  c["network"] = {{"preset", "lenet5"}};
  const std::string d = test::kSource + "/data/mnist/";
  Json eval = {{"dataset",
                {{"train_images", d + "train-images-idx3-ubyte"},
                 {"train_labels", d + "train-labels-idx1-ubyte"},
                 {"test_images", d + "t10k-images-idx3-ubyte"},
                 {"test_labels", d + "t10k-labels-idx1-ubyte"}}},
               {"train", {{"cache", test::kSource + "/data/weights"}}},
               {"trials", 1},
               {"times_s", {1.0}}};
  if (c.contains("evaluation")) eval.update(c["evaluation"]);
  c["evaluation"] = eval;
  return c;
}

Json accuracy(const Json& config) {
  static const auto reg = jobs::make_registry();
  return jobs::run_job(config, reg).at("accuracy");
}

Json ideal_tile(int bits) {
  return {
      {"array", {{"rows", 256}, {"cols", 256}}},
      {"device", {{"impl", "ideal"}, {"g_min_us", 1.0}, {"g_max_us", 40.0}}},
      {"mapping", {{"impl", "differential"}, {"weight_bits", bits}, {"bits_per_cell", 4}}},
      {"read_noise", {{"mode", "off"}}},
      {"drift_compensation", "none"},
      {"dac",
       {{"impl", "bit_serial"}, {"bits", bits}, {"signed_drive", "none"}, {"range", "calibrated"}}},
      {"adc", {{"impl", "sar"}, {"bits", bits}, {"range", "calibrated"}}}};
}

// One layer's float forward pass (a matrix layer's product v · w).
RowMatrixF run_layer(const nn::Layer& l, const RowMatrixF& x, const RowMatrixF& w = {},
                     const Eigen::RowVectorXf& bias = {}) {
  const nn::ProductFn product = [&](std::size_t, const RowMatrixF& v) { return RowMatrixF(v * w); };
  const RowMatrixF* in[] = {&x};
  return l.kind->forward(l, in, {0, &bias, &product}, nullptr);
}

}  // namespace

TEST_CASE("conv2d through im2col equals a direct convolution; pools equal direct windows",
          "[arch][model]") {
  const auto net = parse_net(
      {{"input", {3, 7, 6}},
       {"layers",
        {{{"type", "conv2d"}, {"out_channels", 4}, {"kernel", 3}, {"stride", 2}, {"padding", 1}},
         {{"type", "maxpool"}, {"kernel", 2}, {"stride", 1}, {"padding", 1}},
         {{"type", "avgpool"}, {"kernel", 2}},
         {{"type", "flatten"}},
         {{"type", "linear"}, {"out_features", 2}}}}});
  const auto& conv = net.layers[0];
  const RowMatrixF x = random_matrix(2, 3 * 7 * 6, 1);
  const RowMatrixF w = random_matrix(27, 4, 2);
  Eigen::RowVectorXf bias = random_matrix(1, 4, 3).row(0);
  const RowMatrixF y = run_layer(conv, x, w, bias);
  REQUIRE(conv.out_shape == std::vector<std::size_t>{4, 4, 3});
  for (int b = 0; b < 2; ++b) {
    for (int o = 0; o < 4; ++o) {
      for (int oy = 0; oy < 4; ++oy) {
        for (int ox = 0; ox < 3; ++ox) {
          double acc = bias(o);
          for (int c = 0; c < 3; ++c) {
            for (int ky = 0; ky < 3; ++ky) {
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = oy * 2 + ky - 1, ix = ox * 2 + kx - 1;
                if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
                acc += static_cast<double>(x(b, (c * 7 + iy) * 6 + ix)) *
                       static_cast<double>(w((c * 3 + ky) * 3 + kx, o));
              }
            }
          }
          CHECK(y(b, (o * 4 + oy) * 3 + ox) == Approx(acc).margin(1e-5));
        }
      }
    }
  }
  // Max pooling with padding ignores the padded positions; average pooling
  // (no padding here) is the window mean.
  const auto& mp = net.layers[1];
  const RowMatrixF m = run_layer(mp, y);
  REQUIRE(mp.out_shape == std::vector<std::size_t>{4, 5, 4});
  for (int o = 0; o < 4; ++o) {
    for (int py = 0; py < 5; ++py) {
      for (int px = 0; px < 4; ++px) {
        float best = -1e30f;
        for (int ky = 0; ky < 2; ++ky) {
          for (int kx = 0; kx < 2; ++kx) {
            const int iy = py + ky - 1, ix = px + kx - 1;
            if (iy >= 0 && iy < 4 && ix >= 0 && ix < 3)
              best = std::max(best, y(1, (o * 4 + iy) * 3 + ix));
          }
        }
        CHECK(m(1, (o * 5 + py) * 4 + px) == best);
      }
    }
  }
  const auto& ap = net.layers[2];
  const RowMatrixF a = run_layer(ap, m);
  CHECK(a(0, 0) == Approx((m(0, 0) + m(0, 1) + m(0, 4) + m(0, 5)) / 4).margin(1e-6));
}

TEST_CASE("weights round-trip through .npy files in PyTorch's layout", "[arch][model]") {
  const auto net = parse_net({{"input", {2, 5, 5}},
                              {"layers",
                               {{{"type", "conv2d"}, {"out_channels", 3}, {"kernel", 3}},
                                {{"type", "flatten"}},
                                {{"type", "linear"}, {"out_features", 4}, {"bias", false}}}}});
  const auto w = nn::Weights::init(net, 5);
  const auto dir = std::filesystem::temp_directory_path() / "xbarsim_test_weights";
  std::filesystem::remove_all(dir);
  w.save(net, dir.string());
  const kit::NdArray file = kit::read_npy((dir / "conv2d_0.weight.npy").string(), "w");
  REQUIRE(file.shape == std::vector<std::size_t>{3, 2, 3, 3});
  // weight[o][c][ky][kx] is unrolled row (c·3 + ky)·3 + kx, column o.
  CHECK(file.data[((2 * 2 + 1) * 3 + 2) * 3 + 0] == Approx(w.layers[0].w((1 * 3 + 2) * 3 + 0, 2)));
  CHECK(kit::read_npy((dir / "linear_2.weight.npy").string(), "w").shape ==
        std::vector<std::size_t>{4, 27});
  CHECK_FALSE(std::filesystem::exists(dir / "linear_2.bias.npy"));
  const auto back = nn::Weights::load(net, dir.string());
  CHECK(back.layers[0].w == w.layers[0].w);
  CHECK(back.layers[0].b == w.layers[0].b);
  CHECK(back.layers[2].w == w.layers[2].w);
  // A file of the wrong shape is refused with its name.
  kit::write_npy((dir / "linear_2.weight.npy").string(),
                 kit::NdArray{{27, 4}, std::vector<double>(108)});
  CHECK_THROWS_WITH(nn::Weights::load(net, dir.string()),
                    Catch::Contains("linear_2.weight.npy") && Catch::Contains("(4, 27)"));
  std::filesystem::remove_all(dir);
  CHECK_THROWS_WITH(nn::Weights::load(net, dir.string()), Catch::Contains("does not exist"));
}

TEST_CASE("training is deterministic whatever the OpenMP thread count", "[arch][train]") {
  const auto net = parse_net({{"input", {1, 8, 8}},
                              {"layers",
                               {{{"type", "conv2d"}, {"out_channels", 2}, {"kernel", 3}},
                                {{"type", "relu"}},
                                {{"type", "maxpool"}, {"kernel", 2}},
                                {{"type", "flatten"}},
                                {{"type", "linear"}, {"out_features", 3}}}}});
  nn::Dataset data;
  data.x = random_matrix(96, 64, 7);
  // Class k adds a bright 3x3 blob at its own place in the noise.
  for (int k = 0; k < 96; ++k) {
    const int label = k % 3;
    data.labels.push_back(label);
    for (int dy = 0; dy < 3; ++dy) {
      for (int dx = 0; dx < 3; ++dx)
        data.x(k, (1 + 2 * label + dy) * 8 + 1 + 2 * label + dx) += 2.0f;
    }
  }
  nn::TrainSpec spec;
  spec.epochs = 6;
  spec.batch = 8;
  spec.weight_noise = 0.02;
  spec.shift_px = 0;  // the rule reads fixed pixels
  nn::TrainLog log1, log2;
  omp_set_num_threads(2);
  const auto a = nn::train(net, data, spec, log1);
  omp_set_num_threads(1);
  const auto b = nn::train(net, data, spec, log2);
  omp_set_num_threads(omp_get_num_procs());
  CHECK(a.layers[0].w == b.layers[0].w);
  CHECK(a.layers[4].w == b.layers[4].w);
  // It learns the rule (training accuracy), and the loss falls.
  CHECK(log1.accuracy.back() > 0.8);
  CHECK(log1.loss.back() < 0.5 * log1.loss.front());
}

TEST_CASE(
    "MNIST: LeNet-5 float accuracy, and ideal devices with 8-bit converters stay within "
    "0.5 points of it",
    "[arch][accuracy][mnist]") {
  const Json a = accuracy(lenet_run(ideal_tile(8)));
  const double fp = a.at("float").get<double>();
  CHECK(a.at("dataset").at("test_samples") == 2000);
  CHECK(fp >= 0.97);
  CHECK(std::abs(a.at("quantized").get<double>() - fp) <= 0.005);
  CHECK(std::abs(a.at("nonideal").at(0).at("mean").get<double>() - fp) <= 0.005);
}

TEST_CASE("MNIST: accuracy falls as the programming spread grows", "[arch][accuracy][mnist]") {
  std::vector<double> acc;
  for (const double sigma : {0.0, 1.0, 2.0}) {
    Json tile = ideal_tile(6);
    tile["device"] = {{"impl", "table"},
                      {"g_min_us", 1.0},
                      {"g_max_us", 40.0},
                      {"program_sigma_poly_us", {sigma}}};
    // The aligned top slice (1 bit on the lowest levels) feels the spread
    // most; "spread", the default, keeps 98 % at 2 uS (the next test).
    tile["mapping"]["msb_slice"] = "aligned";
    tile["evaluation"] = {{"trials", 2}, {"test_samples", 400}};
    acc.push_back(accuracy(lenet_run(tile)).at("nonideal").at(0).at("mean").get<double>());
  }
  INFO("accuracy at sigma 0, 1, 2 uS: " << acc[0] << ", " << acc[1] << ", " << acc[2]);
  CHECK(acc[0] > acc[1]);
  CHECK(acc[1] > acc[2] + 0.02);
}

TEST_CASE("MNIST: a spread top slice keeps 6-bit weights on 4-bit cells accurate",
          "[arch][accuracy][mnist]") {
  // 5 magnitude bits = 4 + 1: aligned, the top slice's digit is one level
  // step of 15 and a 2 µS programming error is ~5 % of its weight; spread,
  // the digit spans the window.
  auto run = [](const std::string& msb_slice) {
    Json tile = ideal_tile(6);
    tile["device"] = {
        {"impl", "table"}, {"g_min_us", 1.0}, {"g_max_us", 40.0}, {"program_sigma_poly_us", {2.0}}};
    tile["mapping"]["msb_slice"] = msb_slice;
    tile["evaluation"] = {{"trials", 2}, {"test_samples", 400}};
    return accuracy(lenet_run(tile)).at("nonideal").at(0).at("mean").get<double>();
  };
  const double aligned = run("aligned"), spread = run("spread");
  INFO("2 uS programming spread, 6-bit weights: aligned " << aligned << ", spread " << spread);
  CHECK(spread > aligned + 0.2);
  CHECK(spread > 0.9);
}

TEST_CASE("MNIST: noise-aware training keeps more accuracy under a programming spread",
          "[arch][accuracy][mnist]") {
  Json tile = ideal_tile(5);
  tile["device"] = {
      {"impl", "table"}, {"g_min_us", 1.0}, {"g_max_us", 40.0}, {"program_sigma_poly_us", {5.0}}};
  auto run = [&](double weight_noise) {
    tile["evaluation"] = {
        {"trials", 3}, {"test_samples", 500}, {"train", {{"weight_noise", weight_noise}}}};
    Json c = lenet_run(tile);
    c["evaluation"]["train"]["cache"] = test::kSource + "/data/weights";
    return accuracy(c).at("nonideal").at(0).at("mean").get<double>();
  };
  const double plain = run(0.0), aware = run(0.1);
  INFO("5 uS programming spread: plain training " << plain << ", weight noise 0.1 " << aware);
  CHECK(aware > plain + 0.01);
}

TEST_CASE("MNIST: drift compensation recovers PCM accuracy at one year",
          "[arch][accuracy][mnist]") {
  Json tile = ideal_tile(8);
  tile["device"] = {{"preset", "pcm_ibm"}};
  tile["read_noise"] = {{"mode", "output_referred"}};
  tile["drift_compensation"] = "global";
  tile["evaluation"] = {{"trials", 2}, {"test_samples", 500}, {"times_s", {31536000.0}}};
  const Json row = accuracy(lenet_run(tile)).at("nonideal").at(0);
  const double comp = row.at("mean").get<double>();
  const double raw = row.at("uncompensated").at("mean").get<double>();
  INFO("one year: compensated " << comp << ", uncompensated " << raw);
  CHECK(comp > raw + 0.02);
}

TEST_CASE(
    "MNIST: Monte Carlo: trial k is the same draw whatever the number of trials, and the standard "
    "error shrinks as 1/sqrt(trials)",
    "[arch][accuracy][mnist]") {
  // One slice (5-bit weights on 4-bit cells) with a 4 uS programming spread.
  Json tile = ideal_tile(5);
  tile["device"] = {
      {"impl", "table"}, {"g_min_us", 1.0}, {"g_max_us", 40.0}, {"program_sigma_poly_us", {4.0}}};
  auto run = [&](int trials) {
    tile["evaluation"] = {{"trials", trials}, {"test_samples", 300}};
    return accuracy(lenet_run(tile)).at("nonideal").at(0);
  };
  const Json few = run(4), many = run(16);
  for (std::size_t k = 0; k < 4; ++k) CHECK(many.at("trials")[k] == few.at("trials")[k]);
  // The trials are different draws, and their spread is a property of the
  // devices, not of how many were drawn: the standard error of the mean
  // falls by sqrt(16 / 4) = 2, within the sampling error of a 4-trial std
  // (whose 90 % interval is about 0.35 to 1.6 times the true std).
  const double sem_few = few.at("sem").get<double>(), sem_many = many.at("sem").get<double>();
  INFO("sem over 4 trials " << sem_few << ", over 16 trials " << sem_many);
  CHECK(sem_many > 0);
  CHECK(sem_few / sem_many > 1.0);
  CHECK(sem_few / sem_many < 4.0);
}

TEST_CASE("missing digits are a clear error that says how to get them", "[arch][accuracy]") {
  Json c = lenet_run(ideal_tile(8));
  c["evaluation"]["dataset"]["test_images"] = "/nonexistent/t10k-images-idx3-ubyte";
  CHECK_THROWS_AS(accuracy(c), kit::InputError);
  CHECK_THROWS_WITH(accuracy(c), Catch::Contains("evaluation.dataset.test_images") &&
                                     Catch::Contains("scripts/get_mnist.sh") &&
                                     Catch::Contains("./run"));
  // Fashion-MNIST's files name the Debian package they come from.
  c["evaluation"]["dataset"]["test_images"] =
      "/nonexistent/fashion-mnist/t10k-images-idx3-ubyte.gz";
  CHECK_THROWS_WITH(accuracy(c),
                    Catch::Contains("dataset-fashion-mnist") && !Catch::Contains("get_mnist"));
}

TEST_CASE("the accuracy job end to end on a few digits: report, trials and times, reproducible",
          "[arch][accuracy]") {
  // Users' own weights (random here: the job's paths, not the accuracy, are
  // under test), PCM with drift and compensation, two trials, two times.
  const auto net = parse_net({{"preset", "lenet5"}});
  const auto dir = std::filesystem::temp_directory_path() / "xbarsim_test_lenet_weights";
  nn::Weights::init(net, 3).save(net, dir.string());
  Json tile = ideal_tile(6);
  tile["device"] = {{"preset", "pcm_ibm"}};
  tile["read_noise"] = {{"mode", "output_referred"}};
  tile["drift_compensation"] = "per_column";
  tile["evaluation"] = {{"trials", 2}, {"test_samples", 40},        {"calibration_samples", 16},
                        {"batch", 16}, {"times_s", {1.0, 86400.0}}, {"weights", dir.string()}};
  const Json a = accuracy(lenet_run(tile));
  CHECK(a.at("weights").at("source") == "files");
  CHECK(a.at("dataset").at("test_samples") == 40);
  REQUIRE(a.at("nonideal").size() == 2);
  for (const auto& row : a.at("nonideal")) {
    REQUIRE(row.at("trials").size() == 2);
    REQUIRE(row.at("uncompensated").at("trials").size() == 2);
    for (const auto& v : row.at("trials")) CHECK((v >= 0.0 && v <= 1.0));
  }
  CHECK(a.at("nonideal")[1].at("t_s") == 86400.0);
  CHECK(a.at("energy_pj").at("measured").at("array").get<double>() > 0);
  CHECK(a.at("energy_pj").at("static").at("adc").get<double>() > 0);
  // Loading the network: every weight of the five matrix layers on 2 slices
  // (5 magnitude bits on 4-bit cells) of a differential pair, 4 crossbars per
  // block of 256 x 256: one block a layer, two for linear_7's 400 rows.
  const Json& p = a.at("programming");
  std::size_t weights = 0;
  for (const auto idx : net.matrix_layers()) {
    weights += net.layers[idx].rows() * net.layers[idx].cols();
  }
  CHECK(p.at("cells") == 4 * weights);
  CHECK(p.at("crossbars") == 4 * (net.matrix_layers().size() + 1));
  CHECK(p.at("pulses_per_cell").get<double>() > 0);
  CHECK(p.at("write_energy_pj").get<double>() > 0);
  const Json& load = p.at("write_time_ns");
  CHECK(load.at("all_crossbars_at_once").get<double>() > 0);
  CHECK(load.at("all_crossbars_at_once").get<double>() * 24 >=
        load.at("one_crossbar_at_a_time").get<double>());
  CHECK(load.at("all_crossbars_at_once") < load.at("one_crossbar_at_a_time"));
  // The same config gives the same numbers.
  const Json again = accuracy(lenet_run(tile));
  CHECK(again.at("nonideal") == a.at("nonideal"));
  CHECK(again.at("programming") == p);
  std::filesystem::remove_all(dir);
}

TEST_CASE("config check reads what the accuracy job will read, before any work",
          "[arch][accuracy]") {
  static const auto reg = jobs::make_registry();
  // A linear layer reading another directly gets negative inputs: an unsigned
  // DAC is refused, naming the layer, before training or any file is written.
  Json c = lenet_run(ideal_tile(8));
  c["network"] = {
      {"input", {784}},
      {"layers",
       {{{"type", "linear"}, {"out_features", 32}}, {{"type", "linear"}, {"out_features", 10}}}}};
  CHECK_THROWS_WITH(jobs::check_config(c, reg), Catch::Contains("dac.signed_drive") &&
                                                    Catch::Contains("linear_1") &&
                                                    Catch::Contains("it reads layer \"linear_0\""));
  c["dac"]["signed_drive"] = "differential";
  CHECK_NOTHROW(jobs::check_config(c, reg));

  // A weights directory whose files are named for other layers: the files
  // found and the names wanted are listed.
  const auto dir = std::filesystem::temp_directory_path() / "xbarsim_test_misnamed_weights";
  std::filesystem::create_directories(dir);
  kit::write_npy((dir / "fc1.weight.npy").string(),
                 kit::NdArray{{32, 784}, std::vector<double>(32 * 784)}, true);
  c["evaluation"]["weights"] = dir.string();
  CHECK_THROWS_WITH(jobs::check_config(c, reg),
                    Catch::Contains("fc1.weight.npy") && Catch::Contains("linear_0.weight.npy"));
  std::filesystem::remove_all(dir);

  // A dataset whose images do not fit the network's input.
  c["evaluation"]["weights"] = "";
  c["network"]["input"] = {100};
  CHECK_THROWS_WITH(jobs::check_config(c, reg), Catch::Contains("evaluation.dataset.test_images") &&
                                                    Catch::Contains("100 elements"));

  // A network whose tiles, all programmed at once, cannot fit in memory (a
  // 784 x 2^24 layer, 16-bit weights on 1-bit cells: tens of TB) is refused
  // with the figure, before the dataset is read or anything allocated.
  c["network"] = {{"input", {784}}, {"layers", {{{"type", "linear"}, {"out_features", 16777216}}}}};
  c["mapping"]["weight_bits"] = 16;
  c["mapping"]["bits_per_cell"] = 1;
  CHECK_THROWS_WITH(jobs::check_config(c, reg), Catch::Contains("the accuracy job (") &&
                                                    Catch::Contains("GB of memory") &&
                                                    Catch::Contains("evaluation.trials"));
}
