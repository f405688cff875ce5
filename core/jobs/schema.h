#pragma once
// The schema of a whole config, one place for the CLI (`xbarsim config
// schema`) and Python (`xbarsim.schema()`): the top-level keys, every
// registered component with its variants and parameters (type, default,
// unit, doc, range, choices), the network node and its layer kinds, and the
// evaluation nodes of both kinds of run.
#include "core/kit/json.h"
#include "core/kit/registry.h"

namespace xbarsim::jobs {

kit::Json full_schema(const kit::Registry& registry);

}  // namespace xbarsim::jobs
