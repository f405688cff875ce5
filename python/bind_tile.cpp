// The Crossbar class: one tile, its calls serialised by a per-object lock
// with the GIL released.
#include <pybind11/stl.h>

#include <cmath>
#include <map>
#include <mutex>
#include <string>

#include "core/kit/error.h"
#include "core/tile/tile.h"
#include "python/convert.h"

namespace xbarsim::python {
namespace {

class PyCrossbar {
 public:
  explicit PyCrossbar(const py::object& config) : tile_(parse_tile_spec(config), registry()) {}

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
    check_read_time(t_s);
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
    check_read_time(t_s);
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
    check_read_time(t_s);
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

void bind_tile(py::module_& m) {
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
}

}  // namespace xbarsim::python
