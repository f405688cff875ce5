// The architecture estimate of whole networks (parse, check, map, price), the
// work `xbarsim run` does for a network config beyond process start-up.
#include <benchmark/benchmark.h>

#include "core/jobs/registry_setup.h"
#include "core/jobs/run.h"

namespace {

using namespace xbarsim;

void ppa(benchmark::State& state, const char* network, std::size_t array) {
  const kit::Registry registry = jobs::make_registry();
  const kit::Json cfg = {{"array", {{"rows", array}, {"cols", array}}},
                         {"network", network},
                         {"mapping", {{"weight_bits", 8}, {"bits_per_cell", 2}}},
                         {"dac", {{"impl", "bit_serial"}, {"bits", 8}}},
                         {"adc", {{"impl", "sar"}, {"bits", 4}, {"share_columns", 8}}},
                         {"chip", {{"tiles", 4096}, {"replication", "auto"}}}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(jobs::run_prepared(jobs::prepare_job(cfg, registry), registry));
  }
}

void BM_PpaVgg8(benchmark::State& s) { ppa(s, "vgg8", 128); }
void BM_PpaResnet18(benchmark::State& s) { ppa(s, "resnet18", 256); }

BENCHMARK(BM_PpaVgg8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PpaResnet18)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
