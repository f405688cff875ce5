#pragma once
// Fitting the `table` device (arrays/devices/table.cpp) to measured data:
// the programming-error polynomial σ(G) from programming data, and the drift
// exponent ν (mean and spread) with the relative read noise from relaxation
// data. The result is a device preset (configs/devices/ format) with the
// fit's residuals and the data's provenance.
//
// Programming data: a CSV whose header names g_target_us and g_us, one row
// per programmed cell (g_us the conductance it reached). Cells are grouped
// by target: equal targets, or with more than 32 distinct targets 16 equal
// bins of the target range. Each group of at least 5 cells gives σ, the
// sample SD of g − target (its mean error is reported, not modelled);
// σ(x), x = target/g_max, is the least-squares polynomial of `degree` over
// the groups weighted by their cell counts. The window is the targets'
// range.
//
// Relaxation data: a CSV whose header names device, t_s and g_us, each
// device's reads t_s after it was programmed. Per device, ln g = ln g0 −
// ν·ln((t + t0)/t0) by least squares (devices with a read at or below 0
// are left out, and counted); the preset takes ν's mean and SD over the
// devices. The read noise σ = rel·g + frac·window is fitted to the
// residuals about each device's curve (read noise and any departure from
// the power law together).
//
// Contract: bad data (missing columns, NaN, a negative target or time, too
// few cells, levels or reads to fit, no device with positive reads,
// conductances that rise over time) throws InputError naming the file and
// the row or device.
#include <string>

#include "core/kit/json.h"

namespace xbarsim::arrays {

struct DeviceFitOptions {
  std::string relaxation_csv;  // empty: no drift fit (ν = 0, no read noise)
  int degree = 2;              // of σ(x)
  double t0_s = 1.0;           // drift reference time
};

kit::Json fit_table_device(const std::string& programming_csv, const DeviceFitOptions& options,
                           const std::string& source);

}  // namespace xbarsim::arrays
