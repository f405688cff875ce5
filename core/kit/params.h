#pragma once
// Self-describing parameters: every variant of every component carries a
// table of these. The table validates a config node, fills its defaults and
// documents it (`xbarsim config schema`), so a default is written once.
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/kit/json.h"

namespace xbarsim::kit {

enum class ParamType { kInt, kNumber, kBool, kString, kChoice, kNumberList, kStringList, kObject };

struct ParamInfo {
  std::string name;  // JSON key, unit-suffixed (g_max_us, t_read_ns, ...)
  ParamType type = ParamType::kNumber;
  Json default_value;  // null = required
  std::string unit;    // "ohm", "uS", "s", "" for dimensionless
  std::string doc;     // one line
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;        // min < value instead of min <= value
  std::vector<std::string> choices;  // kChoice: the allowed strings
};

// Builders keep tables short and readable.
ParamInfo int_param(std::string name, long long def, long long min, long long max, std::string doc);
ParamInfo number_param(std::string name, double def, std::string unit, std::string doc,
                       double min = -std::numeric_limits<double>::infinity(),
                       double max = std::numeric_limits<double>::infinity());
ParamInfo positive_param(std::string name, double def, std::string unit, std::string doc);
ParamInfo bool_param(std::string name, bool def, std::string doc);
ParamInfo string_param(std::string name, std::string def, std::string doc);
ParamInfo choice_param(std::string name, std::string def, std::vector<std::string> choices,
                       std::string doc);
ParamInfo number_list_param(std::string name, std::vector<double> def, std::string unit,
                            std::string doc);
ParamInfo string_list_param(std::string name, std::string doc);  // default: empty
// A component node (a JSON object); def_text says what applies without it.
ParamInfo object_param(std::string name, std::string def_text, std::string doc);

// Validates one value against its parameter (path names it in errors).
void check_param(const ParamInfo& p, const Json& value, const std::string& path);

// Validates node (an object) against params: every key known (extra_keys are
// allowed and copied through), every value of the right type and range.
// Returns the node with defaults filled, keys in table order.
Json resolve_params(const Json& node, const std::string& path, std::span<const ParamInfo> params,
                    std::span<const std::string> extra_keys = {});

// The parameter table as JSON for `config schema`.
Json params_schema(std::span<const ParamInfo> params);

std::string type_label(ParamType type);

}  // namespace xbarsim::kit
