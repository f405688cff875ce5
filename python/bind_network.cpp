// Network: a network (zoo name, ONNX model or layer list) with its float
// forward pass, its layers and MAC counts.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>

#include "core/kit/error.h"
#include "core/nn/forward.h"
#include "core/nn/network.h"
#include "core/nn/weights.h"
#include "python/convert.h"

namespace xbarsim::python {
namespace {

class PyNetwork {
 public:
  PyNetwork(const py::object& node, const std::string& weights)
      : net_(nn::Network::parse(
            py::isinstance<py::str>(node) ? kit::Json(node.cast<std::string>()) : to_json(node),
            "network")) {
    if (net_.weights && !weights.empty()) {
      throw kit::ConfigError("weights", "the ONNX model brings its weights; leave weights empty");
    }
    if (!weights.empty()) {
      weights_ = std::make_shared<nn::Weights>(nn::Weights::load(net_, weights));
    } else {
      weights_ = net_.weights;
    }
  }

  // x: (batch, *input shape) or (batch, input elements).
  py::array_t<float> forward(const py::array& x_in) const {
    if (!weights_) {
      throw kit::InputError(
          "this network has no weights: give Network(..., weights=DIR) or an "
          "ONNX model");
    }
    const nn::RowMatrixF xm = to_rows(x_in, net_.input, "inputs");
    nn::RowMatrixF y;
    {
      py::gil_scoped_release release;
      y = nn::forward(net_, *weights_, xm, nn::float_product(net_, *weights_));
    }
    return to_numpy(y);
  }

  py::list layers() const {
    py::list out;
    for (const nn::Layer& l : net_.layers) {
      kit::Json j = {{"name", l.name}, {"type", l.type}, {"out_shape", l.out_shape}};
      kit::Json in = kit::Json::array();
      for (const auto src : l.inputs) {
        in.push_back(src == nn::kNetworkInput ? std::string("(input)") : net_.layers[src].name);
      }
      j["inputs"] = in;
      if (l.matrix()) {
        j.update({{"rows", l.rows()},
                  {"cols", l.cols()},
                  {"groups", l.groups},
                  {"vectors", l.vectors()},
                  {"macs", l.macs()},
                  {"macs_padded", l.macs_padded()}});
      }
      out.append(from_json(j));
    }
    return out;
  }

  double macs() const { return net_.macs(); }
  double macs_padded() const {
    double m = 0;
    for (const auto& l : net_.layers) m += l.macs_padded();
    return m;
  }
  py::object resolved() const { return from_json(net_.resolved); }
  std::vector<std::size_t> input_shape() const { return net_.input; }

 private:
  nn::Network net_;
  std::shared_ptr<const nn::Weights> weights_;
};

}  // namespace

void bind_network(py::module_& m) {
  py::class_<PyNetwork>(m, "Network",
                        "A network: a zoo name (\"lenet5\"), an ONNX model (\"model.onnx\" or\n"
                        "{\"onnx\": PATH, \"input_shape\": [C, H, W]}) or a layer list, as the\n"
                        "config's \"network\". An ONNX model brings its weights; otherwise give\n"
                        "weights=DIR (<layer>.weight.npy / .bias.npy) to run forward().")
      .def(py::init<const py::object&, const std::string&>(), py::arg("network"),
           py::arg("weights") = "")
      .def("forward", &PyNetwork::forward, py::arg("inputs"),
           "The float forward pass: inputs (batch, *input_shape) -> (batch, outputs), float32.")
      .def_property_readonly("layers", &PyNetwork::layers,
                             "Each layer: name, type, inputs, out_shape; matrix layers also rows, "
                             "cols, groups, vectors, macs, macs_padded.")
      .def_property_readonly("macs", &PyNetwork::macs, "MACs per inference (real operands)")
      .def_property_readonly("macs_padded", &PyNetwork::macs_padded,
                             "MACs per inference including the padded zeros")
      .def_property_readonly("input_shape", &PyNetwork::input_shape)
      .def_property_readonly("resolved", &PyNetwork::resolved, "the network node as parsed");
}

}  // namespace xbarsim::python
