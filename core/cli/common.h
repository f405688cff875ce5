#pragma once
// Helpers shared by the CLI subcommands.
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/ndarray.h"
#include "core/kit/registry.h"

namespace xbarsim::cli {

// Loads a config file (or the embedded configs/default.json when path is
// empty) and applies --set overrides in order (an "X.impl" override switches
// node X to that variant: Registry::apply_overrides).
kit::Json load_config(const std::string& path, const std::vector<std::string>& sets,
                      const kit::Registry& registry);

// Writes JSON to path durably, or to stdout when path is "-".
void write_json(const std::string& path, const kit::Json& value);

// Writes a 2-D array to path (.npy/.csv), or prints it as text rows with
// `digits` significant digits when path is "-".
void emit_array(const std::string& path, const kit::NdArray& a, int digits);

// An error message as one printable ASCII line: parser messages may quote
// raw (even non-UTF-8) input bytes; line breaks become spaces, other control
// and non-ASCII bytes \xNN.
std::string one_line(const std::string& text);

// Prints each warning as one "xbarsim: warning: ..." line on stderr.
void print_warnings(const std::vector<std::string>& warnings);

// A resolved dac or adc node as the run headers name it: impl, bits, and
// the cost fit where the variant has one ("sar 6 bits, murmann2024 fit").
std::string converter_label(const kit::Json& node);

// Text of an embedded file under configs/ (throws if absent).
std::string embedded_text(const std::string& relative_path);

}  // namespace xbarsim::cli
