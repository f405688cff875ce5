#pragma once
// File paths in a config: a path written in a config file is relative to
// that file's folder, so a config and the model, weights and data beside it
// run from any working directory. Paths given on the command line (--set)
// and the defaults (data/mnist/..., data/weights) stay relative to the
// working directory. The one list of path-valued keys lives here.
#include <string>

#include "core/kit/json.h"

namespace xbarsim::jobs {

// Whether the dotted config path (as in --set) holds a file path; `network`
// counts when its value is a string ending in ".onnx".
bool is_path_key(const std::string& key, const kit::Json& value);

// `value` with a relative path re-rooted at `dir` ("" or "." = unchanged);
// absolute paths, empty strings and non-path keys come back as they are.
kit::Json anchor_value(const std::string& key, const kit::Json& value, const std::string& dir);

// Re-roots every relative path written in `config` at `dir`, the folder of the
// file it was read from.
void anchor_paths(kit::Json& config, const std::string& dir);

// The folder of a config file as given ("" for a bare file name).
std::string config_dir(const std::string& file);

}  // namespace xbarsim::jobs
