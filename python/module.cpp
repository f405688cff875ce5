// pybind11 bindings: configs as dicts or paths, arrays as numpy, errors as
// ValueError (bad input) or RuntimeError, the GIL released on long calls.
// This file registers the module and its exceptions; the bindings are in
// bind_tile.cpp, bind_circuit.cpp, bind_jobs.cpp and bind_network.cpp (shared helpers:
// convert.h).
#include <pybind11/pybind11.h>

#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>

#include "core/kit/error.h"
#include "core/kit/memory.h"
#include "core/kit/version.h"
#include "python/convert.h"

using namespace xbarsim;
namespace py = pybind11;

PYBIND11_MODULE(_xbarsim, m) {
  m.doc() = "xbarsim native core: crossbar tiles, configs and the main job";
  m.attr("__version__") = kit::version();
  kit::reuse_freed_memory();  // the importing process keeps freed memory for reuse (memory.h)
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

  python::bind_tile(m);
  python::bind_circuit(m);
  python::bind_jobs(m);
  python::bind_network(m);
  python::bind_analog(m);
}
