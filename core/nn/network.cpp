#include "core/nn/network.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/kit/embedded.h"
#include "core/kit/error.h"
#include "core/kit/params.h"

namespace xbarsim::nn {
namespace {

using kit::ConfigError;
using kit::Json;

const std::vector<std::string>& type_names() {
  static const std::vector<std::string> t = {"conv2d",  "linear", "relu",     "sigmoid",
                                             "tanh",    "gelu",   "maxpool",  "avgpool",
                                             "flatten", "add",    "batchnorm"};
  return t;
}

// Every layer's parameters by type (name and input are common).
std::vector<kit::ParamInfo> layer_params(const std::string& type) {
  using namespace kit;
  std::vector<ParamInfo> p = {
      string_param("name", "", "layer name (default: the type and index, e.g. conv2d_0)"),
      string_param("input", "", "name of the layer whose output this reads (default: previous)"),
  };
  if (type == "conv2d") {
    ParamInfo oc = int_param("out_channels", 1, 1, 1 << 20, "output channels");
    oc.default_value = nullptr;  // required
    p.push_back(oc);
    p.push_back(int_param("kernel", 3, 1, 64, "square kernel size"));
    p.push_back(int_param("stride", 1, 1, 64, "stride"));
    p.push_back(int_param("padding", 0, 0, 64, "zero padding on each side"));
    p.push_back(bool_param("bias", true, "bias added digitally after the crossbar"));
  } else if (type == "linear") {
    ParamInfo of = int_param("out_features", 1, 1, 1 << 24, "output features");
    of.default_value = nullptr;
    p.push_back(of);
    p.push_back(bool_param("bias", true, "bias added digitally after the crossbar"));
  } else if (type == "maxpool" || type == "avgpool") {
    p.push_back(int_param("kernel", 2, 1, 1024, "square window"));
    p.push_back(int_param("stride", 0, 0, 1024, "stride (0 = kernel)"));
    p.push_back(int_param("padding", 0, 0, 64, "padding on each side"));
  } else if (type == "add") {
    ParamInfo from = string_param("from", "", "name of the layer whose output is added");
    from.default_value = nullptr;
    p.push_back(from);
  }
  return p;
}

// A layer shape as the config writes it: "[C, H, W]".
std::string shape_text(const std::vector<std::size_t>& s) {
  std::string out = "[";
  for (std::size_t k = 0; k < s.size(); ++k) out += (k ? ", " : "") + std::to_string(s[k]);
  return out + "]";
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
  const std::string near = kit::closest_match(name, names);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw ConfigError(kit::join_path(path, "preset"),
                    fmt::format("unknown network \"{}\"; {}available: {}", name,
                                near.empty() ? "" : "did you mean \"" + near + "\"? ", list));
}

}  // namespace

std::size_t Layer::rows() const {
  return kind == LayerKind::kConv2d ? kernel * kernel * in_shape[0] : in_shape[0];
}
std::size_t Layer::cols() const { return out_channels; }
std::size_t Layer::vectors() const {
  return kind == LayerKind::kConv2d ? out_shape[1] * out_shape[2] : 1;
}
std::size_t Layer::out_elements() const {
  std::size_t n = 1;
  for (const auto d : out_shape) n *= d;
  return n;
}
std::size_t Layer::in_elements() const {
  std::size_t n = 1;
  for (const auto d : in_shape) n *= d;
  return n;
}

double Layer::macs_padded() const {
  if (!matrix()) return 0.0;
  return static_cast<double>(rows()) * static_cast<double>(cols()) * static_cast<double>(vectors());
}

double Layer::macs() const {
  if (kind == LayerKind::kLinear) return macs_padded();
  if (kind != LayerKind::kConv2d) return 0.0;
  // Kernel taps that land inside the input, summed over output positions;
  // separable in height and width.
  auto taps = [&](std::size_t in, std::size_t out) {
    double sum = 0;
    for (std::size_t o = 0; o < out; ++o) {
      const auto start = static_cast<long long>(o * stride) - static_cast<long long>(padding);
      for (std::size_t k = 0; k < kernel; ++k) {
        const long long pos = start + static_cast<long long>(k);
        if (pos >= 0 && pos < static_cast<long long>(in)) sum += 1;
      }
    }
    return sum;
  };
  return taps(in_shape[1], out_shape[1]) * taps(in_shape[2], out_shape[2]) *
         static_cast<double>(in_shape[0]) * static_cast<double>(out_channels);
}

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

Network Network::parse(const Json& node_in, const std::string& path) {
  Json node = node_in;
  if (node.is_string()) node = Json{{"preset", node.get<std::string>()}};
  if (!node.is_object()) {
    throw ConfigError(path,
                      "expected an object (layers) or a preset name, got " + kit::type_name(node));
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
  static const std::vector<std::string> keys = {"name", "input", "layers", "source", "notes"};
  for (const auto& [k, v] : node.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      const std::string near = kit::closest_match(k, keys);
      throw ConfigError(kit::join_path(path, k),
                        "unknown key" + (near.empty() ? "" : "; did you mean \"" + near + "\"?"));
    }
  }
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
  if (!node.contains("input") || !node.at("input").is_array() ||
      (node.at("input").size() != 1 && node.at("input").size() != 3)) {
    throw ConfigError(ipath, "expected the input shape [C, H, W] or [N]");
  }
  for (const auto& d : node.at("input")) {
    if (!d.is_number_integer() || d.get<long long>() < 1 || d.get<long long>() > (1 << 24)) {
      throw ConfigError(ipath, "dimensions must be integers between 1 and 16777216");
    }
    net.input.push_back(d.get<std::size_t>());
  }
  const std::string lpath = kit::join_path(path, "layers");
  if (!node.contains("layers") || !node.at("layers").is_array() || node.at("layers").empty()) {
    throw ConfigError(lpath, "expected a non-empty list of layers");
  }
  std::map<std::string, std::size_t> by_name;
  const std::size_t n = node.at("layers").size();
  for (std::size_t idx = 0; idx < n; ++idx) {
    const Json& lj = node.at("layers")[idx];
    const std::string here = lpath + "[" + std::to_string(idx) + "]";
    if (!lj.is_object() || !lj.contains("type") || !lj.at("type").is_string()) {
      throw ConfigError(here, "expected an object with a \"type\"");
    }
    Layer l;
    l.type = lj.at("type").get<std::string>();
    const auto& types = type_names();
    if (std::find(types.begin(), types.end(), l.type) == types.end()) {
      const std::string near = kit::closest_match(l.type, types);
      std::string list;
      for (const auto& t : types) list += (list.empty() ? "" : ", ") + t;
      throw ConfigError(here + ".type",
                        fmt::format("unknown layer type \"{}\"; {}available: {}", l.type,
                                    near.empty() ? "" : "did you mean \"" + near + "\"? ", list));
    }
    Json stripped = lj;
    stripped.erase("type");
    const auto params = layer_params(l.type);
    const Json r = kit::resolve_params(stripped, here, params);
    l.name = r.at("name").get<std::string>();
    if (l.name.empty()) l.name = fmt::format("{}_{}", l.type, idx);
    if (by_name.count(l.name)) {
      throw ConfigError(here + ".name", fmt::format("\"{}\" names an earlier layer too", l.name));
    }
    // Where the input comes from.
    auto find = [&](const std::string& ref, const std::string& key) {
      const auto it = by_name.find(ref);
      if (it == by_name.end()) {
        std::vector<std::string> names;
        for (const auto& [k, v] : by_name) names.push_back(k);
        const std::string near = kit::closest_match(ref, names);
        throw ConfigError(here + "." + key,
                          fmt::format("no earlier layer is named \"{}\"{}", ref,
                                      near.empty() ? "" : "; did you mean \"" + near + "\"?"));
      }
      return it->second;
    };
    const std::string in_ref = r.at("input").get<std::string>();
    l.input = !in_ref.empty() ? find(in_ref, "input") : (idx == 0 ? n : idx - 1);
    l.in_shape = l.input == n ? net.input : net.layers[l.input].out_shape;
    const auto& s = l.in_shape;
    auto need3 = [&](const char* what) {
      if (s.size() != 3) {
        throw ConfigError(here,
                          fmt::format("{} needs a [C, H, W] input, got {}", what, shape_text(s)));
      }
    };
    if (l.type == "conv2d" || l.type == "maxpool" || l.type == "avgpool") {
      need3(l.type.c_str());
      const bool conv = l.type == "conv2d";
      l.kind = conv ? LayerKind::kConv2d
                    : (l.type == "maxpool" ? LayerKind::kMaxPool : LayerKind::kAvgPool);
      l.kernel = r.at("kernel").get<std::size_t>();
      l.padding = r.at("padding").get<std::size_t>();
      l.stride = r.at("stride").get<std::size_t>();
      if (l.stride == 0) l.stride = l.kernel;
      if (conv) {
        l.out_channels = r.at("out_channels").get<std::size_t>();
        l.bias = r.at("bias").get<bool>();
      }
      const std::size_t ph = s[1] + 2 * l.padding, pw = s[2] + 2 * l.padding;
      if (l.kernel > ph || l.kernel > pw) {
        throw ConfigError(here + ".kernel",
                          fmt::format("{} is larger than the padded input {}x{} (input {})",
                                      l.kernel, ph, pw, shape_text(s)));
      }
      l.out_shape = {conv ? l.out_channels : s[0], (ph - l.kernel) / l.stride + 1,
                     (pw - l.kernel) / l.stride + 1};
    } else if (l.type == "linear") {
      if (s.size() != 1) {
        throw ConfigError(here, fmt::format("linear needs a flat [N] input, got {}; add a "
                                            "flatten layer before it",
                                            shape_text(s)));
      }
      l.kind = LayerKind::kLinear;
      l.out_channels = r.at("out_features").get<std::size_t>();
      l.bias = r.at("bias").get<bool>();
      l.out_shape = {l.out_channels};
    } else if (l.type == "flatten") {
      l.kind = LayerKind::kFlatten;
      double e = 1;
      for (const auto d : s) e *= static_cast<double>(d);
      if (e > kMaxFeatureElements) {
        throw ConfigError(here, fmt::format("flattening {} gives {:.3g} values; the limit is 2^31",
                                            shape_text(s), e));
      }
      l.out_shape = {static_cast<std::size_t>(e)};
    } else if (l.type == "add") {
      l.kind = LayerKind::kAdd;
      l.from = find(r.at("from").get<std::string>(), "from");
      if (net.layers[l.from].out_shape != s) {
        throw ConfigError(here + ".from",
                          fmt::format("adds {} (layer \"{}\") to an input of shape {}",
                                      shape_text(net.layers[l.from].out_shape),
                                      net.layers[l.from].name, shape_text(s)));
      }
      l.out_shape = s;
    } else if (l.type == "batchnorm") {
      l.kind = LayerKind::kBatchNorm;
      if (l.input == n || !net.layers[l.input].matrix()) {
        throw ConfigError(here,
                          "batchnorm is folded into a conv2d or linear layer, so it must "
                          "read one directly");
      }
      l.out_shape = s;
    } else {
      l.kind = LayerKind::kActivation;
      l.out_shape = s;
    }
    // Sizes no chip or host could hold are refused here, before any work
    // (and before a product of dimensions could overflow).
    double elements = 1;
    for (const auto d : l.out_shape) elements *= static_cast<double>(d);
    if (elements > kMaxFeatureElements) {
      throw ConfigError(here, fmt::format("its output {} has {:.3g} elements per sample; the limit "
                                          "is 2^31",
                                          shape_text(l.out_shape), elements));
    }
    if (l.matrix() && static_cast<double>(l.rows()) * static_cast<double>(l.cols()) > kMaxWeights) {
      throw ConfigError(here, fmt::format("its weight matrix is {} x {}; the limit is 2^36 weights "
                                          "per layer",
                                          l.rows(), l.cols()));
    }
    by_name[l.name] = idx;
    net.layers.push_back(std::move(l));
  }
  if (net.matrix_layers().empty()) {
    throw ConfigError(lpath, "no conv2d or linear layer: nothing to map onto crossbars");
  }
  return net;
}

kit::Json network_schema() {
  // Every layer kind with its keys; "(network)" is the node around the layers.
  kit::Json variants = kit::Json::object();
  variants["(network)"] = {
      {"doc",
       "a zoo name (\"lenet5\", \"mlp_mnist\", \"vgg8\", \"resnet18\"), {\"preset\": NAME}, or "
       "{\"input\": [C, H, W] or [N], \"layers\": [...]} with the layer kinds below"},
      {"params", kit::params_schema(std::vector<kit::ParamInfo>{
                     kit::string_param("name", "network", "the network's name in reports"),
                     kit::string_param("preset", "", "a zoo network (configs/networks/)")})}};
  for (const auto& type : type_names()) {
    variants["(type \"" + type + "\")"] = {
        {"doc", "network.layers[i] with \"type\": \"" + type + "\""},
        {"params", kit::params_schema(layer_params(type))}};
  }
  return {{"doc", "the network mapped onto the chip: a zoo name or a layer list"},
          {"variants", variants}};
}

}  // namespace xbarsim::nn
