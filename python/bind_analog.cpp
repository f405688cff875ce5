// AnalogLayer: one matrix layer (conv2d or linear) on crossbar tiles, split
// into blocks exactly as the mapped network splits it (nn::MappedNetwork of
// a one-layer network), for the PyTorch bridge (xbarsim/torch.py).
#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>

#include "core/kit/error.h"
#include "core/nn/layer_blocks.h"
#include "core/nn/mapped_network.h"
#include "core/nn/network.h"
#include "core/nn/weights.h"
#include "core/tile/tile_spec.h"
#include "python/convert.h"

namespace xbarsim::python {
namespace {

class PyAnalogLayer {
 public:
  PyAnalogLayer(const py::object& layer, const std::vector<std::size_t>& input_shape,
                const py::array& weights, const py::object& bias, const py::object& config,
                std::uint64_t trial)
      : net_(nn::Network::parse({{"input", input_shape}, {"layers", {to_json(layer)}}}, "layer")),
        spec_(parse_tile_spec(config)) {
    const nn::Layer& l = net_.layers.at(0);
    if (net_.layers.size() != 1 || !l.matrix()) {
      throw kit::ConfigError("layer", "expected one conv2d or linear layer");
    }
    nn::LayerWeights lw;
    const kit::NdArray wn = to_nd(weights, "weights");
    if (wn.shape != std::vector<std::size_t>{l.rows(), l.cols()}) {
      throw kit::InputError(
          fmt::format("weights: shape {}; expected the {} x {} unrolled matrix "
                      "(rows: inputs in im2col order, columns: outputs)",
                      kit::shape_text(wn.shape), l.rows(), l.cols()));
    }
    lw.w = to_rows(weights, {l.cols()}, "weights");  // its rows as a batch: finite, float32
    if (!bias.is_none()) {
      if (!l.bias) throw kit::ConfigError("layer.bias", "a bias was given; set \"bias\": true");
      const auto b = bias.cast<py::array>();
      if (static_cast<std::size_t>(b.size()) != l.cols()) {
        throw kit::InputError(fmt::format("bias: {} values for {} outputs", b.size(), l.cols()));
      }
      lw.b = to_rows(b.attr("reshape")(1, -1), {l.cols()}, "bias").row(0);
    } else if (l.bias) {
      throw kit::ConfigError("layer.bias", "the layer has a bias and none was given");
    }
    weights_.layers = {std::move(lw)};
    py::gil_scoped_release release;
    mapped_ = std::make_unique<nn::MappedNetwork>(net_, weights_, spec_, registry(), trial);
  }

  py::array_t<float> run(const py::array& x_in, double t_s, bool compensate) {
    check_read_time(t_s);
    const nn::RowMatrixF x = to_rows(x_in, net_.input, "inputs");
    nn::RowMatrixF y;
    {
      py::gil_scoped_release release;
      y = mapped_->run(x, t_s, compensate);
    }
    return to_numpy(y);
  }
  py::array_t<float> calibrate(const py::array& x_in) {
    const nn::RowMatrixF x = to_rows(x_in, net_.input, "calibration inputs");
    nn::RowMatrixF y;
    {
      py::gil_scoped_release release;
      y = mapped_->calibrate(x);
    }
    return to_numpy(y);
  }
  py::dict actions() const { return from_json(mapped_->actions().to_json()); }
  py::list conductances(double t_s) const {
    check_read_time(t_s);
    const std::size_t rows = net_.layers[0].rows();  // per group: block b reads group v0 / rows
    py::list out;
    for (const auto& b : mapped_->blocks(0)) {
      std::map<std::string, kit::NdArray> g;
      {
        py::gil_scoped_release release;
        g = b.tile->conductances(t_s);
      }
      py::dict d;
      d["group"] = b.v0 / rows;
      d["rows"] = py::make_tuple(b.v0 % rows, b.v0 % rows + b.rows);
      d["cols"] = py::make_tuple(b.col0, b.col0 + b.cols);
      for (const auto& [k, v] : g) d[py::str(k)] = to_numpy(v);
      out.append(std::move(d));
    }
    return out;
  }
  py::dict info() const {
    const nn::Layer& l = net_.layers[0];
    const nn::BlockPlan plan = nn::block_plan(l, spec_.array.rows, spec_.weight_cols());
    return from_json({{"name", l.name},
                      {"type", l.type},
                      {"rows", l.rows()},
                      {"cols", l.cols()},
                      {"groups", l.groups},
                      {"vectors", l.vectors()},
                      {"blocks", plan.blocks()},
                      {"out_shape", l.out_shape}});
  }

 private:
  nn::Network net_;
  tile::TileSpec spec_;
  nn::Weights weights_;
  std::unique_ptr<nn::MappedNetwork> mapped_;  // reads net_, weights_, spec_
};

}  // namespace

void bind_analog(py::module_& m) {
  py::class_<PyAnalogLayer>(
      m, "AnalogLayer",
      R"(One conv2d or linear layer on crossbar tiles, split into array-sized blocks
as a mapped network splits it, each block's tile programmed with the device
draws of `trial`.

AnalogLayer(layer, input_shape, weights, bias, config, trial=0): layer is a
network layer dict ({"type": "linear", "out_features": 10} or a conv2d's
keys), input_shape its per-sample input ([C, H, W] or [N]), weights the
unrolled rows x cols matrix (rows: inputs, im2col order; columns: outputs),
bias one value per output or None, config a tile config (as Crossbar's).
xbarsim.torch builds these from torch modules.)")
      .def(py::init<const py::object&, const std::vector<std::size_t>&, const py::array&,
                    const py::object&, const py::object&, std::uint64_t>(),
           py::arg("layer"), py::arg("input_shape"), py::arg("weights"), py::arg("bias"),
           py::arg("config"), py::arg("trial") = 0)
      .def("run", &PyAnalogLayer::run, py::arg("inputs"), py::arg("t_s") = 0.0,
           py::arg("compensate") = true,
           "Outputs (batch, output elements), float32, read t_s seconds after programming, "
           "the bias added.")
      .def("calibrate", &PyAnalogLayer::calibrate, py::arg("inputs"),
           "Set every block's DAC/ADC ranges from these inputs, read right after programming; "
           "returns that read's outputs, through the ranges just set.")
      .def("conductances", &PyAnalogLayer::conductances, py::arg("t_s") = 0.0,
           "Each block's conductances (uS) t_s after programming: a list of dicts with the "
           "group, the unrolled weight rows [start, stop) and columns [start, stop) it holds, "
           "and its "
           "crossbars (g_pos/g_neg, or g/g_ref; _s<k> per slice), as Crossbar.conductances.")
      .def("actions", &PyAnalogLayer::actions,
           "What the tiles did since programming: counts, energy_pj by component, latency_ns.")
      .def_property_readonly("info", &PyAnalogLayer::info,
                             "name, type, rows, cols, groups, vectors, blocks, out_shape");
}

}  // namespace xbarsim::python
