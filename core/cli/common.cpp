#include "core/cli/common.h"

#include <fmt/format.h>

#include <iostream>

#include "core/jobs/config_paths.h"
#include "core/kit/embedded.h"
#include "core/kit/error.h"
#include "core/kit/io.h"

namespace xbarsim::cli {

std::string embedded_text(const std::string& relative_path) {
  for (const auto& f : kit::embedded_configs()) {
    if (f.path == relative_path) return std::string(f.text);
  }
  throw kit::RuntimeError("embedded config '" + relative_path + "' is missing from this build");
}

kit::Json load_config(const std::string& path, const std::vector<std::string>& sets,
                      const kit::Registry& registry) {
  kit::Json config = path.empty() ? kit::parse_json(embedded_text("default.json"), "default config")
                                  : kit::load_json_file(path);
  if (!config.is_object()) {
    throw kit::ConfigError("", "expected an object, got " + kit::type_name(config));
  }
  // Paths in the file are the file's; --set paths are the working directory's.
  jobs::anchor_paths(config, jobs::config_dir(path));
  std::vector<std::pair<std::string, kit::Json>> overrides;
  for (const auto& s : sets) overrides.push_back(kit::parse_set(s));
  registry.apply_overrides(config, overrides);
  return config;
}

std::string converter_label(const kit::Json& node) {
  std::string label = node.value("impl", std::string("?"));
  if (node.contains("bits") && label != "ideal") {
    label += fmt::format(" {} bits", node.at("bits").get<int>());
  }
  if (node.contains("fit")) label += fmt::format(", {} fit", node.at("fit").get<std::string>());
  return label;
}

std::string one_line(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "xbarsim: warning: " << w << "\n";
}

void emit_array(const std::string& path, const kit::NdArray& a, int digits) {
  if (path != "-") {
    kit::write_array(path, a);
    return;
  }
  const std::size_t cols = a.cols();
  std::string text;
  for (std::size_t k = 0; k < a.data.size(); ++k) {
    text += fmt::format("{:.{}g}", a.data[k], digits);
    text += (k + 1) % cols == 0 ? "\n" : " ";
  }
  std::cout << text;
}

void write_json(const std::string& path, const kit::Json& value) {
  const std::string text = value.dump(2) + "\n";
  if (path == "-") {
    std::cout << text;
  } else {
    kit::write_file_atomic(path, text);
  }
}

}  // namespace xbarsim::cli
