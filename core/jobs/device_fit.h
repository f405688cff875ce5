#pragma once
// The `device fit` job: an update law fitted to pulse-response data
// (arrays/update_fit.h) or the table device fitted to programming and
// relaxation data (arrays/device_fit.h), returned as a preset that builds as
// it stands. The CLI and the Python module both call it.
#include <string>

#include "arrays/device_fit.h"
#include "core/kit/json.h"
#include "core/kit/registry.h"

namespace xbarsim::jobs {

struct FitRequest {
  std::string data;                   // the CSV
  std::string model = "soft_bounds";  // an update law of arrays::fit_models(), or "table"
  std::string source;                 // provenance for the preset (default: the file names)
  std::size_t nodes = 9;              // piecewise
  arrays::DeviceFitOptions table;     // table: relaxation data, degree, t0
};

struct FitResult {
  kit::Json preset;
  std::string summary;  // "8 target levels", "12 series"
};

// Throws InputError for bad requests and bad data (before any fitting where
// the request alone is at fault).
FitResult fit_preset(const FitRequest& request, const kit::Registry& registry);

}  // namespace xbarsim::jobs
