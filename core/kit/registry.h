#pragma once
// A registry instance: which components a config may hold, which variants
// ("impl") each has, their parameter tables, presets and factories.
// Folders add their variants explicitly (arrays::register_variants(reg), ...);
// nothing registers itself into a global.
#include <any>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/kit/error.h"
#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::kit {

struct VariantInfo {
  std::string impl;  // "" for components with a single, unnamed variant
  std::string doc;
  std::vector<ParamInfo> params;
};

struct ComponentInfo {
  std::string key;  // config key, e.g. "adc"
  std::string doc;
  std::string default_impl;  // used when the node has no "impl"; "" = no impl key
  std::string preset_dir;    // configs/<preset_dir>/<name>.json; "" = no presets
};

// Keys every node with presets may carry besides its parameters.
// ("fit": how a fitted preset was fitted, xbarsim device fit.)
inline const std::vector<std::string> kPresetKeys = {"impl", "preset", "source", "assumptions",
                                                     "fit"};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  Registry(Registry&&) = default;
  Registry& operator=(Registry&&) = default;

  void add_component(ComponentInfo info);

  // Factory: builds a Base from a node resolved by resolve().
  template <class Base>
  using Factory = std::function<std::unique_ptr<Base>(const Json& resolved)>;

  template <class Base>
  void add_variant(const std::string& component, VariantInfo info, Factory<Base> factory) {
    auto& c = component_ref(component);
    const std::string impl = info.impl;
    c.variants[impl] = Entry{std::move(info), std::any(std::move(factory))};
  }

  // A variant parsed straight into a plain Spec by its user (no factory).
  void add_variant(const std::string& component, VariantInfo info) {
    auto& c = component_ref(component);
    const std::string impl = info.impl;
    c.variants[impl] = Entry{std::move(info), std::any()};
  }

  // Validates node (absent = {}) for the component at path: applies its
  // preset, picks the variant, checks every key and fills defaults.
  Json resolve(const std::string& component, const Json& node, const std::string& path) const;

  // Applies config overrides (--set, sweep values) in order. Setting
  // "<component>.impl" to another variant than the node's current one (its
  // own "impl", its preset's, or the default) switches the node: its preset
  // and the keys the new variant lacks are dropped, shared keys are kept, so
  // the new variant's defaults fill the rest. Keys the overrides themselves
  // set are never dropped: resolve() then names them if the variant lacks them.
  void apply_overrides(Json& config,
                       const std::vector<std::pair<std::string, Json>>& overrides) const;

  template <class Base>
  std::unique_ptr<Base> build(const std::string& component, const Json& resolved) const {
    const auto& e = entry(component, resolved.value("impl", std::string()));
    const auto* f = std::any_cast<Factory<Base>>(&e.factory);
    if (f == nullptr || !*f) {
      throw RuntimeError("registry: variant of '" + component + "' has no factory for this type");
    }
    return (*f)(resolved);
  }

  std::vector<std::string> components() const;
  std::vector<std::string> impls(const std::string& component) const;
  const ComponentInfo& component(const std::string& key) const;

  // Presets (name -> file contents) available to a component, parsed once
  // when the component is added.
  const std::map<std::string, Json>& presets(const std::string& component) const;

  // Every component, variant and parameter with type, default, unit and doc.
  Json schema() const;

 private:
  struct Entry {
    VariantInfo info;
    std::any factory;
  };
  struct Component {
    ComponentInfo info;
    std::map<std::string, Entry> variants;
    std::map<std::string, Json> presets;
  };
  Component& component_ref(const std::string& key);
  const Entry& entry(const std::string& component, const std::string& impl) const;
  std::string current_impl(const Component& c, const Json& node) const;
  void reject_other_variant_keys(const Component& c, const std::string& impl, const Json& node,
                                 const std::string& path) const;

  std::vector<std::string> order_;  // components in registration order
  std::map<std::string, Component> components_;
};

}  // namespace xbarsim::kit
