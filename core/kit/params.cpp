#include "core/kit/params.h"

#include <fmt/format.h>

#include <cmath>

#include "core/kit/error.h"

namespace xbarsim::kit {
namespace {

ParamInfo make(std::string name, ParamType type, Json def, std::string unit, std::string doc) {
  ParamInfo p;
  p.name = std::move(name);
  p.type = type;
  p.default_value = std::move(def);
  p.unit = std::move(unit);
  p.doc = std::move(doc);
  return p;
}

}  // namespace

ParamInfo int_param(std::string name, long long def, long long min, long long max,
                    std::string doc) {
  ParamInfo p = make(std::move(name), ParamType::kInt, def, "", std::move(doc));
  p.min = static_cast<double>(min);
  p.max = static_cast<double>(max);
  return p;
}

ParamInfo number_param(std::string name, double def, std::string unit, std::string doc, double min,
                       double max) {
  ParamInfo p = make(std::move(name), ParamType::kNumber, def, std::move(unit), std::move(doc));
  p.min = min;
  p.max = max;
  return p;
}

ParamInfo positive_param(std::string name, double def, std::string unit, std::string doc) {
  ParamInfo p = number_param(std::move(name), def, std::move(unit), std::move(doc), 0.0);
  p.min_exclusive = true;
  return p;
}

ParamInfo bool_param(std::string name, bool def, std::string doc) {
  return make(std::move(name), ParamType::kBool, def, "", std::move(doc));
}

ParamInfo string_param(std::string name, std::string def, std::string doc) {
  return make(std::move(name), ParamType::kString, std::move(def), "", std::move(doc));
}

ParamInfo choice_param(std::string name, std::string def, std::vector<std::string> choices,
                       std::string doc) {
  ParamInfo p = make(std::move(name), ParamType::kChoice, std::move(def), "", std::move(doc));
  p.choices = std::move(choices);
  return p;
}

ParamInfo number_list_param(std::string name, std::vector<double> def, std::string unit,
                            std::string doc) {
  return make(std::move(name), ParamType::kNumberList, Json(def), std::move(unit), std::move(doc));
}

ParamInfo string_list_param(std::string name, std::string doc) {
  return make(std::move(name), ParamType::kStringList, Json::array(), "", std::move(doc));
}

ParamInfo object_param(std::string name, std::string def_text, std::string doc) {
  return make(std::move(name), ParamType::kObject, std::move(def_text), "", std::move(doc));
}

std::string type_label(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "integer";
    case ParamType::kNumber:
      return "number";
    case ParamType::kBool:
      return "boolean";
    case ParamType::kString:
      return "string";
    case ParamType::kChoice:
      return "choice";
    case ParamType::kNumberList:
      return "list of numbers";
    case ParamType::kStringList:
      return "list of strings";
    case ParamType::kObject:
      return "object";
  }
  return "value";
}

namespace {

std::string range_text(const ParamInfo& p) {
  const bool has_min = std::isfinite(p.min), has_max = std::isfinite(p.max);
  if (has_min && has_max) return fmt::format("between {:g} and {:g}", p.min, p.max);
  if (has_min) return fmt::format("{} {:g}", p.min_exclusive ? ">" : ">=", p.min);
  return fmt::format("<= {:g}", p.max);
}

void check_range(const ParamInfo& p, double v, const std::string& path) {
  const bool low = p.min_exclusive ? !(v > p.min) : v < p.min;
  if (low || v > p.max) {
    throw ConfigError(path, fmt::format("{:g} is out of range; must be {}{}", v, range_text(p),
                                        p.unit.empty() ? "" : " " + p.unit));
  }
}

double check_number(const ParamInfo& p, const Json& value, const std::string& path) {
  if (!value.is_number()) {
    throw ConfigError(path, "expected a number, got " + type_name(value));
  }
  const double v = value.get<double>();
  check_range(p, v, path);
  return v;
}

}  // namespace

void check_param(const ParamInfo& p, const Json& value, const std::string& path) {
  switch (p.type) {
    case ParamType::kInt: {
      if (value.is_number_float()) {
        const double v = value.get<double>();
        if (v != std::floor(v)) {
          throw ConfigError(path, fmt::format("expected an integer, got {:g}", v));
        }
      } else if (!value.is_number_integer()) {
        throw ConfigError(path, "expected an integer, got " + type_name(value));
      }
      check_number(p, value, path);
      break;
    }
    case ParamType::kNumber:
      check_number(p, value, path);
      break;
    case ParamType::kBool:
      if (!value.is_boolean()) {
        throw ConfigError(path, "expected true or false, got " + type_name(value));
      }
      break;
    case ParamType::kString:
      if (!value.is_string()) throw ConfigError(path, "expected a string, got " + type_name(value));
      break;
    case ParamType::kChoice: {
      if (!value.is_string()) {
        throw ConfigError(path, fmt::format("expected a string, one of {}; got {}",
                                            fmt::join(p.choices, ", "), type_name(value)));
      }
      const auto s = value.get<std::string>();
      if (std::find(p.choices.begin(), p.choices.end(), s) == p.choices.end()) {
        throw ConfigError(path,
                          fmt::format("\"{}\" is not allowed; {}use one of {}", s,
                                      did_you_mean(s, p.choices), fmt::join(p.choices, ", ")));
      }
      break;
    }
    case ParamType::kNumberList: {
      if (!value.is_array()) {
        throw ConfigError(path, "expected a list of numbers, got " + type_name(value));
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        check_number(p, value[i], fmt::format("{}[{}]", path, i));
      }
      break;
    }
    case ParamType::kStringList: {
      if (!value.is_array()) {
        throw ConfigError(path, "expected a list of strings, got " + type_name(value));
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string()) {
          throw ConfigError(fmt::format("{}[{}]", path, i),
                            "expected a string, got " + type_name(value[i]));
        }
      }
      break;
    }
    case ParamType::kObject:
      if (!value.is_object()) {
        throw ConfigError(path, "expected an object, got " + type_name(value));
      }
      break;
  }
}

Json resolve_params(const Json& node, const std::string& path, std::span<const ParamInfo> params,
                    std::span<const std::string> extra_keys) {
  if (!node.is_object()) {
    throw ConfigError(path, "expected an object, got " + type_name(node));
  }
  std::vector<std::string> known;
  for (const auto& p : params) known.push_back(p.name);
  known.insert(known.end(), extra_keys.begin(), extra_keys.end());
  for (const auto& [key, value] : node.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw ConfigError(join_path(path, key),
                        fmt::format("unknown key; {}known keys are {}", did_you_mean(key, known),
                                    fmt::join(known, ", ")));
    }
  }
  Json out = Json::object();
  for (const auto& key : extra_keys) {
    if (node.contains(key)) out[key] = node.at(key);
  }
  for (const auto& p : params) {
    const std::string child = join_path(path, p.name);
    if (node.contains(p.name)) {
      check_param(p, node.at(p.name), child);
      out[p.name] = node.at(p.name);
      if (p.type == ParamType::kNumber) out[p.name] = node.at(p.name).get<double>();
    } else if (p.default_value.is_null()) {
      throw ConfigError(child, "is required (" + p.doc + ")");
    } else {
      out[p.name] = p.default_value;
    }
  }
  return out;
}

Json params_schema(std::span<const ParamInfo> params) {
  Json out = Json::array();
  for (const auto& p : params) {
    Json e = {{"name", p.name},
              {"type", type_label(p.type)},
              {"default", p.default_value},
              {"unit", p.unit},
              {"doc", p.doc}};
    if (std::isfinite(p.min)) e["min"] = p.min;
    if (std::isfinite(p.max)) e["max"] = p.max;
    if (p.min_exclusive) e["min_exclusive"] = true;
    if (!p.choices.empty()) e["choices"] = p.choices;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace xbarsim::kit
