#pragma once
// JSON loading with clear errors, dotted-path helpers and --set overrides.
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace xbarsim::kit {

// Ordered so that reports keep the key order of the schema.
using Json = nlohmann::ordered_json;

// Deepest nesting accepted in a config; deeper input is refused while parsing.
inline constexpr int kMaxJsonDepth = 64;

// Parses text (origin names it in errors). Throws ConfigError on syntax
// errors, invalid UTF-8, nesting deeper than kMaxJsonDepth or non-finite numbers.
Json parse_json(std::string_view text, std::string_view origin);
// Reads and parses a file; a missing or unreadable file is an InputError.
Json load_json_file(const std::string& path);

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(std::string_view parent, std::string_view key);
// Name of a JSON value's type for messages ("string", "integer", ...).
std::string type_name(const Json& value);

// Sets config at a dotted path ("tile.adc.bits"), creating objects on the way.
void set_path(Json& config, std::string_view path, const Json& value);

// Applies "path.to.key=value": value is parsed as JSON when it can be,
// otherwise taken as a string. Intermediate objects are created.
void apply_set(Json& config, std::string_view assignment);
// Splits a --set assignment "path=value" (value as JSON, else a bare string).
std::pair<std::string, Json> parse_set(std::string_view assignment);

// The candidate closest to word by edit distance, or "" if none is close.
std::string closest_match(std::string_view word, std::span<const std::string> candidates);
// Every "unknown name" message's hint: `did you mean "NAME"? ` (a trailing
// space, so the message goes on) for the closest candidate, or "".
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

}  // namespace xbarsim::kit
