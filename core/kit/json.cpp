#include "core/kit/json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/kit/error.h"
#include "core/kit/io.h"

namespace xbarsim::kit {
namespace {

// Walks a parsed value iteratively (no recursion, so depth cannot hurt us)
// and refuses numbers that JSON cannot represent (1e999 parses as inf).
void check_finite(const Json& root, std::string_view origin) {
  std::vector<const Json*> stack{&root};
  while (!stack.empty()) {
    const Json* v = stack.back();
    stack.pop_back();
    if (v->is_number_float() && !std::isfinite(v->get<double>())) {
      throw ConfigError("", std::string(origin) + " holds a number out of range (not finite)");
    }
    if (v->is_structured()) {
      for (const auto& child : *v) stack.push_back(&child);
    }
  }
}

}  // namespace

Json parse_json(std::string_view text, std::string_view origin) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw ConfigError("", std::string(origin) + " is empty; expected a JSON object");
  }
  // The callback sees the depth of every value as it is parsed, so deeply
  // nested input is refused before it is built.
  // It also keeps the keys of every open object, so a key given twice (which
  // JSON parsers resolve silently, last one wins) is refused.
  struct TooDeep {};
  struct Duplicate {
    std::string key;
  };
  std::vector<std::vector<std::string>> open_keys;
  const Json::parser_callback_t check = [&open_keys](int depth, Json::parse_event_t event,
                                                     Json& parsed) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    if (event == Json::parse_event_t::object_start) {
      open_keys.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !open_keys.empty()) {
      open_keys.pop_back();
    } else if (event == Json::parse_event_t::key && !open_keys.empty()) {
      auto& keys = open_keys.back();
      const std::string key = parsed.get<std::string>();
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) throw Duplicate{key};
      keys.push_back(key);
    }
    return true;
  };
  Json value;
  try {
    value = Json::parse(text.begin(), text.end(), check);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range on 1e999
    // nlohmann's message is "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string msg = e.what();
    const auto pos = msg.find("] ");
    if (pos != std::string::npos) msg = msg.substr(pos + 2);
    throw ConfigError("", std::string(origin) + " is not valid JSON: " + msg);
  } catch (const Duplicate& d) {
    throw ConfigError(
        "", std::string(origin) + " gives the key \"" + d.key + "\" twice in one object; keep one");
  } catch (const TooDeep&) {
    throw ConfigError("", std::string(origin) + " is nested deeper than " +
                              std::to_string(kMaxJsonDepth) + " levels");
  }
  check_finite(value, origin);
  return value;
}

Json load_json_file(const std::string& path) {
  // A config is text of at most some megabytes: 64 MiB refuses /dev/zero-like
  // inputs before they fill memory.
  return parse_json(read_file(path, "config file '" + path + "'", std::size_t{64} << 20),
                    "config file '" + path + "'");
}

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

namespace {

// "network.layers[1].bits" -> network, layers, 1, bits ("layers.1" works too).
std::vector<std::string> path_segments(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  bool after_index = false;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    const char c = i < path.size() ? path[i] : '.';
    if (c == '.') {
      if (cur.empty() && !after_index) {
        throw InputError("config path '" + path + "' has an empty component");
      }
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      after_index = false;
    } else if (c == '[') {
      const auto close = path.find(']', i);
      if ((cur.empty() && !after_index) || close == std::string::npos || close == i + 1) {
        throw InputError("config path '" + path + "': write a list index as name[i]");
      }
      if (!cur.empty()) out.push_back(cur);
      out.push_back(path.substr(i + 1, close - i - 1));
      cur.clear();
      i = close;
      after_index = true;
    } else if (after_index) {
      throw InputError("config path '" + path + "': expected '.' or '[' after ']'");
    } else {
      cur += c;
    }
  }
  return out;
}

bool is_index(const std::string& key) {
  return !key.empty() && key.size() < 10 &&
         key.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void set_path(Json& config, std::string_view path_in, const Json& value) {
  const std::string path(path_in);
  if (!config.is_object()) throw ConfigError("", "top level must be a JSON object");
  const auto keys = path_segments(path);
  Json* node = &config;
  std::string walked;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const std::string& key = keys[k];
    const bool last = k + 1 == keys.size();
    Json* child = nullptr;
    if (node->is_array()) {
      if (!is_index(key) || std::stoul(key) >= node->size()) {
        throw ConfigError(walked, fmt::format("setting {}: this list has {} entries, indexed 0 to "
                                              "{}; '{}' is not one of them",
                                              path, node->size(), node->size() - 1, key));
      }
      walked += "[" + key + "]";
      child = &(*node)[std::stoul(key)];
    } else {
      walked = join_path(walked, key);
      child = &(*node)[key];
    }
    if (last) {
      *child = value;
      return;
    }
    if (child->is_null()) *child = Json::object();
    if (!child->is_object() && !child->is_array()) {
      throw ConfigError(walked,
                        "setting " + path + " needs an object here, found " + type_name(*child));
    }
    node = child;
  }
}

std::pair<std::string, Json> parse_set(std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw InputError("--set expects path=value (e.g. array.rows=128), got '" +
                     std::string(assignment) + "'");
  }
  const std::string text(assignment.substr(eq + 1));
  Json value;
  try {
    value = parse_json(text, "--set value");
  } catch (const ConfigError&) {
    value = text;  // bare words such as adc.impl=sar are strings
  }
  return {std::string(assignment.substr(0, eq)), std::move(value)};
}

void apply_set(Json& config, std::string_view assignment) {
  const auto [path, value] = parse_set(assignment);
  set_path(config, path, value);
}

std::string closest_match(std::string_view word, std::span<const std::string> candidates) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& c : candidates) {
    // Levenshtein distance, two rows.
    std::vector<std::size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (std::size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= c.size(); ++j) {
        const std::size_t cost = word[i - 1] == c[j - 1] ? 0 : 1;
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      }
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_distance) {
      best_distance = prev[c.size()];
      best = c;
    }
  }
  // Close enough to be a typo: at most a third of the longer word.
  const std::size_t limit = std::max<std::size_t>(2, std::max(word.size(), best.size()) / 3);
  return best_distance <= limit ? best : std::string();
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  const std::string near = closest_match(word, candidates);
  return near.empty() ? "" : "did you mean \"" + near + "\"? ";
}

}  // namespace xbarsim::kit
