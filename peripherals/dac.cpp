#include "peripherals/dac.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "core/kit/error.h"
#include "core/kit/technology.h"

namespace xbarsim::peripherals {

std::vector<kit::ParamInfo> DacSpec::common_params() {
  using namespace kit;
  return {
      int_param("bits", 8, 1, 16,
                "input resolution, including the sign bit unless signed_drive "
                "is \"none\""),
      choice_param("signed_drive", "differential", {"none", "differential", "two_phase"},
                   "negative inputs: refused, negative voltages, or a second read subtracted"),
      choice_param("range", "batch_max", {"batch_max", "fixed", "calibrated"},
                   "full scale: largest |x| of each batch, full_scale, or a percentile of the "
                   "calibration inputs"),
      positive_param("full_scale", 1.0, "", "logical input applied as v_read (range \"fixed\")"),
      number_param("percentile", 99.99, "%",
                   "of |x| over calibration inputs (range \"calibrated\")", 50.0, 100.0),
  };
}

std::vector<kit::ParamInfo> DacSpec::cost_params(double energy_pj, double area_um2,
                                                 double ref_node_nm) {
  using namespace kit;
  return {
      number_param("energy_pj", energy_pj, "pJ", "per row driven per read cycle, at ref_node_nm",
                   0.0),
      number_param("area_um2", area_um2, "um2", "per DAC (one per row), at ref_node_nm", 0.0),
      number_param("ref_node_nm", ref_node_nm, "nm", "node of the figures above", kMinNodeNm,
                   kMaxNodeNm),
      number_param("t_cycle_ns", 0.0, "ns", "settling added to each read cycle", 0.0),
  };
}

DacSpec DacSpec::from_json(const kit::Json& j, const std::string& path) {
  DacSpec s;
  s.impl = j.at("impl").get<std::string>();
  if (s.analog()) return s;
  s.bits = j.at("bits").get<int>();
  const auto drive = j.at("signed_drive").get<std::string>();
  s.signed_drive = drive == "none"           ? SignedDrive::kNone
                   : drive == "differential" ? SignedDrive::kDifferential
                                             : SignedDrive::kTwoPhase;
  const auto range = j.at("range").get<std::string>();
  s.range = range == "batch_max" ? DacRange::kBatchMax
            : range == "fixed"   ? DacRange::kFixed
                                 : DacRange::kCalibrated;
  s.full_scale = j.at("full_scale").get<double>();
  s.percentile = j.at("percentile").get<double>();
  s.energy_pj = j.at("energy_pj").get<double>();
  s.area_um2 = j.at("area_um2").get<double>();
  s.ref_node_nm = j.at("ref_node_nm").get<double>();
  s.t_cycle_ns = j.at("t_cycle_ns").get<double>();
  if (j.contains("t_lsb_ns")) s.t_lsb_ns = j.at("t_lsb_ns").get<double>();
  if (s.signed_drive != SignedDrive::kNone && s.bits < 2) {
    throw kit::ConfigError(kit::join_path(path, "bits"),
                           "a signed input needs at least 2 bits (sign and magnitude); set "
                           "signed_drive to \"none\" for 1-bit inputs");
  }
  return s;
}

long long DacSpec::levels() const {
  if (analog()) return 0;
  const int magnitude_bits = signed_drive == SignedDrive::kNone ? bits : bits - 1;
  return (1LL << magnitude_bits) - 1;
}

DacPlanes Dac::encode_packed(const RowMatrixF&, double) const {
  throw std::logic_error("Dac::encode_packed: this DAC does not pack (packs() is false)");
}

std::vector<double> Dac::group_weights(bool linear_array) const {
  return encode(RowMatrixF::Zero(1, 1), 1.0, linear_array).weight;
}

DacCost Dac::cost(double node_nm) const {
  if (spec_.analog()) return {};
  return {spec_.energy_pj * kit::energy_scale(spec_.ref_node_nm, node_nm),
          spec_.area_um2 * kit::area_scale(spec_.ref_node_nm, node_nm)};
}

RowMatrixF Dac::codes(const RowMatrixF& x, double x_fs) const {
  const auto l = static_cast<float>(spec_.levels());
  const float scale = l / static_cast<float>(x_fs);
  const bool unsigned_only = spec_.signed_drive == SignedDrive::kNone;
  if (unsigned_only) {
    // The vectorised minimum first; its position only for the message.
    Eigen::Index b = 0, i = 0;
    if (x.size() > 0 && x.minCoeff() < 0.0f && x.minCoeff(&b, &i) < 0.0f) {
      throw kit::InputError(fmt::format(
          "inputs: value {:g} at [{}, {}] is negative but dac.signed_drive is \"none\"; use "
          "\"differential\" or \"two_phase\"",
          x(b, i), b, i));
    }
  }
  const float lo = unsigned_only ? 0.0f : -l;
  return (x * scale).array().round().max(lo).min(l).matrix();
}

std::vector<RowMatrixF> Dac::phase_codes(const RowMatrixF& q) const {
  if (spec_.signed_drive != SignedDrive::kTwoPhase) return {q};
  return {q.cwiseMax(0.0f), (-q).cwiseMax(0.0f)};
}

}  // namespace xbarsim::peripherals
