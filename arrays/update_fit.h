#pragma once
// Fitting an update law to a measured pulse-response series: a device's
// conductance after each of a train of identical SET (potentiation) or RESET
// (depression) pulses, for one or more devices and cycles. The result is an
// update preset (configs/updates/ format) with the fit's residuals and the
// data's provenance, ready for in_situ.update.
//
// Data: a CSV with a header naming the columns pulse, g_us, direction
// (+1 SET, -1 RESET) and optionally cycle and device. A series is the rows
// of one (device, cycle, direction) in file order; its pulse numbers must
// increase by 1, its first row being the state before the series' first
// pulse. Steps are the differences of consecutive rows.
//
// The states map onto weights w in [-1, 1] over the data's conductance range.
//   soft_bounds  least squares of each direction's step on the state: a line
//                dw = s·(1 - w/b); the bounds b become the preset's window
//   exp_step     aihwkit's ExpStep with z = w (a = 1, b = 0): per direction
//                dir·dw = s·(1 − A·e^(γ·dir·w)), γ by a scan of the SSE with
//                s and s·A solved linearly at each γ
//   neurosim     NeuroSim's curve: states N = the longest series' pulses, A
//                per direction by least squares of the steps; the labels
//                nl_ltp/nl_ltd from A; c2c_sigma the residual σ
//   piecewise    the mean step in `nodes` equal state bins per direction
// Cycle-to-cycle σ (dw_min_std, multiplicative) is the σ of the residuals
// relative to the fitted step; with several devices, device-to-device σ of
// the step and bounds from per-device fits.
//
// Contract: bad data (missing columns, NaN, pulse numbers that do not
// increase by 1, too few steps to fit, a fit that gives no bound) throws
// InputError naming the file and row or series.
#include <string>
#include <vector>

#include "core/kit/json.h"

namespace xbarsim::arrays {

struct PulseSeries {
  std::string device, cycle;
  int direction = 1;
  std::vector<double> g_us;   // the state before each pulse, then after the last
  std::size_t first_row = 0;  // CSV row of g_us[0] (1 = the first data row)
};

std::vector<PulseSeries> read_pulse_csv(const std::string& path);

// models: "soft_bounds", "exp_step", "neurosim", "piecewise".
kit::Json fit_update(const std::vector<PulseSeries>& data, const std::string& model,
                     const std::string& source, std::size_t nodes = 9);

const std::vector<std::string>& fit_models();

}  // namespace xbarsim::arrays
