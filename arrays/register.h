#pragma once
// Adds the arrays folder's components (array, device, mapping, read_noise,
// solver) and their variants to a registry instance.
#include "core/kit/registry.h"

namespace xbarsim::arrays {

void register_variants(kit::Registry& registry);

}  // namespace xbarsim::arrays
