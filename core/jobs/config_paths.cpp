#include "core/jobs/config_paths.h"

#include <array>
#include <filesystem>
#include <string_view>

namespace xbarsim::jobs {
namespace {

// Every config key that names a file or folder, by its dotted path.
constexpr std::array<std::string_view, 7> kPathKeys = {
    "network.onnx",
    "evaluation.weights",
    "evaluation.dataset.train_images",
    "evaluation.dataset.train_labels",
    "evaluation.dataset.test_images",
    "evaluation.dataset.test_labels",
    "evaluation.train.cache",
};

// The node at a dotted path, or nullptr where it is absent.
kit::Json* find(kit::Json& config, std::string_view key) {
  kit::Json* node = &config;
  while (!key.empty()) {
    const std::size_t dot = key.find('.');
    const std::string part(key.substr(0, dot));
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
    key = dot == std::string_view::npos ? std::string_view() : key.substr(dot + 1);
  }
  return node;
}

}  // namespace

bool is_path_key(const std::string& key, const kit::Json& value) {
  if (key == "network") return value.is_string() && value.get<std::string>().ends_with(".onnx");
  for (const auto k : kPathKeys) {
    if (key == k) return true;
  }
  return false;
}

kit::Json anchor_value(const std::string& key, const kit::Json& value, const std::string& dir) {
  if (dir.empty() || dir == "." || !value.is_string() || !is_path_key(key, value)) return value;
  const std::filesystem::path p(value.get<std::string>());
  if (p.empty() || p.is_absolute()) return value;
  return (std::filesystem::path(dir) / p).lexically_normal().string();
}

void anchor_paths(kit::Json& config, const std::string& dir) {
  if (kit::Json* net = find(config, "network")) *net = anchor_value("network", *net, dir);
  for (const auto k : kPathKeys) {
    if (kit::Json* node = find(config, k)) *node = anchor_value(std::string(k), *node, dir);
  }
}

std::string config_dir(const std::string& file) {
  return std::filesystem::path(file).parent_path().string();
}

}  // namespace xbarsim::jobs
