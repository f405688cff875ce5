#include "core/nn/layer_hardware.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "core/kit/error.h"

namespace xbarsim::nn {
namespace {

// The keys an override may set besides the tile's component nodes.
const std::vector<std::string>& scalar_keys() {
  static const std::vector<std::string> keys = {"drift_compensation", "digital"};
  return keys;
}

std::vector<std::string> override_keys() {
  std::vector<std::string> keys = tile::TileSpec::component_keys();
  keys.insert(keys.end(), scalar_keys().begin(), scalar_keys().end());
  return keys;
}

// The network layers a "layers" key selects: a matrix layer's name, a
// matrix kind, or an index among the matrix layers (negative from the end).
std::vector<std::size_t> selected(const std::string& key, const Network& net,
                                  const std::string& path) {
  const std::vector<std::size_t> matrix = net.matrix_layers();
  std::vector<std::string> names, kinds;
  for (const auto i : matrix) {
    names.push_back(net.layers[i].name);
    if (std::find(kinds.begin(), kinds.end(), net.layers[i].type) == kinds.end()) {
      kinds.push_back(net.layers[i].type);
    }
  }
  for (const auto& l : net.layers) {
    if (l.name == key && !l.matrix()) {
      throw kit::ConfigError(path, fmt::format("layer \"{}\" ({}) has no weights on tiles; "
                                               "overrides apply to the matrix layers: {}",
                                               key, l.type, fmt::join(names, ", ")));
    }
  }
  if (const auto it = std::find(names.begin(), names.end(), key); it != names.end()) {
    return {matrix[static_cast<std::size_t>(it - names.begin())]};
  }
  if (std::find(kinds.begin(), kinds.end(), key) != kinds.end()) {
    std::vector<std::size_t> out;
    for (const auto i : matrix) {
      if (net.layers[i].type == key) out.push_back(i);
    }
    return out;
  }
  long long index = 0;
  const char* end = key.data() + key.size();
  const auto [p, ec] = std::from_chars(key.data(), end, index);
  const auto n = static_cast<long long>(matrix.size());
  if (ec == std::errc() && p == end && !key.empty()) {
    if (index >= n || index < -n) {
      throw kit::ConfigError(path, fmt::format("matrix-layer index {} is out of range: network "
                                               "\"{}\" has {} matrix layers (0 to {}, or -{} "
                                               "to -1 from the end)",
                                               index, net.name, n, n - 1, n));
    }
    return {matrix[static_cast<std::size_t>(index < 0 ? index + n : index)]};
  }
  std::vector<std::string> candidates = names;
  candidates.insert(candidates.end(), kinds.begin(), kinds.end());
  throw kit::ConfigError(
      path, fmt::format("no matrix layer, layer kind or matrix-layer index \"{}\" in network "
                        "\"{}\"; {}its matrix layers are {} (kinds {}; indices 0 to {}, or -{} "
                        "to -1 from the end)",
                        key, net.name, kit::did_you_mean(key, candidates), fmt::join(names, ", "),
                        fmt::join(kinds, ", "), n - 1, n));
}

// One override's node checked for its shape: an object of known keys, a
// digital layer with nothing else.
void check_override(const kit::Json& node, const std::string& path) {
  if (!node.is_object()) {
    throw kit::ConfigError(path,
                           "expected an object of tile settings, got " + kit::type_name(node));
  }
  const std::vector<std::string> keys = override_keys();
  for (const auto& [k, v] : node.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      throw kit::ConfigError(kit::join_path(path, k),
                             fmt::format("not a per-layer key; {}a layer override sets {}",
                                         kit::did_you_mean(k, keys), fmt::join(keys, ", ")));
    }
    if (k != "digital" && k != "drift_compensation" && !v.is_object()) {
      throw kit::ConfigError(kit::join_path(path, k),
                             "expected an object, got " + kit::type_name(v));
    }
  }
  if (node.contains("digital")) {
    if (!node.at("digital").is_boolean()) {
      throw kit::ConfigError(kit::join_path(path, "digital"),
                             "expected true or false, got " + node.at("digital").dump());
    }
    if (node.at("digital").get<bool>() && node.size() > 1) {
      for (const auto& [k, v] : node.items()) {
        if (k != "digital") {
          throw kit::ConfigError(kit::join_path(path, k),
                                 "a digital layer has no tile to set; remove this key or set "
                                 "\"digital\": false");
        }
      }
    }
  }
}

// Selected layers with the keys that chose them, kinds first, then indices,
// then names (the more specific wins).
std::vector<std::pair<std::string, std::vector<std::size_t>>> ordered_selections(
    const kit::Json& layers, const Network& net) {
  std::vector<std::pair<std::string, std::vector<std::size_t>>> by_rank[3];
  for (const auto& [key, node] : layers.items()) {
    const std::string path = kit::join_path("layers", key);
    check_override(node, path);
    const std::vector<std::size_t> picked = selected(key, net, path);
    const bool named = std::any_of(net.layers.begin(), net.layers.end(),
                                   [&](const Layer& l) { return l.name == key; });
    const bool kind = !named && (picked.size() > 1 || net.layers[picked[0]].type == key);
    by_rank[named ? 2 : kind ? 0 : 1].emplace_back(key, picked);
  }
  std::vector<std::pair<std::string, std::vector<std::size_t>>> out;
  for (auto& rank : by_rank) out.insert(out.end(), rank.begin(), rank.end());
  return out;
}

}  // namespace

LayerHardware::LayerHardware(tile::TileSpec base, std::size_t layers)
    : base_(std::move(base)), own_(layers), digital_(layers, false) {}

const tile::TileSpec& LayerHardware::spec(std::size_t layer) const {
  return overridden(layer) ? *own_[layer] : base_;
}

LayerHardware LayerHardware::parse(const kit::Json& config, tile::TileSpec base, const Network& net,
                                   const kit::Registry& registry) {
  LayerHardware hw(std::move(base), net.layers.size());
  if (!config.contains("layers") || config.at("layers").is_null()) return hw;
  const kit::Json& layers = config.at("layers");
  if (!layers.is_object()) {
    throw kit::ConfigError("layers",
                           "expected an object {layer name, kind or index: tile "
                           "settings}, got " +
                               kit::type_name(layers));
  }
  // Each layer's merged tile config, and the last override key that set it.
  std::vector<std::optional<kit::Json>> merged(net.layers.size());
  std::vector<std::string> origin(net.layers.size());
  for (const auto& [key, picked] : ordered_selections(layers, net)) {
    const kit::Json& over = layers.at(key);
    for (const auto i : picked) {
      if (over.contains("digital")) hw.digital_[i] = over.at("digital").get<bool>();
      kit::Json m = merged[i] ? *merged[i] : config;
      bool tile_keys = false;
      for (const auto& [k, v] : over.items()) {
        if (k == "digital") continue;
        m[k] = k == "drift_compensation" ? v : overlay_node(m.value(k, kit::Json()), v);
        tile_keys = true;
      }
      if (tile_keys) {
        merged[i] = std::move(m);
        origin[i] = key;
      }
    }
  }
  // Parse each distinct merged tile once; errors under the key that set it.
  std::map<std::string, tile::TileSpec> parsed;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    if (!merged[i] || hw.digital_[i]) continue;
    const std::string text = merged[i]->dump();
    auto it = parsed.find(text);
    if (it == parsed.end()) {
      try {
        it = parsed.emplace(text, tile::TileSpec::parse(*merged[i], registry)).first;
      } catch (const kit::ConfigError& e) {
        const std::string prefix = "config " + e.path() + ": ";
        const std::string problem = std::string(e.what()).substr(
            std::string(e.what()).rfind(prefix, 0) == 0 ? prefix.size() : 0);
        throw kit::ConfigError(kit::join_path(kit::join_path("layers", origin[i]), e.path()),
                               problem);
      }
    }
    hw.own_[i] = it->second;
  }
  // The report: each overridden layer's nodes that differ from the config's.
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    if (hw.digital_[i]) {
      hw.resolved_[net.layers[i].name] = {{"digital", true}};
    } else if (hw.own_[i]) {
      kit::Json diff = kit::Json::object();
      for (const auto& [k, v] : hw.own_[i]->resolved.items()) {
        if (hw.base_.resolved.value(k, kit::Json()) != v) diff[k] = v;
      }
      hw.resolved_[net.layers[i].name] = diff;
    }
  }
  return hw;
}

kit::Json overlay_node(const kit::Json& node, const kit::Json& over) {
  for (const char* which : {"impl", "preset"}) {
    if (over.contains(which) &&
        (!node.is_object() || node.value(which, kit::Json()) != over.at(which))) {
      return over;
    }
  }
  kit::Json out = node.is_object() ? node : kit::Json::object();
  out.merge_patch(over);
  return out;
}

kit::Json layer_overrides_schema() {
  std::vector<kit::ParamInfo> params = {
      kit::bool_param("digital", false,
                      "run the layer on the tiles' digital units (its float product, priced "
                      "per MAC); takes no other key"),
      kit::choice_param("drift_compensation", "(the config's)", {"none", "global", "per_column"},
                        "the layer's drift compensation")};
  for (const auto& key : tile::TileSpec::component_keys()) {
    params.push_back(
        kit::object_param(key, "(the config's)",
                          "the layer's " + key +
                              " node: its keys merge into the config's; naming another impl "
                              "(or device preset) replaces it"));
  }
  return {{"doc",
           "per-layer tiles: {\"NAME\" (a matrix layer), \"KIND\" (\"conv2d\", ...) or "
           "\"INDEX\" (among the matrix layers, -1 the last): {settings}}, applied kinds, then "
           "indices, then names (docs/architecture.md, \"Per-layer hardware\")"},
          {"variants",
           {{"(per layer)", {{"doc", "one override"}, {"params", kit::params_schema(params)}}}}}};
}

}  // namespace xbarsim::nn
