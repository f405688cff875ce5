// libFuzzer target: arbitrary bytes as a tile config. Bad input must end in
// ConfigError/InputError (std::invalid_argument); anything else — another
// exception, a crash, a sanitizer report, a hang — is a bug.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "core/jobs/registry_setup.h"
#include "core/kit/json.h"
#include "core/tile/tile_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const xbarsim::kit::Registry registry = xbarsim::jobs::make_registry();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = xbarsim::kit::parse_json(text, "fuzz input");
    xbarsim::tile::TileSpec::parse(config, registry);
  } catch (const std::invalid_argument&) {
    // expected for bad input
  }
  return 0;
}
