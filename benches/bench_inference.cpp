// Functional inference of LeNet-5 on the MNIST test digits through the
// default config's tiles (configs/default.json): the float32 forward pass
// (the limit), every device and periphery effect without the circuit, and
// with the fast circuit solver in every array. One iteration = program every
// tile, calibrate the DAC/ADC ranges, read the whole test set once at t = 1 s.
//
//   build/benches/bench_inference [--images=N] [--random-weights] [benchmark flags]
//
// Needs data/mnist (./run or ./test fetch it) and the trained weights in
// data/weights (trained and cached on first use; --random-weights skips that,
// for smoke runs).
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "core/jobs/registry_setup.h"
#include "core/nn/dataset.h"
#include "core/nn/forward.h"
#include "core/nn/mapped_network.h"
#include "core/nn/train.h"

namespace {

using namespace xbarsim;

struct Fixture {
  kit::Registry registry = jobs::make_registry();
  kit::Json config;
  nn::Network net;
  nn::Dataset test, calib;
  nn::Weights weights;
};

std::size_t g_images = 2000;
bool g_random_weights = false;

Fixture& fixture() {
  static Fixture f = [] {
    Fixture x;
    const std::string root = XBARSIM_SOURCE_DIR;
    x.config = kit::load_json_file(root + "/configs/default.json");
    x.net = nn::Network::parse(x.config.at("network"), "network");
    const std::string d = root + "/data/mnist/";
    x.test = nn::Dataset::load(d + "t10k-images-idx3-ubyte", d + "t10k-labels-idx1-ubyte",
                               nn::Pixels{}, 784, 10, g_images, "test");
    const nn::Dataset train =
        nn::Dataset::load(d + "train-images-idx3-ubyte", d + "train-labels-idx1-ubyte",
                          nn::Pixels{}, 784, 10, 0, "train");
    x.calib.x = train.x.topRows(256);
    if (g_random_weights) {
      x.weights = nn::Weights::init(x.net, 1);
    } else {
      nn::TrainSpec spec;
      spec.cache = root + "/data/weights";
      kit::Json info;
      x.weights = nn::cached_training(
          x.net, train,
          nn::training_data_key(d + "train-images-idx3-ubyte", d + "train-labels-idx1-ubyte"), spec,
          info);
    }
    return x;
  }();
  return f;
}

void BM_Lenet5Float(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        nn::forward(f.net, f.weights, f.test.x, nn::float_product(f.net, f.weights)));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(f.test.size()));
}

void tiles(benchmark::State& state, bool circuit) {
  Fixture& f = fixture();
  kit::Json c = f.config;
  if (!circuit) c["solver"] = {{"impl", "ideal"}};
  const tile::TileSpec spec = tile::TileSpec::parse(c, f.registry);
  double accuracy = 0;
  for (auto _ : state) {
    nn::MappedNetwork m(f.net, f.weights, spec, f.registry, 0);
    m.calibrate(f.calib.x);
    peripherals::RowMatrixF y(f.test.x.rows(), 10);
    for (Eigen::Index b = 0; b < f.test.x.rows(); b += 50) {
      const Eigen::Index n = std::min<Eigen::Index>(50, f.test.x.rows() - b);
      y.middleRows(b, n) = m.run(peripherals::RowMatrixF(f.test.x.middleRows(b, n)), 1.0);
    }
    accuracy = f.test.accuracy(y);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(f.test.size()));
  state.counters["accuracy"] = accuracy;
}

void BM_Lenet5TilesNoCircuit(benchmark::State& s) { tiles(s, false); }
void BM_Lenet5TilesCircuit(benchmark::State& s) { tiles(s, true); }

BENCHMARK(BM_Lenet5Float)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Lenet5TilesNoCircuit)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_Lenet5TilesCircuit)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  // Our own flags first, then Google Benchmark's.
  int kept = 1;
  for (int k = 1; k < argc; ++k) {
    if (std::strncmp(argv[k], "--images=", 9) == 0) {
      g_images = std::stoul(argv[k] + 9);
    } else if (std::strcmp(argv[k], "--random-weights") == 0) {
      g_random_weights = true;
    } else {
      argv[kept++] = argv[k];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
