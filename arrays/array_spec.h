#pragma once
// The physical crossbar: size, cell type and the resistances of the circuit
// convention in docs/circuit.md (row sources at column 0, column sinks at row M-1).
#include <cstddef>
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::arrays {

struct ArraySpec {
  std::size_t rows = 256;
  std::size_t cols = 256;
  std::string cell = "1T1R";  // "1T1R" or "1R"
  double r_access_ohm = 0.0;  // access transistor on-resistance (1T1R only)
  double r_source_ohm = 0.0;
  double r_wire_row_ohm = 0.0;
  double r_wire_col_ohm = 0.0;
  double r_sink_ohm = 0.0;
  double v_read_v = 0.2;    // read voltage for a full-scale input
  double t_read_ns = 10.0;  // duration of one read pulse
  // Wire resistance from the technology instead of r_wire_*_ohm (when rho > 0):
  // r = ρ(T)·pitch/(width·width·aspect), ρ(T) = ρ·(1 + 0.00451·|T − 300 K|).
  double wire_rho_ohm_m = 0.0;
  double wire_width_nm = 50.0;
  double wire_aspect_ratio = 2.0;
  double cell_pitch_nm = 100.0;
  double wire_temperature_k = 300.0;

  static std::vector<kit::ParamInfo> params();
  static ArraySpec from_json(const kit::Json& resolved);
  kit::Json to_json() const;
};

// Largest rows*cols we accept for one array (refused before allocating).
inline constexpr std::size_t kMaxArrayCells = std::size_t{1} << 26;

}  // namespace xbarsim::arrays
