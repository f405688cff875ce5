#include "python/convert.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/jobs/config_paths.h"
#include "core/jobs/registry_setup.h"
#include "core/kit/error.h"

namespace xbarsim::python {

const kit::Registry& registry() {
  static const kit::Registry r = jobs::make_registry();
  return r;
}

kit::Json to_json(const py::object& obj) {
  if (py::isinstance<py::str>(obj)) {
    // A config file's paths are the file's (core/jobs/config_paths.h).
    const auto file = obj.cast<std::string>();
    kit::Json j = kit::load_json_file(file);
    jobs::anchor_paths(j, jobs::config_dir(file));
    return j;
  }
  const auto text = py::module_::import("json").attr("dumps")(obj).cast<std::string>();
  return kit::parse_json(text, "config dict");
}

py::object from_json(const kit::Json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

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

Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> to_rows(
    const py::array& a, const std::vector<std::size_t>& shape, const char* what) {
  const kit::NdArray x = to_nd(a, what);
  std::size_t elements = 1;
  for (const auto d : shape) elements *= d;
  if (x.shape.empty() || x.shape[0] == 0 || x.data.size() != x.shape[0] * elements) {
    throw kit::InputError(
        fmt::format("{}: shape {}; expected a batch of inputs of shape {} ({} "
                    "elements each)",
                    what, kit::shape_text(x.shape), kit::shape_text(shape), elements));
  }
  for (const double v : x.data) {
    if (!std::isfinite(v)) throw kit::InputError(std::string(what) + ": not finite (NaN or inf)");
  }
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m(
      static_cast<Eigen::Index>(x.shape[0]), static_cast<Eigen::Index>(elements));
  for (Eigen::Index k = 0; k < m.size(); ++k) {
    m.data()[k] = static_cast<float>(x.data[static_cast<std::size_t>(k)]);
  }
  return m;
}

py::array_t<float> to_numpy(
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& y) {
  py::array_t<float> out({static_cast<py::ssize_t>(y.rows()), static_cast<py::ssize_t>(y.cols())});
  std::copy(y.data(), y.data() + y.size(), out.mutable_data());
  return out;
}

tile::TileSpec parse_tile_spec(const py::object& config) {
  tile::TileSpec spec = tile::TileSpec::parse(to_json(config), registry());
  warn_all(spec.warnings);
  return spec;
}

void check_read_time(double t_s) {
  if (!std::isfinite(t_s) || t_s < 0) {
    throw kit::InputError("t_s: " + std::to_string(t_s) +
                          " must be a finite time >= 0 s after programming");
  }
}

}  // namespace xbarsim::python
