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
  const Json& s = node.at("input_shape");
  const std::string here = kit::join_path(path, "input_shape");
  if (!s.is_array() || (s.size() != 1 && s.size() != 3)) {
    throw ConfigError(here, "expected the per-sample shape [C, H, W] or [N]");
  }
  Shape out;
  for (const auto& d : s) {
    if (!d.is_number_integer() || d.get<long long>() < 1 || d.get<long long>() > (1 << 24)) {
      throw ConfigError(here, "dimensions must be integers between 1 and 16777216");
    }
    out.push_back(d.get<std::size_t>());
  }
  return out;
}

}  // namespace

Network import_onnx(const Json& node, const std::string& path) {
  const std::string opath = kit::join_path(path, "onnx");
  if (!node.at("onnx").is_string()) throw ConfigError(opath, "expected the .onnx file's path");
  const std::string file = node.at("onnx").get<std::string>();
  if (node.contains("name") && !node.at("name").is_string()) {
    throw ConfigError(kit::join_path(path, "name"), "expected a string");
  }
  const onnx_import::Model m = onnx_import::load_model(file, given_shape(node, path), opath);
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
