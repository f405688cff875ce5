// Configs, the schema, presets, the main job, sweeps and IDX files.
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "core/jobs/config_paths.h"
#include "core/jobs/device_fit.h"
#include "core/jobs/in_situ.h"
#include "core/jobs/run.h"
#include "core/jobs/schema.h"
#include "core/jobs/sensitivity.h"
#include "core/kit/idx.h"
#include "core/sweep/sweep.h"
#include "python/convert.h"

namespace xbarsim::python {

void bind_jobs(py::module_& m) {
  m.def(
      "check_config",
      [](const py::object& c) { return from_json(jobs::check_config(to_json(c), registry())); },
      py::arg("config"),
      "Validate a config (tile; with a network, also the chip and the mapping); return it "
      "resolved (defaults filled).");
  m.def(
      "schema", []() { return from_json(jobs::full_schema(registry())); },
      "Every component, variant and parameter (type, default, unit, doc).");
  m.def(
      "presets",
      []() {
        py::dict d;
        for (const auto& [n, p] : registry().presets("device")) d[py::str(n)] = from_json(p);
        return d;
      },
      "Device presets by name, each with its source.");
  m.def(
      "read_idx", [](const std::string& path) { return to_numpy(kit::read_idx(path, "IDX file")); },
      py::arg("path"), "An IDX file (MNIST's format) as a float64 array of its shape.");
  m.def(
      "sweep",
      [](const py::object& spec, const std::string& output, bool resume, int jobs,
         const std::string& base_dir) {
        const kit::Json sj = to_json(spec);
        std::string dir = base_dir;
        if (dir.empty() && py::isinstance<py::str>(spec)) {
          dir = jobs::config_dir(spec.cast<std::string>());
        }
        py::list out;
        std::vector<sweep::SweepRow> rows;
        sweep::SweepSpec s;
        {
          py::gil_scoped_release release;
          s = sweep::SweepSpec::parse(sj, dir, registry(), false, jobs);
          sweep::SweepOptions opts;
          opts.csv = output;
          opts.resume = resume;
          opts.threads = jobs;
          rows = sweep::run_sweep(s, opts, registry());
        }
        for (const auto& r : rows) {
          kit::Json params = kit::Json::object(), metrics = kit::Json::object();
          for (std::size_t k = 0; k < s.params.size(); ++k) params[s.params[k]] = r.values[k];
          for (std::size_t k = 0; k < s.metrics.size(); ++k) metrics[s.metrics[k]] = r.metrics[k];
          out.append(from_json({{"point", r.index},
                                {"seed", r.seed},
                                {"hash", r.hash},
                                {"params", params},
                                {"metrics", metrics},
                                {"status", r.status},
                                {"error", r.error}}));
        }
        return out;
      },
      py::arg("spec"), py::arg("output") = "", py::arg("resume") = false, py::arg("jobs") = 1,
      py::arg("base_dir") = "",
      "Run a sweep (dict or path, as for `xbarsim sweep`); returns one dict per point run\n"
      "(params, metrics, status, error). output: also append the CSV there (resume=True\n"
      "skips its finished points); jobs: points at once; base_dir resolves a relative base.");
  m.def(
      "run",
      [](const py::object& c) {
        const kit::Json cfg = to_json(c);
        kit::Json report;
        {
          py::gil_scoped_release release;
          report = jobs::run_job(cfg, registry());
        }
        return from_json(report);
      },
      py::arg("config"), "Run the main job on a config dict or path; return the report dict.");
  m.def(
      "sensitivity",
      [](const py::object& c, const std::vector<std::string>& effects,
         const std::vector<int>& adc_bits, double max_drop) {
        const kit::Json cfg = to_json(c);
        jobs::SensitivitySpec spec;
        spec.effects = effects;
        spec.adc_bits = adc_bits;
        spec.max_drop = max_drop / 100;
        kit::Json report;
        {
          py::gil_scoped_release release;
          report = jobs::run_sensitivity(cfg, spec, registry(), false);
        }
        return from_json(report);
      },
      py::arg("config"), py::arg("effects") = jobs::SensitivitySpec().effects,
      py::arg("adc_bits") = std::vector<int>{}, py::arg("max_drop") = 1.0,
      "The layer-sensitivity study (`xbarsim sensitivity`) on a config dict or path with an\n"
      "evaluation: per matrix layer, accuracy with only it nonideal and with all but it\n"
      "nonideal, its energy and area shares; with adc_bits, a per-layer ADC precision within\n"
      "max_drop accuracy points of the configured chip. Returns the report dict.");
  m.def(
      "train_in_situ",
      [](const py::object& c) {
        const kit::Json cfg = to_json(c);
        kit::Json report;
        {
          py::gil_scoped_release release;
          report = jobs::run_in_situ(cfg, registry(), false);
        }
        return from_json(report);
      },
      py::arg("config"),
      "In-situ training (`xbarsim train`) of a config dict or path with a network, an\n"
      "evaluation (the dataset) and an in_situ node: the network learns on its devices by\n"
      "programming pulses. Returns the report dict (per epoch accuracy, pulses, write energy\n"
      "and time; per layer pulses per device; device trajectories).");
  m.def(
      "fit_device",
      [](const std::string& data, const std::string& model, const std::string& relaxation,
         int degree, double t0_s, std::size_t nodes, const std::string& source) {
        jobs::FitRequest q;
        q.data = data;
        q.model = model;
        q.source = source;
        q.nodes = nodes;
        q.table.relaxation_csv = relaxation;
        q.table.degree = degree;
        q.table.t0_s = t0_s;
        jobs::FitResult r;
        {
          py::gil_scoped_release release;
          r = jobs::fit_preset(q, registry());
        }
        return from_json(r.preset);
      },
      py::arg("data"), py::arg("model") = "soft_bounds", py::arg("relaxation") = "",
      py::arg("degree") = 2, py::arg("t0_s") = 1.0, py::arg("nodes") = 9, py::arg("source") = "",
      "`xbarsim device fit`: an update law (model soft_bounds, exp_step, neurosim, piecewise)\n"
      "fitted to a pulse-response CSV, or the table device (model \"table\") fitted to a\n"
      "programming CSV and optionally a relaxation CSV. Returns the preset dict (usable as\n"
      "in_situ.update or device), with its fit record.");
}

}  // namespace xbarsim::python
