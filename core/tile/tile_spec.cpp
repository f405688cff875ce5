#include "core/tile/tile_spec.h"

#include <fmt/format.h>

#include <cmath>

#include "arrays/device.h"
#include "core/kit/error.h"
#include "core/kit/technology.h"
#include "peripherals/adc.h"
#include "peripherals/dac.h"

namespace xbarsim::tile {

const std::vector<std::string>& TileSpec::component_keys() {
  static const std::vector<std::string> keys = {"array", "device", "mapping",   "read_noise",
                                                "dac",   "adc",    "shift_add", "solver"};
  return keys;
}

std::vector<kit::ParamInfo> TileSpec::params() {
  using namespace kit;
  return {
      int_param("seed", 1, 0, (1LL << 53), "seed of every random stream of the run"),
      choice_param("drift_compensation", "global", {"none", "global", "per_column"},
                   "digital output scale from a calibration read after programming"),
      number_param("node_nm", 32.0, "nm",
                   "CMOS technology node of the periphery; scales the DAC, ADC and digital costs",
                   kMinNodeNm, kMaxNodeNm),
  };
}

const std::vector<std::string>& TileSpec::run_keys() {
  static const std::vector<std::string> keys = {"evaluation",  "network",  "layers",  "pe",
                                                "tile",        "chip",     "name",    "source",
                                                "assumptions", "measured", "in_situ", "snn"};
  return keys;
}

arrays::CircuitSpec TileSpec::circuit(std::size_t rows, std::size_t cols) const {
  arrays::CircuitSpec c = arrays::CircuitSpec::from(array, device.at("iv_v0_v").get<double>());
  c.rows = rows;
  c.cols = cols;
  return c;
}

namespace {

// Settings that parse but that a designer would not mean; see TileSpec::warnings.
std::vector<std::string> tile_warnings(const TileSpec& s, const arrays::DeviceCommon& d) {
  std::vector<std::string> w;
  const auto& a = s.array;
  if (s.solver.at("impl") == "ideal") {
    const std::pair<const char*, double> parasitics[] = {
        {"r_wire_row_ohm", a.r_wire_row_ohm},
        {"r_wire_col_ohm", a.r_wire_col_ohm},
        {"r_source_ohm", a.r_source_ohm},
        {"r_sink_ohm", a.r_sink_ohm},
        {"r_access_ohm", a.cell == "1T1R" ? a.r_access_ohm : 0.0}};
    for (const auto& [key, ohm] : parasitics) {
      if (ohm > 0) {
        w.push_back(fmt::format(
            "array.{}: {:g} ohm is ignored by solver.impl \"ideal\" (cells see the ideal "
            "voltages); set solver.impl to \"exact\" or \"fast\" to include it, or set it to 0",
            key, ohm));
      }
    }
  }
  if (a.v_read_v > 2.0) {
    w.push_back(
        fmt::format("array.v_read_v: {:g} V is far above a read voltage (0.1-0.5 V is "
                    "usual; reads above ~1 V disturb the state); the key is in volts",
                    a.v_read_v));
  }
  if (a.t_read_ns < 0.1 || a.t_read_ns > 1e6) {
    w.push_back(
        fmt::format("array.t_read_ns: {:g} ns is outside 0.1 ns to 1 ms; the key is in "
                    "nanoseconds",
                    a.t_read_ns));
  }
  if (d.g_max_us < 1e-3) {
    w.push_back(
        fmt::format("device.g_max_us: {:g} uS is below 1 nS; the key is in microsiemens "
                    "(40 uS = 4e-5 S is written 40)",
                    d.g_max_us));
  } else if (d.g_max_us > 1e4) {
    w.push_back(
        fmt::format("device.g_max_us: {:g} uS (a {:.3g} ohm cell) is above 10 mS; the "
                    "key is in microsiemens",
                    d.g_max_us, 1e6 / d.g_max_us));
  }
  return w;
}

}  // namespace

double TileSpec::memory_bytes(std::size_t rows, std::size_t cols, std::size_t batch) const {
  const double r = static_cast<double>(rows), c = static_cast<double>(cols);
  const double slices =
      mapping.weight_bits == 0
          ? 1.0
          : std::ceil(static_cast<double>(mapping.weight_bits) / mapping.bits_per_cell);
  const double cells = slices * (mapping.impl == "differential" ? 2 * r * c : r * c + r);
  double bytes = 40 * cells + 64 * r * c;
  if (solver.at("impl") != "ideal") bytes += 16 * cells + 400 * r * c;  // T, dissection fronts
  const double planes = 1 + dac.value("bits", 8);
  bytes += static_cast<double>(batch) * (r * (8 + 4 * planes) + c * (8 + 8 * slices));
  return bytes;
}

arrays::CircuitSpec TileSpec::checked_circuit(std::size_t rows, std::size_t cols,
                                              const std::string& what) const {
  if (rows > array.rows || cols > array.cols) {
    throw kit::InputError(
        fmt::format("{}: {} x {} does not fit the {} x {} array (array.rows x "
                    "array.cols)",
                    what, rows, cols, array.rows, array.cols));
  }
  return circuit(rows, cols);
}

TileSpec TileSpec::parse(const kit::Json& config, const kit::Registry& registry) {
  if (!config.is_object()) {
    throw kit::ConfigError("", "expected an object, got " + kit::type_name(config));
  }
  // Top level: scalars by their table, component nodes by the registry.
  std::vector<std::string> nodes = component_keys();
  nodes.insert(nodes.end(), run_keys().begin(), run_keys().end());
  kit::Json scalars = kit::Json::object();
  for (const auto& [key, value] : config.items()) {
    if (std::find(nodes.begin(), nodes.end(), key) == nodes.end()) scalars[key] = value;
  }
  const auto table = params();
  std::vector<std::string> suggestions = component_keys();  // for "did you mean"
  suggestions.insert(suggestions.end(), run_keys().begin(), run_keys().end());
  kit::Json top = kit::resolve_params(scalars, "", table, suggestions);

  TileSpec s;
  s.seed = top.at("seed").get<std::uint64_t>();
  const auto dc = top.at("drift_compensation").get<std::string>();
  s.drift_compensation = dc == "none"     ? DriftCompensation::kNone
                         : dc == "global" ? DriftCompensation::kGlobal
                                          : DriftCompensation::kPerColumn;
  s.node_nm = top.at("node_nm").get<double>();
  s.resolved = top;
  for (const auto& key : component_keys()) {
    const kit::Json node = config.contains(key) ? config.at(key) : kit::Json();
    if (config.contains(key) && node.is_null()) {
      throw kit::ConfigError(key, "expected an object, got null");
    }
    s.resolved[key] = registry.resolve(key, node, key);
  }
  s.array = arrays::ArraySpec::from_json(s.resolved.at("array"));
  s.resolved["array"] = s.array.to_json();  // derived values (wire resistance) in the report
  s.device = s.resolved.at("device");
  s.mapping = arrays::MappingSpec::from_json(s.resolved.at("mapping"));
  s.read_noise = arrays::ReadNoiseSpec::from_json(s.resolved.at("read_noise"));
  s.dac = s.resolved.at("dac");
  s.adc = s.resolved.at("adc");
  s.shift_add = s.resolved.at("shift_add");
  s.solver = s.resolved.at("solver");
  // Cross-field checks (window order, levels vs bits per cell) run when the
  // objects are built; build them once here so a bad config fails before work.
  const auto device = registry.build<arrays::Device>("device", s.device);
  arrays::Mapping(s.mapping, device->common().g_min_us, device->common().g_max_us,
                  device->common().levels);
  registry.build<peripherals::Dac>("dac", s.dac);
  registry.build<peripherals::Adc>("adc", s.adc);
  if (device->common().iv_v0_v > 0 && s.solver.at("impl") == "ideal") {
    throw kit::ConfigError("solver.impl",
                           "nonlinear cells (device.iv_v0_v > 0) need the "
                           "\"exact\" or \"fast\" solver");
  }
  if (s.solver.at("impl") == "fast" &&
      !(s.array.r_wire_row_ohm > 0 && s.array.r_wire_col_ohm > 0)) {
    throw kit::ConfigError("solver.impl",
                           "the fast solver needs positive array.r_wire_row_ohm "
                           "and array.r_wire_col_ohm; use \"exact\"");
  }
  s.warnings = tile_warnings(s, device->common());
  return s;
}

}  // namespace xbarsim::tile
