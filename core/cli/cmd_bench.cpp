// `xbarsim bench`: VMM throughput of the user's own tile, beside the float32
// Eigen GEMM of the same shape measured in the same process.
#include <fmt/format.h>

#include <Eigen/Core>
#include <chrono>

#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/kit/rng.h"
#include "core/tile/tile.h"

namespace xbarsim::cli {
namespace {

// Calls f repeatedly for at least `seconds`; returns calls per second.
template <class F>
double rate(double seconds, F&& f) {
  using Clock = std::chrono::steady_clock;
  f();  // warm-up (caches, lazily built state)
  std::size_t calls = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    f();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return static_cast<double>(calls) / elapsed;
}

}  // namespace

Action add_bench_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "bench",
      "VMM/s of a tile (the config's array, device, mapping, read noise, DAC, ADC and solver) on\n"
      "random weights and inputs in [0, 1), beside the float32 GEMM of the same shape in the\n"
      "same run; and the model's energy and latency per VMM.");
  struct Opts {
    std::string config;
    std::vector<std::string> sets;
    std::size_t batch = 64;
    double seconds = 1.0, time_s = 0.0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config,-c", o->config, "tile config (JSON); default: the embedded default");
  cmd->add_option("--set", o->sets, "override a config key, e.g. array.rows=512 (repeatable)");
  cmd->add_option("--batch,-b", o->batch, "input vectors per VMM call")
      ->check(CLI::Range(1, 65536));
  cmd->add_option("--seconds", o->seconds, "measuring time per case")
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--time-s", o->time_s, "read time after programming (drift)")
      ->check(CLI::NonNegativeNumber);
  return [o, &registry]() {
    const auto spec = tile::TileSpec::parse(load_config(o->config, o->sets, registry), registry);
    print_warnings(spec.warnings);
    const std::size_t rows = spec.array.rows, cols = spec.array.cols;
    kit::NdArray w{{rows, cols}, std::vector<double>(rows * cols)};
    kit::NdArray x{{o->batch, rows}, std::vector<double>(o->batch * rows)};
    kit::Stream(spec.seed, "bench", "weights").fill_normal(std::span<double>(w.data));
    kit::Stream(spec.seed, "bench", "inputs").fill_uniform(std::span<double>(x.data));
    tile::Tile tile(spec, registry);
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    tile.program(w);
    const double program_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    const double tile_rate = rate(o->seconds, [&] { (void)tile.vmm(x, o->time_s); });
    const Eigen::MatrixXf xf = Eigen::MatrixXf::Random(static_cast<Eigen::Index>(o->batch),
                                                       static_cast<Eigen::Index>(rows));
    const Eigen::MatrixXf wf =
        Eigen::MatrixXf::Random(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    Eigen::MatrixXf yf(xf.rows(), wf.cols());
    const double gemm_rate = rate(o->seconds, [&] { yf.noalias() = xf * wf; });
    const double b = static_cast<double>(o->batch);
    fmt::print("tile {} x {}, batch {}, device {}, read noise {}, solver {}, dac {}, adc {}\n",
               rows, cols, o->batch, spec.device.at("impl").get<std::string>(),
               spec.resolved.at("read_noise").at("mode").get<std::string>(),
               spec.solver.at("impl").get<std::string>(), spec.dac.at("impl").get<std::string>(),
               spec.adc.at("impl").get<std::string>());
    fmt::print("  programming (incl. the state after it): {:.3g} ms\n", program_ms);
    fmt::print("  tile VMM:   {:>12.0f} VMM/s\n", tile_rate * b);
    fmt::print("  float GEMM: {:>12.0f} VMM/s  (same shape, same run)\n", gemm_rate * b);
    fmt::print("  ratio:      {:>12.3f}\n", tile_rate / gemm_rate);
    // The model's cost of one VMM (the last batch), by component.
    const auto& a = tile.last_actions();
    fmt::print(
        "  energy per VMM: {:.4g} pJ (array {:.4g}, DAC {:.4g}, ADC {:.4g}, shift-add {:.4g})\n",
        a.energy_pj() / b, a.array_pj / b, a.dac_pj / b, a.adc_pj / b, a.shift_add_pj / b);
    fmt::print("  latency per VMM: {:.4g} ns (vectors one after another)\n", a.latency_ns / b);
    return 0;
  };
}

}  // namespace xbarsim::cli
