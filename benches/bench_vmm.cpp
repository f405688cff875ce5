// VMM throughput of one tile in each read mode, beside the float32 Eigen
// GEMM of the same shape (the limit). Items are VMMs (input vectors).
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include "core/arch/setup.h"
#include "core/arch/tile.h"
#include "core/kit/rng.h"

namespace {

using namespace xbarsim;

kit::NdArray random_matrix(std::size_t r, std::size_t c, const char* purpose) {
  kit::NdArray a{{r, c}, std::vector<double>(r * c)};
  kit::Stream(7, "bench", purpose).fill_normal(std::span<double>(a.data));
  return a;
}

void BM_EigenGemm(benchmark::State& state) {
  const auto n = state.range(0), batch = state.range(1);
  const Eigen::MatrixXf x = Eigen::MatrixXf::Random(batch, n), w = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf y(batch, n);
  for (auto _ : state) {
    y.noalias() = x * w;
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void tile_vmm(benchmark::State& state, const char* device, const char* noise) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  const kit::Registry registry = arch::make_registry();
  const kit::Json cfg = {{"array", {{"rows", n}, {"cols", n}}},
                         {"device", {{"preset", device}}},
                         {"mapping", {{"weight_bits", 0}}},
                         {"read_noise", {{"mode", noise}}},
                         {"drift_compensation", "none"}};
  arch::Tile tile(arch::TileSpec::parse(cfg, registry), registry);
  tile.program(random_matrix(n, n, "w"));
  const kit::NdArray x = random_matrix(batch, n, "x");
  for (auto _ : state) benchmark::DoNotOptimize(tile.vmm(x, 0.0).data.data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

void BM_TileIdeal(benchmark::State& s) { tile_vmm(s, "rram_wan", "off"); }
void BM_TileOutputReferred(benchmark::State& s) { tile_vmm(s, "rram_wan", "output_referred"); }
void BM_TilePerDevice(benchmark::State& s) { tile_vmm(s, "rram_wan", "per_device"); }
// PCM read noise depends on each device's state: the variance needs a second GEMM.
void BM_TileOutputReferredPcm(benchmark::State& s) { tile_vmm(s, "pcm_ibm", "output_referred"); }

void BM_Program(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const kit::Registry registry = arch::make_registry();
  const kit::Json cfg = {{"array", {{"rows", n}, {"cols", n}}},
                         {"device", {{"preset", "pcm_ibm"}}},
                         {"mapping", {{"weight_bits", 0}}},
                         {"drift_compensation", "none"}};
  arch::Tile tile(arch::TileSpec::parse(cfg, registry), registry);
  const kit::NdArray w = random_matrix(n, n, "w");
  for (auto _ : state) benchmark::DoNotOptimize(&tile.program(w));
  state.SetItemsProcessed(state.iterations());
}

void BM_FillNormal(benchmark::State& state) {
  const kit::Stream s(1, "bench", "normal");
  std::vector<float> out(static_cast<std::size_t>(state.range(0)));
  std::uint64_t first = 0;
  for (auto _ : state) {
    s.fill_normal(std::span<float>(out), first);
    first += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (const int n : {64, 128, 256, 512}) {
    for (const int batch : {1, 64, 256}) b->Args({n, batch});
  }
}

BENCHMARK(BM_EigenGemm)->Apply(sizes)->UseRealTime();
BENCHMARK(BM_TileIdeal)->Apply(sizes)->UseRealTime();
BENCHMARK(BM_TileOutputReferred)->Apply(sizes)->UseRealTime();
BENCHMARK(BM_TileOutputReferredPcm)->Apply(sizes)->UseRealTime();
BENCHMARK(BM_TilePerDevice)->Apply(sizes)->UseRealTime();
BENCHMARK(BM_FillNormal)->Arg(1 << 16);
BENCHMARK(BM_Program)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
