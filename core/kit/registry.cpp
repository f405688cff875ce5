#include "core/kit/registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/kit/embedded.h"

namespace xbarsim::kit {

void Registry::add_component(ComponentInfo info) {
  const std::string key = info.key;
  if (components_.count(key) == 0) order_.push_back(key);
  Component& c = components_[key];
  c.info = std::move(info);
  c.presets.clear();
  if (c.info.preset_dir.empty()) return;
  const std::string prefix = c.info.preset_dir + "/";
  for (const auto& f : embedded_configs()) {
    if (f.path.substr(0, prefix.size()) != prefix || !f.path.ends_with(".json")) continue;
    std::string name(f.path.substr(prefix.size()));
    name.resize(name.size() - 5);
    c.presets[name] = parse_json(f.text, "preset '" + std::string(f.path) + "'");
  }
}

Registry::Component& Registry::component_ref(const std::string& key) {
  const auto it = components_.find(key);
  if (it == components_.end()) throw RuntimeError("registry: no component '" + key + "'");
  return it->second;
}

const ComponentInfo& Registry::component(const std::string& key) const {
  const auto it = components_.find(key);
  if (it == components_.end()) throw RuntimeError("registry: no component '" + key + "'");
  return it->second.info;
}

const Registry::Entry& Registry::entry(const std::string& component,
                                       const std::string& impl) const {
  const auto it = components_.find(component);
  if (it == components_.end()) throw RuntimeError("registry: no component '" + component + "'");
  const auto v = it->second.variants.find(impl);
  if (v == it->second.variants.end()) {
    throw RuntimeError("registry: component '" + component + "' has no variant '" + impl + "'");
  }
  return v->second;
}

std::vector<std::string> Registry::components() const { return order_; }

std::vector<std::string> Registry::impls(const std::string& component) const {
  std::vector<std::string> out;
  const auto it = components_.find(component);
  if (it == components_.end()) return out;
  for (const auto& [impl, e] : it->second.variants) out.push_back(impl);
  return out;
}

const std::map<std::string, Json>& Registry::presets(const std::string& component) const {
  const auto it = components_.find(component);
  if (it == components_.end()) throw RuntimeError("registry: no component '" + component + "'");
  return it->second.presets;
}

Json Registry::resolve(const std::string& component, const Json& node,
                       const std::string& path) const {
  const auto& c = components_.at(component);
  if (!node.is_null() && !node.is_object()) {
    throw ConfigError(path, "expected an object, got " + type_name(node));
  }
  Json merged = node.is_null() ? Json::object() : node;
  if (merged.contains("preset")) {
    if (c.info.preset_dir.empty()) {
      throw ConfigError(join_path(path, "preset"), "this component has no presets");
    }
    const Json& name_node = merged.at("preset");
    if (!name_node.is_string()) {
      throw ConfigError(join_path(path, "preset"),
                        "expected a preset name (string), got " + type_name(name_node));
    }
    const auto name = name_node.get<std::string>();
    const auto& all = presets(component);
    const auto it = all.find(name);
    if (it == all.end()) {
      std::vector<std::string> names;
      for (const auto& [n, j] : all) names.push_back(n);
      throw ConfigError(join_path(path, "preset"),
                        fmt::format("unknown preset \"{}\"; {}available: {}", name,
                                    did_you_mean(name, names), fmt::join(names, ", ")));
    }
    Json base = it->second;
    for (const auto& [k, v] : merged.items()) base[k] = v;  // overrides win
    merged = std::move(base);
  }

  std::string impl = c.info.default_impl;
  if (c.info.default_impl.empty()) {
    if (merged.contains("impl")) {
      throw ConfigError(join_path(path, "impl"),
                        "this component has a single variant; remove \"impl\"");
    }
  } else if (merged.contains("impl")) {
    const Json& impl_node = merged.at("impl");
    if (!impl_node.is_string()) {
      throw ConfigError(join_path(path, "impl"),
                        "expected a string naming a variant, got " + type_name(impl_node));
    }
    impl = impl_node.get<std::string>();
  }
  if (c.variants.count(impl) == 0) {
    const auto names = impls(component);
    throw ConfigError(join_path(path, "impl"),
                      fmt::format("unknown impl \"{}\"; {}available: {}", impl,
                                  did_you_mean(impl, names), fmt::join(names, ", ")));
  }
  reject_other_variant_keys(c, impl, merged, path);
  const auto& v = c.variants.at(impl).info;
  std::vector<std::string> extra;
  if (!c.info.default_impl.empty()) extra.push_back("impl");
  if (!c.info.preset_dir.empty())
    extra.insert(extra.end(), kPresetKeys.begin() + 1, kPresetKeys.end());
  for (const char* key : {"source", "assumptions", "preset"}) {
    if (merged.contains(key) && !merged.at(key).is_string()) {
      throw ConfigError(join_path(path, key),
                        "expected a string, got " + type_name(merged.at(key)));
    }
  }
  Json out = resolve_params(merged, path, v.params, extra);
  if (!c.info.default_impl.empty()) {
    Json with_impl = {{"impl", impl}};
    for (const auto& [k, val] : out.items()) {
      if (k != "impl") with_impl[k] = val;
    }
    return with_impl;
  }
  return out;
}

Json Registry::schema() const {
  Json out = Json::object();
  for (const auto& key : order_) {
    const auto& c = components_.at(key);
    Json comp = {{"doc", c.info.doc}};
    if (!c.info.default_impl.empty()) comp["default_impl"] = c.info.default_impl;
    if (!c.info.preset_dir.empty()) {
      Json names = Json::array();
      for (const auto& [n, j] : presets(key)) names.push_back(n);
      comp["presets"] = names;
    }
    Json variants = Json::object();
    for (const auto& [impl, e] : c.variants) {
      variants[impl.empty() ? "(single)" : impl] = {{"doc", e.info.doc},
                                                    {"params", params_schema(e.info.params)}};
    }
    comp["variants"] = std::move(variants);
    out[key] = std::move(comp);
  }
  return out;
}

std::string Registry::current_impl(const Component& c, const Json& node) const {
  if (node.is_object() && node.contains("impl") && node.at("impl").is_string()) {
    return node.at("impl").get<std::string>();
  }
  if (node.is_object() && node.contains("preset") && node.at("preset").is_string() &&
      !c.info.preset_dir.empty()) {
    const auto& all = presets(c.info.key);
    const auto it = all.find(node.at("preset").get<std::string>());
    if (it != all.end() && it->second.contains("impl") && it->second.at("impl").is_string()) {
      return it->second.at("impl").get<std::string>();
    }
  }
  return c.info.default_impl;
}

void Registry::reject_other_variant_keys(const Component& c, const std::string& impl,
                                         const Json& node, const std::string& path) const {
  const auto& own = c.variants.at(impl).info.params;
  for (const auto& [key, value] : node.items()) {
    const auto has = [&key](const std::vector<ParamInfo>& ps) {
      return std::any_of(ps.begin(), ps.end(),
                         [&key](const ParamInfo& p) { return p.name == key; });
    };
    if (has(own)) continue;
    std::vector<std::string> owners;
    for (const auto& [other, e] : c.variants) {
      if (other != impl && has(e.info.params)) owners.push_back(other);
    }
    if (owners.empty()) continue;  // a plain unknown key: resolve_params suggests a fix
    throw ConfigError(
        join_path(path, key),
        fmt::format("not a key of {} impl \"{}\" (it belongs to {}); remove it, or "
                    "set {} to one of those",
                    c.info.key, impl, fmt::join(owners, ", "), join_path(path, "impl")));
  }
}

void Registry::apply_overrides(Json& config,
                               const std::vector<std::pair<std::string, Json>>& overrides) const {
  // Paths set by the overrides, per component node, so a switch keeps them.
  std::map<std::string, std::vector<std::string>> set_keys;
  for (const auto& [path, value] : overrides) {
    const auto dot = path.find('.');
    if (dot != std::string::npos && path.find('.', dot + 1) == std::string::npos) {
      set_keys[path.substr(0, dot)].push_back(path.substr(dot + 1));
    }
  }
  for (const auto& [path, value] : overrides) {
    const auto dot = path.find('.');
    const std::string head = path.substr(0, dot);
    const auto it = components_.find(head);
    const bool switches = it != components_.end() && dot != std::string::npos &&
                          path.substr(dot + 1) == "impl" && value.is_string() &&
                          !it->second.info.default_impl.empty() && config.is_object() &&
                          config.contains(head) && config.at(head).is_object();
    if (switches) {
      const Component& c = it->second;
      Json& node = config[head];
      const std::string to = value.get<std::string>();
      if (to != current_impl(c, node) && c.variants.count(to) != 0) {
        const auto& params = c.variants.at(to).info.params;
        const auto& keep = set_keys[head];
        Json pruned = Json::object();
        for (const auto& [key, v] : node.items()) {
          const bool shared = std::any_of(params.begin(), params.end(),
                                          [&key](const ParamInfo& p) { return p.name == key; });
          if (shared || std::find(keep.begin(), keep.end(), key) != keep.end()) pruned[key] = v;
        }
        node = std::move(pruned);
      }
    }
    set_path(config, path, value);
  }
}

}  // namespace xbarsim::kit
