// pybind11 bindings: configs as dicts or paths, arrays as numpy, errors as
// ValueError (bad input) or RuntimeError, the GIL released on long calls.
#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "arrays/circuit.h"
#include "core/jobs/registry_setup.h"
#include "core/jobs/run.h"
#include "core/jobs/schema.h"
#include "core/kit/error.h"
#include "core/kit/idx.h"
#include "core/kit/json.h"
#include "core/kit/version.h"
#include "core/sweep/sweep.h"
#include "core/tile/tile.h"

namespace py = pybind11;
using namespace xbarsim;

namespace {

const kit::Registry& registry() {
  // One registry per interpreter, built on first use and never mutated.
  static const kit::Registry r = jobs::make_registry();
  return r;
}

kit::Json to_json(const py::object& obj) {
  if (py::isinstance<py::str>(obj)) return kit::load_json_file(obj.cast<std::string>());
  const auto text = py::module_::import("json").attr("dumps")(obj).cast<std::string>();
  return kit::parse_json(text, "config dict");
}

py::object from_json(const kit::Json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

// Numbers only: numpy would coerce strings, dates and complex values (dropping
// the imaginary part) into float64 without a word; the CLI refuses them too.
kit::NdArray to_nd(const py::array& a_in, const char* what) {
  const char kind = a_in.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
    throw kit::InputError(std::string(what) + ": dtype " +
                          py::str(a_in.dtype()).cast<std::string>() +
                          " is not a real number type (use float, int or bool)");
  }
  py::array_t<double, py::array::c_style | py::array::forcecast> a(a_in);
  kit::NdArray out;
  for (py::ssize_t d = 0; d < a.ndim(); ++d)
    out.shape.push_back(static_cast<std::size_t>(a.shape(d)));
  out.data.assign(a.data(), a.data() + a.size());
  return out;
}

// A config's warnings as Python UserWarnings (filterable with `warnings`).
void warn_all(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    if (PyErr_WarnEx(PyExc_UserWarning, ("xbarsim: " + w).c_str(), 1) != 0) {
      throw py::error_already_set();
    }
  }
}

py::array_t<double> to_numpy(const kit::NdArray& a) {
  std::vector<py::ssize_t> shape(a.shape.begin(), a.shape.end());
  py::array_t<double> out(shape);
  std::copy(a.data.begin(), a.data.end(), out.mutable_data());
  return out;
}

// A circuit call's config and conductances, parsed and checked.
struct CircuitCall {
  kit::NdArray g;
  kit::MatrixShape gs;
  arrays::CircuitSpec circuit;
  arrays::SolverSpec solver;

  CircuitCall(const py::array& g_in, const py::object& c, const std::string& solver_impl)
      : g(to_nd(g_in, "conductances")), gs(kit::matrix_shape(g, "conductances", false)) {
    kit::Json cfg = to_json(c);
    if (!solver_impl.empty()) {
      registry().apply_overrides(cfg, {{"solver.impl", kit::Json(solver_impl)}});
    }
    const tile::TileSpec spec = tile::TileSpec::parse(cfg, registry());
    warn_all(spec.warnings);
    circuit = spec.checked_circuit(gs.rows, gs.cols, "conductances");
    solver = spec.solver_spec();
  }
};

class PyCrossbar {
 public:
  explicit PyCrossbar(const py::object& config) : tile_(parse_and_warn(config), registry()) {}

  // Every call takes the object's lock, with the GIL released while it waits
  // and works: one Crossbar shared by Python threads runs one call at a time
  // (a program() never interleaves with a vmm()); separate objects run in
  // parallel.
  py::dict program(const py::array& w) {
    const kit::NdArray wn = to_nd(w, "weights");
    {
      py::gil_scoped_release release;
      const std::lock_guard lock(mutex_);
      tile_.program(wn);
    }
    return program_report();
  }
  py::array_t<double> vmm(const py::array& x, double t_s, bool ideal) {
    check_time(t_s);
    const kit::NdArray xn = to_nd(x, "inputs");
    kit::NdArray y;
    {
      py::gil_scoped_release release;
      const std::lock_guard lock(mutex_);
      y = ideal ? tile_.vmm_ideal(xn) : tile_.vmm(xn, t_s);
    }
    return to_numpy(y);
  }
  py::dict conductances(double t_s) const {
    check_time(t_s);
    std::map<std::string, kit::NdArray> g;
    {
      py::gil_scoped_release release;
      const std::lock_guard lock(mutex_);
      g = tile_.conductances(t_s);
    }
    py::dict d;
    for (const auto& [k, v] : g) d[py::str(k)] = to_numpy(v);
    return d;
  }
  void calibrate(const py::array& x, double t_s) {
    check_time(t_s);
    const kit::NdArray xn = to_nd(x, "calibration inputs");
    py::gil_scoped_release release;
    const std::lock_guard lock(mutex_);
    tile_.calibrate(xn, t_s);
  }
  py::dict actions(bool total) const {
    return from_json(
        locked([&] { return (total ? tile_.total_actions() : tile_.last_actions()).to_json(); }));
  }
  py::dict costs() const {
    return from_json(locked([&] { return tile_.costs_json(); }));
  }
  py::dict program_report() const {
    return from_json(locked([&] { return tile_.program_report_json(); }));
  }
  py::dict config() const { return from_json(tile_.spec().to_json()); }

 private:
  static tile::TileSpec parse_and_warn(const py::object& config) {
    tile::TileSpec spec = tile::TileSpec::parse(to_json(config), registry());
    warn_all(spec.warnings);
    return spec;
  }
  static void check_time(double t_s) {
    if (!std::isfinite(t_s) || t_s < 0) {
      throw kit::InputError("t_s: " + std::to_string(t_s) +
                            " must be a finite time >= 0 s after programming");
    }
  }
  template <class F>
  kit::Json locked(F&& f) const {
    py::gil_scoped_release release;
    const std::lock_guard lock(mutex_);
    return f();
  }

  tile::Tile tile_;
  mutable std::mutex mutex_;
};

}  // namespace

PYBIND11_MODULE(_xbarsim, m) {
  m.doc() = "xbarsim native core: crossbar tiles, configs and the main job";
  m.attr("__version__") = kit::version();
  // Messages may quote raw input bytes, cut anywhere: decoded with
  // replacement characters, never lost to a UnicodeDecodeError.
  static py::exception<kit::ConfigError> config_error(m, "ConfigError", PyExc_ValueError);
  static py::exception<kit::InputError> input_error(m, "InputError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    const auto raise = [](PyObject* type, const char* what) {
      py::object text = py::reinterpret_steal<py::object>(
          PyUnicode_DecodeUTF8(what, static_cast<Py_ssize_t>(std::strlen(what)), "replace"));
      PyErr_SetObject(type, text.ptr());
    };
    try {
      if (p) std::rethrow_exception(p);
    } catch (const kit::ConfigError& e) {
      raise(config_error.ptr(), e.what());
    } catch (const kit::InputError& e) {
      raise(input_error.ptr(), e.what());
    } catch (const std::invalid_argument& e) {
      raise(PyExc_ValueError, e.what());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_MemoryError, "xbarsim: out of memory");
    } catch (const py::error_already_set&) {
      throw;
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const std::exception& e) {
      raise(PyExc_RuntimeError, e.what());
    }
  });

  py::class_<PyCrossbar>(m, "Crossbar",
                         R"(One tile: weights mapped onto devices, read through the pipeline.

Crossbar(config) takes a dict or the path of a JSON tile config (see
xbarsim.schema()). Conductances are in microsiemens; times in seconds
after programming.)")
      .def(py::init<const py::object&>(), py::arg("config") = py::dict())
      .def("program", &PyCrossbar::program, py::arg("weights"),
           "Map and program a rows x cols weight matrix; returns the programming report.")
      .def("vmm", &PyCrossbar::vmm, py::arg("inputs"), py::arg("t_s") = 0.0,
           py::arg("ideal") = false,
           "Y = X @ W for X of shape (batch, rows) [or (rows,)], read t_s seconds after "
           "programming.")
      .def("calibrate", &PyCrossbar::calibrate, py::arg("inputs"), py::arg("t_s") = 0.0,
           "Set the calibrated DAC/ADC ranges from these inputs (otherwise the first vmm's).")
      .def("actions", &PyCrossbar::actions, py::arg("total") = false,
           "What the last vmm (total=True: every vmm since programming) did and cost:\n"
           "counts (reads, DAC and ADC conversions, clipped, shift-adds, bits), energy_pj by\n"
           "component, latency_ns.")
      .def("costs", &PyCrossbar::costs,
           "Per-action energy, timing and area of the tile's DACs, ADCs and shift-adds.")
      .def("conductances", &PyCrossbar::conductances, py::arg("t_s") = 0.0,
           "Dict of conductance matrices (uS): g_pos/g_neg or g/g_ref, _s<k> per slice.")
      .def("program_report", &PyCrossbar::program_report,
           "Pulses, write energy (pJ) and time (ns), clipped weights, stuck cells: totals, and\n"
           "per crossbar under 'arrays' (named like conductances()).")
      .def_property_readonly("config", &PyCrossbar::config, "The resolved tile config.");

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
      "solve_circuit",
      [](const py::array& g_in, const py::array& v_in, const py::object& c,
         const std::string& solver, bool nodes) {
        const CircuitCall call(g_in, c, solver);
        const auto& gs = call.gs;
        const kit::NdArray v = to_nd(v_in, "voltages");
        const auto vs = kit::matrix_shape(v, "voltages", true);
        if (vs.cols != gs.rows) {
          throw kit::InputError(
              fmt::format("voltages: shape {} needs {} columns (one per row of the conductances)",
                          v.shape_text(), gs.rows));
        }
        arrays::check_circuit_inputs(call.circuit, call.g.data, v.data, vs.rows);
        warn_all(arrays::circuit_input_warnings(call.g.data, v.data));
        arrays::CircuitResult r;
        {
          py::gil_scoped_release release;
          r = arrays::make_circuit_solver(call.solver, call.circuit, call.g.data)
                  ->solve(v.data, vs.rows, nodes);
        }
        py::array_t<double> i = to_numpy(kit::NdArray{{vs.rows, gs.cols}, r.currents_a});
        if (!nodes) return py::object(i);
        const std::vector<std::size_t> shape = {vs.rows, gs.rows, gs.cols};
        py::dict d;
        d["currents"] = i;
        d["v_row"] = to_numpy(kit::NdArray{shape, r.v_row});
        d["v_col"] = to_numpy(kit::NdArray{shape, r.v_col});
        d["iterations"] = r.iterations;
        d["residual"] = r.residual;
        return py::object(d);
      },
      py::arg("conductances"), py::arg("voltages"), py::arg("config") = py::dict(),
      py::arg("solver") = "", py::arg("nodes") = false,
      R"(Column currents (A), batch x cols, of the crossbar circuit with conductances G (S,
rows x cols) driven by row voltages V (V, batch x rows), with the config's resistances.
solver: "ideal", "exact" or "fast" (default: config solver.impl). nodes=True returns a dict
with the currents and the row/column node voltages (batch x rows x cols).)");
  m.def(
      "effective_conductances",
      [](const py::array& g_in, const py::object& c, const std::string& solver) {
        const CircuitCall call(g_in, c, solver);
        arrays::check_circuit_inputs(call.circuit, call.g.data, {}, 0);
        warn_all(arrays::circuit_input_warnings(call.g.data, {}));
        std::vector<double> t;
        {
          py::gil_scoped_release release;
          t = arrays::effective_conductances(call.solver, call.circuit, call.g.data);
        }
        return to_numpy(kit::NdArray{{call.gs.rows, call.gs.cols}, t});
      },
      py::arg("conductances"), py::arg("config") = py::dict(), py::arg("solver") = "",
      R"(The effective conductance matrix T (S, rows x cols) of an ohmic crossbar with the
config's resistances: the column currents are I = V @ T for any row voltages V, IR drop
included. solver: "exact" or "fast" (both build T the same way: with row and column wires,
directly by nested dissection, exact to rounding) or "ideal" (T = G); default: the config's
solver.impl, whose own default is "ideal". Refused for nonlinear cells.)");
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
          dir = std::filesystem::path(spec.cast<std::string>()).parent_path().string();
        }
        py::list out;
        std::vector<sweep::SweepRow> rows;
        sweep::SweepSpec s;
        {
          py::gil_scoped_release release;
          s = sweep::SweepSpec::parse(sj, dir, registry());
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
}
