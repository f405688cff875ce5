#pragma once
// Helpers shared by the CLI subcommands.
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/ndarray.h"
#include "core/kit/registry.h"

namespace xbarsim::cli {

// Loads a config file (or the embedded configs/default.json when path is
// empty) and applies --set overrides in order.
kit::Json load_config(const std::string& path, const std::vector<std::string>& sets);

// Writes JSON to path durably, or to stdout when path is "-".
void write_json(const std::string& path, const kit::Json& value);

// Writes a 2-D array to path (.npy/.csv), or prints it as text rows with
// `digits` significant digits when path is "-".
void emit_array(const std::string& path, const kit::NdArray& a, int digits);

// Text of an embedded file under configs/ (throws if absent).
std::string embedded_text(const std::string& relative_path);

}  // namespace xbarsim::cli
