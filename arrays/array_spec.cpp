#include "arrays/array_spec.h"

#include <fmt/format.h>

#include "core/kit/error.h"

namespace xbarsim::arrays {

std::vector<kit::ParamInfo> ArraySpec::params() {
  using namespace kit;
  return {
      int_param("rows", 256, 1, 65536, "word lines (inputs)"),
      int_param("cols", 256, 1, 65536, "bit lines (outputs)"),
      choice_param("cell", "1T1R", {"1T1R", "1R"}, "cell type: transistor-gated or passive"),
      number_param("r_access_ohm", 5e3, "ohm", "access transistor on-resistance (1T1R)", 0.0),
      number_param("r_source_ohm", 0.0, "ohm", "row driver resistance (0 = ideal source)", 0.0),
      number_param("r_wire_row_ohm", 1.0, "ohm", "row wire resistance per cell segment", 0.0),
      number_param("r_wire_col_ohm", 1.0, "ohm", "column wire resistance per cell segment", 0.0),
      number_param("r_sink_ohm", 0.0, "ohm", "column sense resistance (0 = ideal virtual ground)",
                   0.0),
      positive_param("v_read_v", 0.2, "V", "read voltage of a full-scale input"),
      positive_param("t_read_ns", 10.0, "ns", "duration of one read pulse"),
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
          {"t_read_ns", t_read_ns}};
}

}  // namespace xbarsim::arrays
