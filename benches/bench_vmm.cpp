// VMM throughput of one tile in each read mode, beside the float32 Eigen
// GEMM of the same shape (the limit). Items are VMMs (input vectors).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <Eigen/Core>

#include "arrays/circuit.h"
#include "core/jobs/registry_setup.h"
#include "core/kit/gemm.h"
#include "core/kit/rng.h"
#include "core/tile/bit_table.h"
#include "core/tile/tile.h"

namespace {

using namespace xbarsim;

kit::NdArray random_matrix(std::size_t r, std::size_t c, const char* purpose) {
  kit::NdArray a{{r, c}, std::vector<double>(r * c)};
  kit::Stream(7, "bench", purpose).fill_normal(std::span<double>(a.data));
  return a;
}

// The reference: Eigen's float32 GEMM, threaded as the tile's own products are
// (kit::gemm: fixed 64-row blocks over the OpenMP threads).
void BM_EigenGemm(benchmark::State& state) {
  const auto n = state.range(0), batch = state.range(1);
  const Eigen::MatrixXf x = Eigen::MatrixXf::Random(batch, n), w = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf y(batch, n);
  for (auto _ : state) {
    kit::gemm(y, x, w);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

// periphery: {"dac": ..., "adc": ...} nodes (ideal when absent). Inputs are
// uniform in [0, 1) (activations after a ReLU).
void tile_vmm(benchmark::State& state, const char* device, const char* noise,
              const kit::Json& periphery = kit::Json::object()) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  const kit::Registry registry = jobs::make_registry();
  kit::Json cfg = {{"array", {{"rows", n}, {"cols", n}}},
                   {"device", {{"preset", device}}},
                   {"mapping", {{"weight_bits", 0}}},
                   {"read_noise", {{"mode", noise}}},
                   {"drift_compensation", "none"}};
  cfg.update(periphery);
  tile::Tile tile(tile::TileSpec::parse(cfg, registry), registry);
  tile.program(random_matrix(n, n, "w"));
  kit::NdArray x{{batch, n}, std::vector<double>(batch * n)};
  kit::Stream(7, "bench", "x").fill_uniform(std::span<double>(x.data));
  for (auto _ : state) benchmark::DoNotOptimize(tile.vmm(x, 0.0).data.data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
  state.counters["pJ_per_VMM"] = tile.last_actions().energy_pj() / static_cast<double>(batch);
}

void BM_TileIdeal(benchmark::State& s) { tile_vmm(s, "rram_wan", "off"); }
void BM_TileOutputReferred(benchmark::State& s) { tile_vmm(s, "rram_wan", "output_referred"); }
void BM_TilePerDevice(benchmark::State& s) { tile_vmm(s, "rram_wan", "per_device"); }
// PCM read noise depends on each device's state: the variance needs a second GEMM.
void BM_TileOutputReferredPcm(benchmark::State& s) { tile_vmm(s, "pcm_ibm", "output_referred"); }

// The full periphery: 8-bit bit-serial DAC (eight reads), 8-bit SAR ADC.
void BM_TilePipeline(benchmark::State& s) {
  tile_vmm(s, "rram_wan", "output_referred",
           {{"dac", {{"impl", "bit_serial"}, {"bits", 8}, {"signed_drive", "none"}}},
            {"adc", {{"impl", "sar"}, {"bits", 8}}}});
}

// Thread scaling: the same cases with the OpenMP (and Eigen) thread count as
// the third argument.
template <void (*Case)(benchmark::State&)>
void threads(benchmark::State& s) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(static_cast<int>(s.range(2)));
  Case(s);
  omp_set_num_threads(saved);
}
void scaling(benchmark::internal::Benchmark* b) {
  for (const int batch : {64, 256}) {
    for (const int t : {1, 2}) b->Args({256, batch, t});
  }
  b->ArgNames({"n", "batch", "threads"});
}

// Ternary planes (n rows of 0/1 bits) times an n x n matrix: the lookup
// tables against the GEMM of the same shape.
void BM_BitPlaneTable(benchmark::State& state) {
  const auto n = state.range(0), rows = state.range(1);
  const Eigen::MatrixXf w = Eigen::MatrixXf::Random(n, n);
  const tile::BitPlaneTable table(w);
  peripherals::RowMatrixF v =
      (peripherals::RowMatrixF::Random(rows, n).array() > 0.0f).cast<float>().matrix();
  Eigen::MatrixXf out;
  for (auto _ : state) {
    table.multiply(v, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
void BM_BitPlaneGemm(benchmark::State& state) {
  const auto n = state.range(0), rows = state.range(1);
  const Eigen::MatrixXf w = Eigen::MatrixXf::Random(n, n);
  peripherals::RowMatrixF v =
      (peripherals::RowMatrixF::Random(rows, n).array() > 0.0f).cast<float>().matrix();
  Eigen::MatrixXf out(rows, n);
  for (auto _ : state) {
    out.noalias() = v * w;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * rows);
}

void BM_Program(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const kit::Registry registry = jobs::make_registry();
  const kit::Json cfg = {{"array", {{"rows", n}, {"cols", n}}},
                         {"device", {{"preset", "pcm_ibm"}}},
                         {"mapping", {{"weight_bits", 0}}},
                         {"drift_compensation", "none"}};
  tile::Tile tile(tile::TileSpec::parse(cfg, registry), registry);
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

// Crossbar circuit, rows = cols = n, conductances 1-40 µS, 1 Ω wires, 1T1R.
arrays::CircuitSpec bench_circuit(std::size_t n, double v0) {
  arrays::CircuitSpec c;
  c.rows = c.cols = n;
  c.r_wire_row_ohm = c.r_wire_col_ohm = 1.0;
  c.r_access_ohm = 5e3;
  c.iv_v0_v = v0;
  return c;
}

std::vector<double> bench_conductances(std::size_t n) {
  std::vector<double> g(n * n);
  kit::Stream(3, "bench", "g").fill_uniform(std::span<double>(g));
  for (auto& v : g) v = (1.0 + 39.0 * v) * 1e-6;
  return g;
}

// Set-up of the effective matrix T for ohmic cells: what a tile does
// (nested dissection), and the batched PCG with one unit input per row that
// it replaced (kept for comparison).
void BM_CircuitSetup(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto c = bench_circuit(n, 0.0);
  const auto g = bench_conductances(n);
  arrays::SolverSpec s;
  s.impl = "exact";
  for (auto _ : state) benchmark::DoNotOptimize(arrays::effective_conductances(s, c, g).data());
}
void BM_CircuitSetupPcg(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  arrays::SolverSpec s;
  s.impl = "fast";
  const auto solver = arrays::make_circuit_solver(s, bench_circuit(n, 0.0), bench_conductances(n));
  for (auto _ : state) benchmark::DoNotOptimize(solver->transfer_matrix(n).data());
}

// The batched iterative solve on its own (nonlinear cells, V0 = 0.25 V, 0.2 V reads).
void BM_CircuitFastNonlinear(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  arrays::SolverSpec s;
  s.impl = "fast";
  const auto solver = arrays::make_circuit_solver(s, bench_circuit(n, 0.25), bench_conductances(n));
  std::vector<double> v(batch * n);
  kit::Stream(4, "bench", "v").fill_uniform(std::span<double>(v));
  for (auto& x : v) x *= 0.2;
  for (auto _ : state) benchmark::DoNotOptimize(solver->solve(v, batch, false).currents_a.data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
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
BENCHMARK(BM_TilePipeline)->Apply(sizes)->UseRealTime();
BENCHMARK(threads<BM_EigenGemm>)->Name("Threads/Gemm")->Apply(scaling)->UseRealTime();
BENCHMARK(threads<BM_TileIdeal>)->Name("Threads/Ideal")->Apply(scaling)->UseRealTime();
BENCHMARK(threads<BM_TileOutputReferred>)
    ->Name("Threads/OutputReferred")
    ->Apply(scaling)
    ->UseRealTime();
BENCHMARK(threads<BM_TilePerDevice>)->Name("Threads/PerDevice")->Apply(scaling)->UseRealTime();
BENCHMARK(threads<BM_TilePipeline>)->Name("Threads/Pipeline")->Apply(scaling)->UseRealTime();
BENCHMARK(BM_FillNormal)->Arg(1 << 16);
BENCHMARK(BM_BitPlaneTable)->Args({256, 2048})->UseRealTime();
BENCHMARK(BM_BitPlaneGemm)->Args({256, 2048})->UseRealTime();
BENCHMARK(BM_CircuitSetup)
    ->Arg(64)
    ->Arg(128)
    ->Arg(256)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CircuitSetupPcg)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CircuitFastNonlinear)
    ->Args({64, 64})
    ->Args({256, 64})
    ->Args({512, 64})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Program)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
