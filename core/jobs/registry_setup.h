#pragma once
// The registry of every component a config may hold, filled from each folder.
#include "core/kit/registry.h"

namespace xbarsim::jobs {

kit::Registry make_registry();

}  // namespace xbarsim::jobs
