#pragma once
// What every binding shares: the one registry, configs between Python and
// JSON, numpy arrays in (real numbers only) and out, warnings as
// UserWarnings.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <Eigen/Core>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/ndarray.h"
#include "core/kit/registry.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::python {

namespace py = pybind11;

// One registry per interpreter, built on first use and never mutated.
const kit::Registry& registry();
// A config given as a dict (or anything json.dumps takes) or as a file path.
kit::Json to_json(const py::object& obj);
py::object from_json(const kit::Json& j);
// Numbers only: numpy would coerce strings, dates and complex values
// (dropping the imaginary part) into float64 without a word; the CLI
// refuses them too.
kit::NdArray to_nd(const py::array& a_in, const char* what);
py::array_t<double> to_numpy(const kit::NdArray& a);
// A batch of inputs, (batch, *shape) or (batch, elements), as float32 rows;
// an empty batch, another size or a value that is not finite is an
// InputError naming `what` and the shape expected.
Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> to_rows(
    const py::array& a, const std::vector<std::size_t>& shape, const char* what);
py::array_t<float> to_numpy(
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& y);
// A config's warnings as Python UserWarnings (filterable with `warnings`).
void warn_all(const std::vector<std::string>& warnings);
// A tile config (dict or path) parsed, its warnings raised as UserWarnings.
tile::TileSpec parse_tile_spec(const py::object& config);
// Refuses a read time that is not finite and >= 0 s after programming.
void check_read_time(double t_s);

// The bindings, one file each.
void bind_tile(py::module_& m);     // bind_tile.cpp: Crossbar
void bind_circuit(py::module_& m);  // bind_circuit.cpp: solve_circuit, effective_conductances
void bind_jobs(py::module_& m);     // bind_jobs.cpp: configs, schema, presets, run, sweep, read_idx
void bind_network(py::module_& m);  // bind_network.cpp: Network
void bind_analog(py::module_& m);   // bind_analog.cpp: AnalogLayer

}  // namespace xbarsim::python
