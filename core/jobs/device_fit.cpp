#include "core/jobs/device_fit.h"

#include <fmt/format.h>

#include <algorithm>

#include "arrays/device.h"
#include "arrays/update.h"
#include "arrays/update_fit.h"
#include "core/kit/error.h"

namespace xbarsim::jobs {

FitResult fit_preset(const FitRequest& q, const kit::Registry& registry) {
  if (q.nodes < 2 || q.nodes > 1000) throw kit::InputError("--nodes: 2 to 1000 states");
  const bool table = q.model == "table";
  const auto& laws = arrays::fit_models();
  if (!table && std::find(laws.begin(), laws.end(), q.model) == laws.end()) {
    throw kit::InputError(
        fmt::format("--model: \"{}\" is not one of {}, table", q.model, fmt::join(laws, ", ")));
  }
  if (!table && !q.table.relaxation_csv.empty()) {
    throw kit::InputError("--relaxation: only with --model table (a device's drift)");
  }
  FitResult r;
  if (table) {
    const std::string source =
        q.source.empty()
            ? fmt::format("fitted to the programming data in {}{}", q.data,
                          q.table.relaxation_csv.empty()
                              ? ""
                              : " and the relaxation data in " + q.table.relaxation_csv)
            : q.source;
    r.preset = arrays::fit_table_device(q.data, q.table, source);
    // The preset must build as it stands: the fit's values within the device's ranges.
    registry.build<arrays::Device>("device", registry.resolve("device", r.preset, "fitted preset"));
    r.summary = fmt::format("{} target levels", r.preset.at("fit").at("levels").size());
  } else {
    const auto data = arrays::read_pulse_csv(q.data);
    const std::string source = q.source.empty()
                                   ? fmt::format("fitted to the pulse-response data in {}", q.data)
                                   : q.source;
    r.preset = arrays::fit_update(data, q.model, source, q.nodes);
    registry.build<arrays::UpdateModel>("update",
                                        registry.resolve("update", r.preset, "fitted preset"));
    r.summary = fmt::format("{} series", data.size());
  }
  return r;
}

}  // namespace xbarsim::jobs
