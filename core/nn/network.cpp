#include "core/nn/network.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "core/kit/embedded.h"
#include "core/kit/error.h"
#include "core/kit/params.h"
#include "core/nn/onnx_import.h"
#include "core/nn/weights.h"

namespace xbarsim::nn {
namespace {

using kit::ConfigError;
using kit::Json;

std::vector<std::string> type_names() {
  std::vector<std::string> out;
  for (const LayerKind* k : layer_kinds()) out.emplace_back(k->type());
  return out;
}

// A layer's keys: the common ones, then its kind's.
std::vector<kit::ParamInfo> layer_params(const LayerKind& kind) {
  using namespace kit;
  std::vector<ParamInfo> p = {
      string_param("name", "", "layer name (default: the type and index, e.g. conv2d_0)"),
      string_param("input", "", "name of the layer whose output this reads (default: previous)"),
  };
  if (kind.max_inputs() > 1) {
    p.push_back(string_list_param("inputs", "names of the layers it reads (in place of input)"));
    p.push_back(string_param("from", "", "the second operand's layer, with \"input\" the first"));
  }
  for (auto& q : kind.params()) p.push_back(std::move(q));
  return p;
}

Json load_preset(const std::string& name, const std::string& path) {
  std::vector<std::string> names;
  for (const auto& f : kit::embedded_configs()) {
    const std::string p(f.path);
    if (p.rfind("networks/", 0) != 0) continue;
    const std::string n = p.substr(9, p.size() - 9 - 5);
    if (n == name) return kit::parse_json(f.text, "preset '" + p + "'");
    names.push_back(n);
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw ConfigError(kit::join_path(path, "preset"),
                    fmt::format("unknown network \"{}\"; {}available: {}", name,
                                kit::did_you_mean(name, names), list));
}

void check_keys(const Json& node, const std::vector<std::string>& keys, const std::string& path) {
  for (const auto& [k, v] : node.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      throw ConfigError(kit::join_path(path, k),
                        fmt::format("unknown key; {}known keys are {}", kit::did_you_mean(k, keys),
                                    fmt::join(keys, ", ")));
    }
  }
}

}  // namespace

Shape parse_sample_shape(const Json& node, const std::string& ipath) {
  if (!node.is_array() || node.empty() || node.size() > 3) {
    throw ConfigError(ipath, "expected the input shape [C, H, W], [S, N] (tokens) or [N]");
  }
  Shape s;
  for (const auto& d : node) {
    if (!d.is_number_integer() || d.get<long long>() < 1 || d.get<long long>() > (1 << 24)) {
      throw ConfigError(ipath, "dimensions must be integers between 1 and 16777216");
    }
    s.push_back(d.get<std::size_t>());
  }
  return s;
}

namespace {

// The layers a layer reads: "inputs", or "input" (default: the previous
// layer) and "from".
std::vector<std::size_t> layer_inputs(const Json& r, const LayerKind& kind, std::size_t idx,
                                      const std::map<std::string, std::size_t>& by_name,
                                      const std::string& here) {
  auto find = [&](const Json& ref, const std::string& key) {
    if (!ref.is_string()) throw ConfigError(here + "." + key, "expected layer names");
    if (ref.get<std::string>() == "(input)") return kNetworkInput;
    const auto it = by_name.find(ref.get<std::string>());
    if (it == by_name.end()) {
      std::vector<std::string> names;
      for (const auto& [k, v] : by_name) names.push_back(k);
      throw ConfigError(here + "." + key,
                        fmt::format("no earlier layer is named \"{}\"; {}", ref.get<std::string>(),
                                    kit::did_you_mean(ref.get<std::string>(), names)));
    }
    return it->second;
  };
  std::vector<std::size_t> in;
  const std::string input = r.at("input").get<std::string>();
  if (r.contains("inputs") && !r.at("inputs").empty()) {
    if (!input.empty() || !r.at("from").get<std::string>().empty()) {
      throw ConfigError(here + ".inputs", "give \"inputs\" or \"input\" and \"from\", not both");
    }
    for (const auto& ref : r.at("inputs")) in.push_back(find(ref, "inputs"));
  } else {
    in.push_back(!input.empty() ? find(r.at("input"), "input")
                                : (idx == 0 ? kNetworkInput : idx - 1));
    if (r.contains("from") && !r.at("from").get<std::string>().empty()) {
      in.push_back(find(r.at("from"), "from"));
    }
  }
  if (in.size() < kind.min_inputs() || in.size() > kind.max_inputs()) {
    throw ConfigError(here,
                      fmt::format("{} reads {} {} input{}, got {}", kind.type(),
                                  kind.min_inputs() == kind.max_inputs() ? "exactly" : "at least",
                                  kind.min_inputs(), kind.min_inputs() == 1 ? "" : "s", in.size()));
  }
  return in;
}

// Sizes no chip or host could hold are refused before any work (and before
// a product of dimensions could overflow).
void check_size(const Layer& l, const std::string& here) {
  double el = 1;
  for (const auto d : l.out_shape) el *= static_cast<double>(d);
  if (el > kMaxFeatureElements) {
    throw ConfigError(here, fmt::format("its output {} has {:.3g} elements per sample; the limit "
                                        "is 2^31",
                                        shape_text(l.out_shape), el));
  }
  if (l.matrix() && static_cast<double>(l.rows()) * static_cast<double>(l.cols()) > kMaxWeights) {
    throw ConfigError(here, fmt::format("its weight matrix is {} x {}; the limit is 2^36 weights "
                                        "per layer",
                                        l.rows(), l.cols()));
  }
}

Layer parse_layer(const Json& lj, std::size_t idx, const Network& net,
                  const std::map<std::string, std::size_t>& by_name, const std::string& here) {
  if (!lj.is_object() || !lj.contains("type") || !lj.at("type").is_string()) {
    throw ConfigError(here, "expected an object with a \"type\"");
  }
  Layer l;
  l.type = lj.at("type").get<std::string>();
  l.kind = find_layer_kind(l.type);
  if (l.kind == nullptr) {
    const auto types = type_names();
    std::string list;
    for (const auto& t : types) list += (list.empty() ? "" : ", ") + t;
    throw ConfigError(here + ".type", fmt::format("unknown layer type \"{}\"; {}available: {}",
                                                  l.type, kit::did_you_mean(l.type, types), list));
  }
  Json stripped = lj;
  stripped.erase("type");
  const auto params = layer_params(*l.kind);
  const Json r = kit::resolve_params(stripped, here, params);
  l.name = r.at("name").get<std::string>();
  if (l.name.empty()) l.name = fmt::format("{}_{}", l.type, idx);
  if (by_name.count(l.name)) {
    throw ConfigError(here + ".name", fmt::format("\"{}\" names an earlier layer too", l.name));
  }
  l.inputs = layer_inputs(r, *l.kind, idx, by_name, here);
  for (const auto src : l.inputs) {
    l.in_shapes.push_back(src == kNetworkInput ? net.input : net.layers[src].out_shape);
  }
  l.kind->build(l, r, here);
  l.kind->check_graph(l, net.layers, here);
  check_size(l, here);
  return l;
}

}  // namespace

double Network::macs() const {
  double m = 0;
  for (const auto& l : layers) m += l.macs();
  return m;
}

std::vector<std::size_t> Network::matrix_layers() const {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    if (layers[k].matrix()) out.push_back(k);
  }
  return out;
}

std::vector<std::size_t> Network::last_uses() const {
  std::vector<std::size_t> last(layers.size(), 0);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    for (const auto src : layers[i].inputs) {
      if (src != kNetworkInput) last[src] = i;
    }
  }
  return last;
}

Network Network::from_layers(const Json& node, const std::string& path) {
  check_keys(node, {"name", "input", "layers", "source", "notes", "onnx", "input_shape"}, path);
  for (const char* k : {"name", "source", "notes"}) {
    if (node.contains(k) && !node.at(k).is_string()) {
      throw ConfigError(kit::join_path(path, k),
                        "expected a string, got " + kit::type_name(node.at(k)));
    }
  }
  Network net;
  net.resolved = node;
  net.name = node.value("name", std::string("network"));
  const std::string ipath = kit::join_path(path, "input");
  net.input = parse_sample_shape(node.contains("input") ? node.at("input") : Json(), ipath);
  const std::string lpath = kit::join_path(path, "layers");
  if (!node.contains("layers") || !node.at("layers").is_array() || node.at("layers").empty()) {
    throw ConfigError(lpath, "expected a non-empty list of layers");
  }
  std::map<std::string, std::size_t> by_name;
  const Json& list = node.at("layers");
  for (std::size_t idx = 0; idx < list.size(); ++idx) {
    Layer l = parse_layer(list[idx], idx, net, by_name, lpath + "[" + std::to_string(idx) + "]");
    by_name[l.name] = idx;
    net.layers.push_back(std::move(l));
  }
  if (net.matrix_layers().empty()) {
    throw ConfigError(lpath, "no conv2d or linear layer: nothing to map onto crossbars");
  }
  return net;
}

Network Network::parse(const Json& node_in, const std::string& path) {
  Json node = node_in;
  if (node.is_string()) {
    const auto s = node.get<std::string>();
    node = s.ends_with(".onnx") ? Json{{"onnx", s}} : Json{{"preset", s}};
  }
  if (!node.is_object()) {
    throw ConfigError(path, "expected an object (layers), a preset name or an .onnx path, got " +
                                kit::type_name(node));
  }
  if (node.contains("onnx")) {
    check_keys(node, {"onnx", "input_shape", "name"}, path);
    return import_onnx(node, path);
  }
  if (node.contains("preset")) {
    if (!node.at("preset").is_string()) {
      throw ConfigError(kit::join_path(path, "preset"), "expected a network name (string)");
    }
    Json merged = load_preset(node.at("preset").get<std::string>(), path);
    for (const auto& [k, v] : node.items()) {
      if (k != "preset") merged[k] = v;
    }
    node = merged;
  }
  return from_layers(node, path);
}

kit::Json network_schema() {
  // Every layer kind with its keys; "(network)" is the node around the layers.
  kit::Json variants = kit::Json::object();
  variants["(network)"] = {
      {"doc",
       "a zoo name (\"lenet5\", \"mlp_mnist\", \"vgg8\", \"resnet18\"), {\"preset\": NAME}, an "
       "ONNX model (\"model.onnx\" or {\"onnx\": PATH, \"input_shape\": [C, H, W]}), or "
       "{\"input\": [C, H, W] or [N], \"layers\": [...]} with the layer kinds below"},
      {"params", kit::params_schema(std::vector<kit::ParamInfo>{
                     kit::string_param("name", "network", "the network's name in reports"),
                     kit::string_param("preset", "", "a zoo network (configs/networks/)"),
                     kit::string_param("onnx", "", "an ONNX model file (docs/onnx.md)"),
                     kit::number_list_param("input_shape", {}, "",
                                            "an ONNX model's per-sample input shape, when its "
                                            "graph leaves it symbolic")})}};
  for (const LayerKind* kind : layer_kinds()) {
    const std::string type(kind->type());
    variants["(type \"" + type + "\")"] = {
        {"doc", "network.layers[i] with \"type\": \"" + type + "\": " + kind->doc()},
        {"params", kit::params_schema(layer_params(*kind))}};
  }
  return {{"doc", "the network mapped onto the chip: a zoo name, an ONNX model or a layer list"},
          {"variants", variants}};
}

}  // namespace xbarsim::nn
