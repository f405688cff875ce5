#pragma once
// JSON files from configs/ compiled into the binary (see cmake/embed_configs.cmake).
#include <string_view>
#include <vector>

namespace xbarsim::kit {

struct EmbeddedFile {
  std::string_view path;  // relative to configs/, e.g. "devices/pcm_ibm.json"
  std::string_view text;
};

const std::vector<EmbeddedFile>& embedded_configs();

}  // namespace xbarsim::kit
