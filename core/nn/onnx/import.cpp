#include <fmt/format.h>

#include <filesystem>

#include "core/kit/error.h"
#include "core/nn/onnx/importer.h"
#include "core/nn/onnx_import.h"

namespace xbarsim::nn {
namespace {

using kit::ConfigError;
using kit::Json;

std::optional<Shape> given_shape(const Json& node, const std::string& path) {
  if (!node.contains("input_shape")) return std::nullopt;
  return parse_sample_shape(node.at("input_shape"), kit::join_path(path, "input_shape"));
}

}  // namespace

Network import_onnx(const Json& node, const std::string& path) {
  const std::string opath = kit::join_path(path, "onnx");
  if (!node.at("onnx").is_string()) throw ConfigError(opath, "expected the .onnx file's path");
  const std::string file = node.at("onnx").get<std::string>();
  if (node.contains("name") && !node.at("name").is_string()) {
    throw ConfigError(kit::join_path(path, "name"), "expected a string");
  }
  onnx_import::Model m = onnx_import::load_model(file, given_shape(node, path), opath);
  onnx_import::Imported im = onnx_import::translate(m, opath);
  Json list = {{"name", node.value("name", std::filesystem::path(file).stem().string())},
               {"onnx", file},
               {"input", m.input_shape},
               {"layers", im.layers}};
  if (node.contains("input_shape")) list["input_shape"] = node.at("input_shape");
  Network net = Network::from_layers(list, path);
  auto w = std::make_shared<Weights>();
  w->layers.resize(net.layers.size());
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    // ONNX's shape inference and xbarsim's shape rules must agree.
    if (const auto it = im.shapes.find(l.name);
        it != im.shapes.end() && it->second != l.out_shape) {
      throw kit::RuntimeError(
          fmt::format("ONNX import of '{}': layer \"{}\" ({}) gives {} where "
                      "ONNX infers {}; please report this model",
                      file, l.name, l.type, shape_text(l.out_shape), shape_text(it->second)));
    }
    if (!l.matrix()) continue;
    w->layers[i] = std::move(im.weights.at(l.name));
    if (static_cast<std::size_t>(w->layers[i].w.rows()) != l.rows() ||
        static_cast<std::size_t>(w->layers[i].w.cols()) != l.cols()) {
      throw kit::RuntimeError(fmt::format(
          "ONNX import of '{}': layer \"{}\" has {}x{} weights "
          "for a {}x{} matrix",
          file, l.name, w->layers[i].w.rows(), w->layers[i].w.cols(), l.rows(), l.cols()));
    }
  }
  net.weights = std::move(w);
  return net;
}

}  // namespace xbarsim::nn
