#pragma once
// The registry of every component a config may hold, filled from each folder.
#include "core/kit/registry.h"

namespace xbarsim::arch {

kit::Registry make_registry();

}  // namespace xbarsim::arch
