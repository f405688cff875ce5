#include "core/jobs/tile_job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/gemm.h"
#include "core/kit/io.h"
#include "core/kit/parallel.h"
#include "core/kit/rng.h"
#include "core/kit/stats.h"
#include "core/tile/tile.h"

namespace xbarsim::jobs {

std::vector<kit::ParamInfo> evaluation_params() {
  using namespace kit;
  return {
      int_param("batch", 256, 1, 1 << 16, "input vectors per VMM"),
      number_list_param("times_s", {0.0, 3600.0, 86400.0, 31536000.0}, "s",
                        "read times after programming (drift)"),
      int_param("trials", 4, 1, 10000, "Monte Carlo device draws (each reprograms the tile)"),
      choice_param("weights", "gaussian", {"gaussian", "uniform"},
                   "distribution of the random weight matrix (rows x cols of the array)"),
  };
}

namespace {

double rel_rms(const kit::NdArray& y, const kit::NdArray& ref) {
  double num = 0, den = 0;
  for (std::size_t k = 0; k < y.data.size(); ++k) {
    num += (y.data[k] - ref.data[k]) * (y.data[k] - ref.data[k]);
    den += ref.data[k] * ref.data[k];
  }
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

double mean_ratio(const kit::NdArray& y, const kit::NdArray& ref) {
  // Least-squares gain of y against ref: shows drift as a systematic shrink.
  double num = 0, den = 0;
  for (std::size_t k = 0; k < y.data.size(); ++k) {
    num += y.data[k] * ref.data[k];
    den += ref.data[k] * ref.data[k];
  }
  return den > 0 ? num / den : 1.0;
}

}  // namespace

TileDemoPlan plan_tile_demo(const kit::Json& config, const tile::TileSpec& spec) {
  const kit::Json eval_node = config.contains("evaluation") && !config.at("evaluation").is_null()
                                  ? config.at("evaluation")
                                  : kit::Json::object();
  TileDemoPlan plan;
  plan.eval = kit::resolve_params(eval_node, "evaluation", evaluation_params());
  plan.batch = plan.eval.at("batch").get<std::size_t>();
  plan.trials = plan.eval.at("trials").get<std::size_t>();
  plan.times_s = plan.eval.at("times_s").get<std::vector<double>>();
  if (plan.times_s.empty() || plan.times_s.size() > kMaxReadTimes) {
    throw kit::ConfigError("evaluation.times_s", fmt::format("give 1 to {} read times, not {}",
                                                             kMaxReadTimes, plan.times_s.size()));
  }
  for (std::size_t k = 0; k < plan.times_s.size(); ++k) {
    if (!(plan.times_s[k] >= 0) || !std::isfinite(plan.times_s[k])) {
      throw kit::ConfigError("evaluation.times_s[" + std::to_string(k) + "]",
                             "must be a finite time >= 0 s");
    }
  }
  // Trials run two at a time (one per core); each holds a tile and the batch.
  const std::size_t rows = spec.array.rows, cols = spec.array.cols;
  const double side_by_side = static_cast<double>(std::min<std::size_t>(plan.trials, 2));
  const double bytes = side_by_side * spec.memory_bytes(rows, cols, plan.batch) +
                       8.0 * static_cast<double>(rows * cols + 3 * plan.batch * (rows + cols));
  kit::require_memory(
      bytes,
      fmt::format("the tile job ({} x {} array, {} weight bits on {}-bit cells, "
                  "batch {})",
                  rows, cols, spec.mapping.weight_bits, spec.mapping.bits_per_cell, plan.batch),
      "use a smaller array (array.rows, array.cols), fewer slices "
      "(mapping.weight_bits / bits_per_cell) or a smaller evaluation.batch");
  return plan;
}

kit::Json run_tile_demo(const kit::Json& config, const kit::Registry& registry) {
  tile::TileSpec spec = tile::TileSpec::parse(config, registry);
  const TileDemoPlan plan = plan_tile_demo(config, spec);
  const kit::Json& eval = plan.eval;
  spec.resolved["evaluation"] = eval;
  const std::size_t batch = plan.batch, trials = plan.trials;
  const std::vector<double>& times = plan.times_s;
  const bool gaussian = eval.at("weights").get<std::string>() == "gaussian";
  const std::size_t rows = spec.array.rows, cols = spec.array.cols;

  // Weights and inputs are the same in every trial; only device draws change.
  const kit::Stream wstream(spec.seed, "demo", "weights"), xstream(spec.seed, "demo", "inputs");
  kit::NdArray w{{rows, cols}, std::vector<double>(rows * cols)};
  if (gaussian) {
    wstream.fill_normal(std::span<double>(w.data));
  } else {
    wstream.fill_uniform(std::span<double>(w.data));
    for (auto& v : w.data) v = 2 * v - 1;
  }
  kit::NdArray x{{batch, rows}, std::vector<double>(batch * rows)};
  xstream.fill_uniform(std::span<double>(x.data));  // non-negative activations in (0, 1)

  // Every trial is a fresh device draw; trials run side by side (oneTBB),
  // each with serial OpenMP inside, and are gathered in trial order.
  struct Trial {
    kit::Json program, cost, periphery;
    std::vector<double> err, gain;
    kit::NdArray y_quant;
  };
  const kit::NdArray y_ideal = kit::matmul(x, w);
  std::vector<Trial> results(trials);
  auto run_trial = [&](std::size_t trial) {
    Trial& r = results[trial];
    tile::TileSpec ts = spec;
    ts.seed = kit::Stream(spec.seed, "demo", "trial_seed", trial).block(0)[0];
    tile::Tile tile(ts, registry);
    tile.program(w);
    r.program = tile.program_report_json();
    if (trial == 0) {
      const auto wq = tile.mapping().quantized(w.data, rows, cols);
      r.y_quant = kit::matmul(x, kit::NdArray{{rows, cols}, wq});
    }
    for (std::size_t k = 0; k < times.size(); ++k) {
      const auto y = tile.vmm(x, times[k]);
      r.err.push_back(rel_rms(y, y_ideal));
      r.gain.push_back(mean_ratio(y, y_ideal));
      if (trial == 0 && k == 0) {
        // What one VMM costs in this tile (the first batch; data dependent).
        const auto& a = tile.last_actions();
        const double b = static_cast<double>(batch);
        r.cost = {{"energy_pj",
                   {{"total", a.energy_pj() / b},
                    {"array", a.array_pj / b},
                    {"dac", a.dac_pj / b},
                    {"adc", a.adc_pj / b},
                    {"shift_add", a.shift_add_pj / b}}},
                  {"latency_ns", a.latency_ns / b},
                  {"adc_clipped_fraction",
                   a.adc_conversions > 0
                       ? static_cast<double>(a.adc_clipped) / static_cast<double>(a.adc_conversions)
                       : 0.0}};
        r.periphery = tile.costs_json();
      }
    }
  };
  kit::run_trials(trials, run_trial);
  kit::Json per_time = kit::Json::array();
  std::vector<std::vector<double>> err(times.size()), gain(times.size());
  kit::Json program = kit::Json::array();
  for (const auto& r : results) {
    program.push_back(r.program);
    for (std::size_t k = 0; k < times.size(); ++k) {
      err[k].push_back(r.err[k]);
      gain[k].push_back(r.gain[k]);
    }
  }
  const kit::NdArray& y_quant = results.front().y_quant;
  const kit::Json& cost = results.front().cost;
  const kit::Json& periphery = results.front().periphery;
  auto mean_sd = [](const std::vector<double>& v) {
    const kit::Summary s = kit::summarize(v);
    return kit::Json{{"mean", s.mean}, {"std", s.std}};
  };
  for (std::size_t k = 0; k < times.size(); ++k) {
    per_time.push_back(
        {{"t_s", times[k]}, {"rel_rms_error", mean_sd(err[k])}, {"output_gain", mean_sd(gain[k])}});
  }
  return {{"job", "single-tile VMM accuracy (random weights and inputs)"},
          {"config", spec.resolved},
          {"shape", {{"batch", batch}, {"rows", rows}, {"cols", cols}}},
          {"quantization_rel_rms_error", rel_rms(y_quant, y_ideal)},
          {"programming", program},
          {"vmm", per_time},
          {"per_vmm", cost},
          {"periphery", periphery}};
}

}  // namespace xbarsim::jobs
