#include "arrays/array_spec.h"

#include <fmt/format.h>

#include <cmath>

#include "core/kit/error.h"

namespace xbarsim::arrays {

std::vector<kit::ParamInfo> ArraySpec::params() {
  using namespace kit;
  return {
      int_param("rows", 256, 1, 65536, "word lines (inputs)"),
      int_param("cols", 256, 1, 65536, "bit lines (outputs)"),
      choice_param("cell", "1T1R", {"1T1R", "1R"}, "cell type: transistor-gated or passive"),
      number_param("r_access_ohm", 0.0, "ohm",
                   "access transistor on-resistance in series with each 1T1R cell (0 = ideal "
                   "switch; typically 1-10 kOhm); needs solver exact or fast",
                   0.0),
      number_param("r_source_ohm", 0.0, "ohm", "row driver resistance (0 = ideal source)", 0.0),
      number_param("r_wire_row_ohm", 0.0, "ohm",
                   "row wire resistance per cell segment (0 = ideal wire; ~1 ohm at 256x256 "
                   "pitches); needs solver exact or fast",
                   0.0),
      number_param("r_wire_col_ohm", 0.0, "ohm",
                   "column wire resistance per cell segment (0 = ideal wire); needs solver exact "
                   "or fast",
                   0.0),
      number_param("r_sink_ohm", 0.0, "ohm", "column sense resistance (0 = ideal virtual ground)",
                   0.0),
      positive_param("v_read_v", 0.2, "V", "read voltage of a full-scale input"),
      positive_param("t_read_ns", 10.0, "ns", "duration of one read pulse"),
      number_param("wire_rho_ohm_m", 0.0, "ohm*m",
                   "wire resistivity; > 0 derives r_wire_row/col_ohm from the geometry below "
                   "(Cu bulk 1.68e-8 at 20 C, CRC Handbook; narrow lines are higher)",
                   0.0),
      positive_param("wire_width_nm", 50.0, "nm", "wire width (with wire_rho_ohm_m)"),
      positive_param("wire_aspect_ratio", 2.0, "", "wire height / width (with wire_rho_ohm_m)"),
      positive_param("cell_pitch_nm", 100.0, "nm", "wire length per cell segment"),
      positive_param("wire_temperature_k", 300.0, "K",
                     "temperature for rho(T) = rho*(1 + 0.00451*|T - 300 K|)"),
  };
}

ArraySpec ArraySpec::from_json(const kit::Json& j) {
  ArraySpec s;
  s.rows = j.at("rows").get<std::size_t>();
  s.cols = j.at("cols").get<std::size_t>();
  s.cell = j.at("cell").get<std::string>();
  s.r_access_ohm = j.at("r_access_ohm").get<double>();
  s.r_source_ohm = j.at("r_source_ohm").get<double>();
  s.r_wire_row_ohm = j.at("r_wire_row_ohm").get<double>();
  s.r_wire_col_ohm = j.at("r_wire_col_ohm").get<double>();
  s.r_sink_ohm = j.at("r_sink_ohm").get<double>();
  s.v_read_v = j.at("v_read_v").get<double>();
  s.t_read_ns = j.at("t_read_ns").get<double>();
  s.wire_rho_ohm_m = j.at("wire_rho_ohm_m").get<double>();
  s.wire_width_nm = j.at("wire_width_nm").get<double>();
  s.wire_aspect_ratio = j.at("wire_aspect_ratio").get<double>();
  s.cell_pitch_nm = j.at("cell_pitch_nm").get<double>();
  s.wire_temperature_k = j.at("wire_temperature_k").get<double>();
  if (s.wire_rho_ohm_m > 0) {
    // Source: R = ρ·L/(w·h) with NeuroSim's temperature rule (docs/models.md, "Circuit").
    const double rho = s.wire_rho_ohm_m * (1.0 + 0.00451 * std::abs(s.wire_temperature_k - 300.0));
    const double w_m = s.wire_width_nm * 1e-9;
    s.r_wire_row_ohm = s.r_wire_col_ohm =
        rho * s.cell_pitch_nm * 1e-9 / (w_m * w_m * s.wire_aspect_ratio);
  }
  if (s.rows * s.cols > kMaxArrayCells) {
    throw kit::ConfigError("array", fmt::format("{} x {} cells is too large for one array "
                                                "(limit {} cells); split it over tiles",
                                                s.rows, s.cols, kMaxArrayCells));
  }
  return s;
}

kit::Json ArraySpec::to_json() const {
  return {{"rows", rows},
          {"cols", cols},
          {"cell", cell},
          {"r_access_ohm", r_access_ohm},
          {"r_source_ohm", r_source_ohm},
          {"r_wire_row_ohm", r_wire_row_ohm},
          {"r_wire_col_ohm", r_wire_col_ohm},
          {"r_sink_ohm", r_sink_ohm},
          {"v_read_v", v_read_v},
          {"t_read_ns", t_read_ns},
          {"wire_rho_ohm_m", wire_rho_ohm_m},
          {"wire_width_nm", wire_width_nm},
          {"wire_aspect_ratio", wire_aspect_ratio},
          {"cell_pitch_nm", cell_pitch_nm},
          {"wire_temperature_k", wire_temperature_k}};
}

}  // namespace xbarsim::arrays
