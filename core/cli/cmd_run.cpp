// `xbarsim run`: the main job on a config (default: the embedded one).
#include <fmt/format.h>
#include <unistd.h>

#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/kit/io.h"

namespace xbarsim::cli {
namespace {

// Engineering-style number: 3 significant digits.
std::string num(double v) { return fmt::format("{:.3g}", v); }

void print_architecture(const kit::Json& report) {
  const auto& ppa = report.at("ppa");
  const auto& c = report.at("config");
  const auto& t = ppa.at("totals");
  fmt::print("xbarsim run: {}\n", report.at("job").get<std::string>());
  fmt::print(
      "  network {}, arrays {}x{} of {} ({} mapping, {} weight bits), DAC {}, ADC {}, {} nm\n",
      ppa.at("network").get<std::string>(), c["array"]["rows"].get<int>(),
      c["array"]["cols"].get<int>(), c["device"]["impl"].get<std::string>(),
      c["mapping"]["impl"].get<std::string>(), c["mapping"]["weight_bits"].get<int>(),
      converter_label(c["dac"]), converter_label(c["adc"]), c["node_nm"].get<double>());
  if (c.contains("layers")) {  // the layers with tiles of their own ("layers" overrides)
    std::string own;
    for (const auto& [name, o] : c.at("layers").items()) {
      std::string keys;
      for (const auto& [k, v] : o.items()) keys += (keys.empty() ? "" : ", ") + k;
      own += fmt::format("{}{} ({})", own.empty() ? "" : "; ", name,
                         o.contains("digital") ? "digital"
                         : keys.empty()        ? "as above"
                                               : keys);
    }
    fmt::print("  per-layer tiles: {}\n", own);
  }
  fmt::print("  chip: {} tiles used of {} ({} chip(s)), {} PEs x {} arrays per tile, {} schedule\n",
             t["tiles_used"].get<std::size_t>(), t["tiles"].get<std::size_t>(),
             t["chips"].get<double>(), c["tile"]["pes"].get<int>(), c["pe"]["arrays"].get<int>(),
             c["chip"]["schedule"].get<std::string>());
  if (ppa.contains("snn")) {  // a spiking chip: what each step's counts assume
    const auto& s = ppa.at("snn");
    std::string rates;
    for (const auto& l : s.at("layers")) {
      if (l.contains("rate_per_step")) {
        rates += fmt::format("{}{} {:g}", rates.empty() ? "" : ", ",
                             l.at("layer").get<std::string>(), l.at("rate_per_step").get<double>());
      }
    }
    fmt::print("  spiking: {} steps, {} coding, {:g} {} neurons; spikes per step: input {:g}, {}\n",
               s.at("steps").get<std::size_t>(), s.at("coding").get<std::string>(),
               s.at("neurons").get<double>(), s.at("neuron").at("impl").get<std::string>(),
               c["snn"]["input_rate"].get<double>(), rates);
  }
  fmt::print("\n");
  fmt::print("  {:<14} {:>11} {:>7} {:>6} {:>5} {:>10} {:>10} {:>9} {:>9} {:>9} {:>10}\n", "layer",
             "rows x cols", "arrays", "util", "reps", "energy nJ", "array", "ADC", "DAC", "other",
             "latency µs");
  for (const auto& l : ppa.at("layers")) {
    const auto& e = l.at("energy_pj");
    const double tot = e["total"].get<double>();
    const double other =
        tot - e["array"].get<double>() - e["adc"].get<double>() - e["dac"].get<double>();
    fmt::print(
        "  {:<14} {:>11} {:>7} {:>6} {:>5} {:>10} {:>10} {:>9} {:>9} {:>9} {:>10}\n",
        l.at("name").get<std::string>().substr(0, 14),
        l.contains("rows")
            ? fmt::format("{}x{}", l["rows"].get<std::size_t>(), l["cols"].get<std::size_t>())
            : l.at("type").get<std::string>(),
        l.contains("arrays") ? std::to_string(l["arrays"].get<std::size_t>())
        : l.contains("on")   ? "digital"
                             : "",
        l.contains("utilization") ? fmt::format("{:.0f}%", 100 * l["utilization"].get<double>())
                                  : "",
        l.contains("replicas") ? std::to_string(l["replicas"].get<std::size_t>()) : "",
        num(tot * 1e-3), num(e["array"].get<double>() * 1e-3), num(e["adc"].get<double>() * 1e-3),
        num(e["dac"].get<double>() * 1e-3), num(other * 1e-3),
        num(l.at("latency_ns").get<double>() * 1e-3));
  }
  const auto& e = t.at("energy_pj");
  // The chip-level terms, so the column of layer energies adds up to the total.
  const double leak = e.value("leakage", 0.0);
  fmt::print("  {:<14} {:>11} {:>7} {:>6} {:>5} {:>10} {:>10} {:>9} {:>9} {:>9} {:>10}\n",
             "leakage", "chip", "", "", "", num(leak * 1e-3), "", "", "", num(leak * 1e-3), "");
  fmt::print("  {:<14} {:>11} {:>7} {:>6} {:>5} {:>10} {:>10} {:>9} {:>9} {:>9} {:>10}\n", "total",
             "", "", "", "", num(e["total"].get<double>() * 1e-3),
             num(e.value("array", 0.0) * 1e-3), num(e.value("adc", 0.0) * 1e-3),
             num(e.value("dac", 0.0) * 1e-3),
             num((e["total"].get<double>() - e.value("array", 0.0) - e.value("adc", 0.0) -
                  e.value("dac", 0.0)) *
                 1e-3),
             num(t["latency_ns"].get<double>() * 1e-3));
  fmt::print("\n  energy per inference: {} nJ (", num(e["total"].get<double>() * 1e-3));
  bool first = true;
  for (const auto& [k, v] : e.items()) {
    if (k == "total") continue;
    fmt::print("{}{} {}", first ? "" : ", ", k, num(v.get<double>() * 1e-3));
    first = false;
  }
  fmt::print(")\n");
  fmt::print("  latency {} µs, interval {} µs ({} inferences/s)\n",
             num(t["latency_ns"].get<double>() * 1e-3), num(t["interval_ns"].get<double>() * 1e-3),
             num(t["inferences_per_s"].get<double>()));
  fmt::print("  {} TOPS, {} TOPS/W, {} TOPS/mm² ({} on the tiles used), area {} mm² (",
             num(t["tops"].get<double>()), num(t["tops_per_w"].get<double>()),
             num(t["tops_per_mm2"].get<double>()), num(t["tops_per_mm2_tiles_used"].get<double>()),
             num(t["area_mm2"]["total"].get<double>()));
  first = true;
  for (const auto& [k, v] : t.at("area_mm2").items()) {
    if (k == "total") continue;
    fmt::print("{}{} {}", first ? "" : ", ", k, num(v.get<double>()));
    first = false;
  }
  fmt::print(")\n  {}\n", ppa.at("notes").at("ops").get<std::string>());
  if (report.contains("measured") && report.at("measured").contains("tops_per_w")) {
    const auto& m = report.at("measured");
    const auto& tw = m.at("tops_per_w");
    fmt::print("\n  {} beside simulated: TOPS/W {} against {} simulated ({:.2f}x)",
               m.at("kind").get<std::string>(), num(tw["measured"].get<double>()),
               num(tw["simulated"].get<double>()), tw["ratio"].get<double>());
    if (m.contains("energy_pj")) {
      const auto& me = m.at("energy_pj");
      fmt::print("; energy {} nJ against {} nJ ({:.2f}x)", num(me["measured"].get<double>() * 1e-3),
                 num(me["simulated"].get<double>() * 1e-3), me["ratio"].get<double>());
    }
    fmt::print("\n    source: {}\n    scope: {}\n", m.at("source").get<std::string>(),
               m.at("scope").get<std::string>());
  }
}

std::string duration(double s) {
  if (s < 3600) return fmt::format("{:g} s", s);
  if (s < 86400) return fmt::format("{:g} h", s / 3600);
  if (s < 31536000) return fmt::format("{:g} d", s / 86400);
  return fmt::format("{:g} y", s / 31536000);
}

std::string percent(const kit::Json& stat) {
  return fmt::format("{:.2f} ± {:.2f}", 100 * stat.at("mean").get<double>(),
                     100 * stat.at("std").get<double>());
}

void print_accuracy(const kit::Json& a) {
  const auto& d = a.at("dataset");
  const auto& w = a.at("weights");
  fmt::print("\n  accuracy on {} test samples of {} (ranges calibrated on {} training samples)\n",
             d["test_samples"].get<std::size_t>(), d["test"].get<std::string>(),
             d["calibration_samples"].get<std::size_t>());
  if (w.at("source") == "trained") {
    const auto& log = w.at("log");
    fmt::print("  weights: trained ({:.1f} s{}), {}\n", log["seconds"].get<double>(),
               w.value("cached", false) ? ", from the cache" : "", w.value("dir", std::string()));
  } else if (w.at("source") == "onnx") {
    fmt::print("  weights: the ONNX model's, {}\n", w.at("file").get<std::string>());
  } else {
    fmt::print("  weights: {}\n", w.at("dir").get<std::string>());
  }
  fmt::print("  {:<34} {:>8.2f} %\n", "float32", 100 * a.at("float").get<double>());
  fmt::print("  {:<34} {:>8.2f} %\n", "quantized only (ideal devices)",
             100 * a.at("quantized").get<double>());
  const bool comp = a.at("drift_compensation").get<bool>();
  const std::size_t trials = a.at("nonideal").at(0).at("trials").size();
  fmt::print("  nonideal, {} trial(s), mean ± std %:\n", trials);
  fmt::print("    {:>10} {:>18}{}\n", "t", comp ? "compensated" : "",
             comp ? fmt::format(" {:>18}", "uncompensated") : std::string());
  for (const auto& row : a.at("nonideal")) {
    fmt::print("    {:>10} {:>18}{}\n", duration(row.at("t_s").get<double>()), percent(row),
               comp ? fmt::format(" {:>18}", percent(row.at("uncompensated"))) : std::string());
  }
  const auto& e = a.at("energy_pj");
  fmt::print("  tile energy per inference, nJ    {:>9} {:>9} {:>9} {:>9}\n", "array", "DAC", "ADC",
             "shift-add");
  for (const char* k : {"measured", "static"}) {
    if (!e.contains(k)) continue;
    const auto& m = e.at(k);
    fmt::print("    {:<30} {:>9} {:>9} {:>9} {:>9}\n",
               std::string(k) + (std::string(k) == "measured" ? " (test data)" : " (model)"),
               num(m["array"].get<double>() * 1e-3), num(m["dac"].get<double>() * 1e-3),
               num(m["adc"].get<double>() * 1e-3), num(m["shift_add"].get<double>() * 1e-3));
  }
  const auto& p = a.at("programming");
  fmt::print(
      "  loading the network (trial 0): {} cells on {} crossbars, {:.2f} pulses/cell, {} "
      "verify failures, {:.3g} nJ, {:.3g} ms one crossbar at a time ({:.3g} ms all at once)\n",
      p["cells"].get<std::size_t>(), p["crossbars"].get<std::size_t>(),
      p["pulses_per_cell"].get<double>(), p["verify_failures"].get<std::size_t>(),
      p["write_energy_pj"].get<double>() * 1e-3,
      p["write_time_ns"]["one_crossbar_at_a_time"].get<double>() * 1e-6,
      p["write_time_ns"]["all_crossbars_at_once"].get<double>() * 1e-6);
  fmt::print("  ADC conversions clipped: {:.2f} %; accuracy job took {:.1f} s\n",
             100 * e.at("adc_clipped_fraction").get<double>(),
             a.at("seconds").at("total").get<double>());
}

// The SNN block: accuracy and energy per inference at each T, the ANN's beside.
void print_snn(const kit::Json& s) {
  const auto& n = s.at("neuron");
  fmt::print(
      "\n  SNN ({} coding, {} neurons, thresholds at the {:g}th percentile), accuracy % and "
      "energy per inference:\n",
      s.at("coding").get<std::string>(), n.at("impl").get<std::string>(),
      s.at("threshold_percentile").get<double>());
  const auto& nonideal = s.at("nonideal");
  std::string head = fmt::format("    {:>6} {:>8} {:>9}", "T", "float", "quantized");
  for (const auto& row : nonideal) {
    head += fmt::format(" {:>16}", "nonideal " + duration(row.at("t_s").get<double>()));
  }
  fmt::print("{} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}\n", head, "spikes/img", "array nJ", "DAC nJ",
             "ADC nJ", "neuron nJ", "total nJ");
  const auto& steps = s.at("steps");
  for (std::size_t k = 0; k < steps.size(); ++k) {
    std::string line =
        fmt::format("    {:>6} {:>8.2f} {:>9.2f}", steps[k].get<std::size_t>(),
                    100 * s.at("float")[k].get<double>(), 100 * s.at("quantized")[k].get<double>());
    for (const auto& row : nonideal) {
      line += fmt::format(" {:>16}",
                          fmt::format("{:.2f} ± {:.2f}", 100 * row.at("mean")[k].get<double>(),
                                      100 * row.at("std")[k].get<double>()));
    }
    const auto& e = s.at("energy_pj")[k];
    double spikes = 0;
    for (const auto& l : s.at("spikes").at("layers")) {
      if (l.contains("gate")) continue;  // passes its population's spikes on
      spikes += l.at("spikes_per_neuron")[k].get<double>() * l.at("neurons").get<double>();
    }
    fmt::print("{} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}\n", line, num(spikes),
               num(e["array"].get<double>() * 1e-3), num(e["dac"].get<double>() * 1e-3),
               num(e["adc"].get<double>() * 1e-3), num(e["neurons"].get<double>() * 1e-3),
               num(e["total"].get<double>() * 1e-3));
  }
  const auto& ann = s.at("ann");
  const auto& ae = ann.at("energy_pj");
  // The ANN's energies under the SNN's columns (after the spikes column).
  fmt::print("    {:<{}} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
             fmt::format("ANN on the same chip: {:.2f} %", 100 * ann.at("accuracy").get<double>()),
             head.size() - 4 + 11, num(ae["array"].get<double>() * 1e-3),
             num(ae["dac"].get<double>() * 1e-3), num(ae["adc"].get<double>() * 1e-3), "-",
             num(ae["total"].get<double>() * 1e-3));
  fmt::print("  (DAC energy per row pulse for both; neurons {:.3g} mm²; SNN took {:.1f} s)\n",
             s.at("neuron_area_mm2").get<double>(), s.at("seconds").at("total").get<double>());
  for (const auto& w : s.at("warnings")) fmt::print("  warning: {}\n", w.get<std::string>());
}

}  // namespace

Action add_run_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "run",
      "Run the main job on CONFIG (default: configs/default.json, embedded: LeNet-5 on the MNIST\n"
      "digits in data/mnist on an RRAM chip).\n"
      "With a \"network\" node (a zoo name, an ONNX model such as model.onnx, or a layer list;\n"
      "docs/onnx.md): map the network onto the configured chip and print energy,\n"
      "latency, TOPS, TOPS/W, TOPS/mm² (of the chip and of the tiles used) and area per layer\n"
      "and in total (measured figures beside simulated\n"
      "ones when the config has them, e.g. configs/chips/neurram.json). With an \"evaluation\"\n"
      "node too: run the network on its dataset (MNIST, \"fashion-mnist\" or IDX files) through\n"
      "the tiles (weights from the ONNX model, from evaluation.weights, or trained once and\n"
      "cached) and print accuracy in float32, with\n"
      "quantization only, and with every configured nonideality at each evaluation.times_s,\n"
      "with and without drift compensation, over evaluation.trials device draws; and the tile\n"
      "energy measured on the data beside the estimate, and the write-verify energy and time\n"
      "of loading the network (docs/accuracy.md); with evaluation.snn too, the same network\n"
      "converted to spiking neurons and read step by step on the same tiles: accuracy and\n"
      "energy per inference at each number of time steps beside the ANN's (docs/snn.md).\n"
      "Progress goes to\n"
      "stderr on a terminal. --set evaluation=null runs the estimate alone.\n"
      "Without a network (e.g. configs/tile_demo.json): a tile programmed with seeded random\n"
      "weights, read through its DAC/ADC at each evaluation.times_s; prints the programming\n"
      "cost, energy and latency per VMM, and the VMM error against the exact product.\n"
      "Examples: xbarsim run --set evaluation.trials=8\n"
      "          xbarsim run --set network=vgg8 --set chip.tiles=256 --set evaluation=null\n"
      "          xbarsim run --set network=model.onnx --set evaluation.dataset=fashion-mnist");
  struct Opts {
    std::string config, output;
    std::vector<std::string> sets;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("CONFIG", o->config, "config file (JSON)");
  cmd->add_option("--output,-o", o->output,
                  "write the JSON report here (checked before the job starts); \"-\" writes "
                  "only the JSON to stdout");
  cmd->add_option("--set", o->sets, "override a config key: path=value (repeatable)");
  cmd->add_flag("--quiet,-q", o->quiet, "print no tables (warnings and errors still go to stderr)");
  return [o, &registry]() {
    // Everything is read and checked before any work: the config (warnings
    // printed now), the output path.
    const kit::Json config = load_config(o->config, o->sets, registry);
    if (config.contains("base") &&
        (config.contains("grid") || config.contains("zip") || config.contains("random"))) {
      throw kit::InputError("'" + o->config +
                            "' is a sweep spec (it has \"base\" and grid/zip/random); run it "
                            "with: xbarsim sweep " +
                            o->config);
    }
    const jobs::PreparedJob job = jobs::prepare_job(config, registry);  // every check first
    print_warnings(job.warnings);
    if (!o->output.empty()) kit::require_writable(o->output, "--output");
    const bool tables = !o->quiet && o->output != "-";
    const kit::Json report =
        jobs::run_prepared(job, registry, tables && isatty(STDERR_FILENO) != 0);
    if (!o->output.empty()) write_json(o->output, report);  // before any table
    if (!tables) return 0;
    if (report.contains("ppa")) {
      print_architecture(report);
      if (report.contains("accuracy")) {
        print_accuracy(report.at("accuracy"));
        if (report.at("accuracy").contains("snn")) print_snn(report.at("accuracy").at("snn"));
      }
      if (!o->output.empty()) fmt::print("\n  report written to {}\n", o->output);
      return 0;
    }
    const auto& c = report.at("config");
    fmt::print("xbarsim run: {}\n", report.at("job").get<std::string>());
    fmt::print(
        "  tile {}x{}, device {}{}, mapping {} ({} weight bits, {} bits/cell), read noise {},"
        " drift compensation {}\n",
        c["array"]["rows"].get<int>(), c["array"]["cols"].get<int>(),
        c["device"]["impl"].get<std::string>(),
        c["device"].contains("preset")
            ? " (preset " + c["device"]["preset"].get<std::string>() + ")"
            : std::string(),
        c["mapping"]["impl"].get<std::string>(), c["mapping"]["weight_bits"].get<int>(),
        c["mapping"]["bits_per_cell"].get<int>(), c["read_noise"]["mode"].get<std::string>(),
        c["drift_compensation"].get<std::string>());
    const auto& p = report.at("programming").at(0);
    fmt::print(
        "  programming (trial 0): {} cells, {:.2f} pulses/cell, {} verify failures, "
        "{} stuck, {:.3g} nJ, {:.3g} ms\n",
        p["cells"].get<std::size_t>(), p["pulses_per_cell"].get<double>(),
        p["verify_failures"].get<std::size_t>(),
        p["stuck_lrs"].get<std::size_t>() + p["stuck_hrs"].get<std::size_t>(),
        p["write_energy_pj"].get<double>() * 1e-3, p["write_time_ns"].get<double>() * 1e-6);
    fmt::print("  periphery: DAC {}, ADC {}, node {:g} nm\n", converter_label(c["dac"]),
               converter_label(c["adc"]), c["node_nm"].get<double>());
    fmt::print("  weight quantization alone: relative RMS error {:.4f}\n",
               report.at("quantization_rel_rms_error").get<double>());
    const auto& e = report.at("per_vmm").at("energy_pj");
    fmt::print(
        "  per VMM (model): {:.4g} pJ = array {:.4g} + DAC {:.4g} + ADC {:.4g} + shift-add {:.4g};"
        " {:.4g} ns; {:.2f}% of conversions clipped\n",
        e["total"].get<double>(), e["array"].get<double>(), e["dac"].get<double>(),
        e["adc"].get<double>(), e["shift_add"].get<double>(),
        report.at("per_vmm").at("latency_ns").get<double>(),
        100 * report.at("per_vmm").at("adc_clipped_fraction").get<double>());
    fmt::print("\n  {:>12}  {:>22}  {:>22}\n", "time after", "VMM rel. RMS error", "output gain");
    fmt::print("  {:>12}  {:>22}  {:>22}\n", "programming", "mean ± std", "mean ± std");
    for (const auto& row : report.at("vmm")) {
      const double t = row["t_s"].get<double>();
      const std::string when = duration(t);
      fmt::print("  {:>12}  {:>12.4f} ± {:<7.4f}  {:>12.4f} ± {:<7.4f}\n", when,
                 row["rel_rms_error"]["mean"].get<double>(),
                 row["rel_rms_error"]["std"].get<double>(),
                 row["output_gain"]["mean"].get<double>(), row["output_gain"]["std"].get<double>());
    }
    if (!o->output.empty()) fmt::print("\n  report written to {}\n", o->output);
    return 0;
  };
}

}  // namespace xbarsim::cli
