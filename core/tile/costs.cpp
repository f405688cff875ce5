// What a tile's VMMs did and cost: the action counts (through
// count_actions, shared with the performance model), their energies and
// latency, and the periphery's per-conversion costs and areas.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/tile/tile.h"

namespace xbarsim::tile {

int Tile::accumulator_bits(const std::vector<double>& group_weights) const {
  return shift_add_->width(adc_->spec().ideal() ? 0 : adc_->spec().bits, group_weights,
                           mapped_.slice_weight);
}

Tile::PlaneStats Tile::plane_stats(const float* v, Eigen::Index n, Eigen::Index rows,
                                   const Eigen::VectorXf& g, bool durations) {
  // Largest |v|, Σ v²·g or Σ |v|·g (read energy), nonzeros (pulses); Eigen's
  // reductions vectorize where a plain float loop may not reassociate.
  const Eigen::Map<const RowMatrixF> m(v, n, rows);
  PlaneStats st;
  if (m.size() == 0) return st;
  st.max_abs = static_cast<double>(m.cwiseAbs().maxCoeff());
  st.energy = static_cast<double>(durations ? (m.cwiseAbs() * g).sum() : (m.cwiseAbs2() * g).sum());
  st.nnz = static_cast<std::uint64_t>((m.array() != 0.0f).count());
  return st;
}

Tile::PlaneStats Tile::plane_stats(const PlaneCodes& codes, Eigen::Index first, Eigen::Index n,
                                   const std::vector<double>& sums) {
  PlaneStats st;
  st.nnz = codes.nonzeros(first, n);
  st.max_abs = st.nnz > 0 ? 1.0 : 0.0;
  st.energy = codes.weighted(first, n, sums);  // v² = |v| for entries in {-1, 0, 1}
  return st;
}

Actions Tile::count_actions(const peripherals::DacPlanes& p, const std::vector<PlaneStats>& stats,
                            double v_scale) const {
  const auto& dac = dac_->spec();
  const auto& adc = adc_->spec();
  const auto slices = static_cast<std::uint64_t>(mapped_.slices);
  const auto groups = static_cast<std::uint64_t>(p.groups());
  const int acc_bits = accumulator_bits(p.weight);
  GroupShape group;
  group.rows = mapped_.rows;
  group.cols = mapped_.cols;
  group.slices = slices;
  group.polarity = mapping_.differential() ? 2 : 1;
  group.cycles = static_cast<std::uint64_t>(dac_->cycles());
  group.groups = groups;
  group.dac_bits = dac.analog() ? 0 : dac.bits;
  group.adc_bits = adc.ideal() ? 0 : adc.bits;
  group.accumulator_bits = acc_bits;
  const auto batch = static_cast<std::uint64_t>(p.batch);
  Actions a = tile::count_actions(group, batch);

  // Array: Σ V²·G·t over the cells read (µS·V²·ns = 1e-3 pJ), from the
  // conductances; the wires' own dissipation is not included. A pulse-width
  // plane holds durations at full v_read.
  double e = 0;
  for (std::size_t k = 0; k < stats.size(); ++k) {
    if (p.duration_coded) {
      const double t_full = static_cast<double>(dac.levels()) * dac.t_lsb_ns;
      e += t_full * static_cast<double>(p.frac[k]) * stats[k].energy * v_scale;
    } else {
      e += spec_.array.t_read_ns * stats[k].energy * v_scale * v_scale;
    }
    // A pulse-width group's later planes are the same pulses still on.
    if (!p.duration_coded || k == 0 || p.group[k] != p.group[k - 1]) {
      a.dac_pulses += stats[k].nnz * slices;
    }
  }
  const double v_read = spec_.array.v_read_v;
  a.array_pj = v_read * v_read * e * 1e-3;
  const auto adc_cost = adc_->cost(spec_.node_nm);
  const auto sa_cost = shift_add_->cost(spec_.node_nm, acc_bits);
  a.dac_pj = static_cast<double>(a.dac_conversions) * dac_->cost(spec_.node_nm).energy_pj;
  const auto shape = dac_->conversion_shape();
  a.adc_pj = static_cast<double>(a.adc_conversions) *
             adc_->conversion_pj(spec_.node_nm, shape.planes, shape.steps);
  a.shift_add_pj = static_cast<double>(a.shift_adds) * sa_cost.energy_pj;
  // Vectors one after another; each vector's reads, then its conversions on
  // ADCs shared by share_columns columns.
  const double share = adc.ideal() ? 0.0 : static_cast<double>(adc.share_columns);
  a.latency_ns = static_cast<double>(batch) *
                 (dac_->read_ns(spec_.array.t_read_ns) +
                  static_cast<double>(groups) * share *
                      peripherals::conversion_slot_ns(adc_cost.t_conv_ns, sa_cost.t_add_ns));
  return a;
}

kit::Json Tile::costs_json() const {
  if (!programmed()) throw kit::InputError("costs: the tile has no weights; program it first");
  const auto rows = static_cast<double>(mapped_.rows);
  const auto slices = static_cast<double>(mapped_.slices);
  const auto dac = dac_->cost(spec_.node_nm);
  const auto adc = adc_->cost(spec_.node_nm);
  const int acc_bits = accumulator_bits(dac_->group_weights(linear_array()));
  const auto sa = shift_add_->cost(spec_.node_nm, acc_bits);
  // A slice's G+ and G- (or G and reference) columns share its row drivers
  // and their difference goes to one ADC per share_columns columns.
  const double dacs = rows * slices;
  const double adcs =
      adc_->spec().ideal()
          ? 0.0
          : slices * std::ceil(static_cast<double>(mapped_.cols) / adc_->spec().share_columns);
  const double dac_area = dac_->spec().analog() ? 0.0 : dacs * dac.area_um2;
  const double adc_area = adcs * adc.area_um2;
  const double sa_area = adcs * sa.area_um2;
  return {{"node_nm", spec_.node_nm},
          {"dac",
           {{"count", dacs},
            {"energy_pj_per_conversion", dac.energy_pj},
            {"cycles_per_vector", dac_->cycles()},
            {"read_ns_per_vector", dac_->read_ns(spec_.array.t_read_ns)},
            {"conversions_per_vector", dac_->conversions()},
            {"area_um2", dac_area}}},
          {"adc",
           {{"count", adcs},
            {"energy_pj_per_conversion",
             adc_->conversion_pj(spec_.node_nm, dac_->conversion_shape().planes,
                                 dac_->conversion_shape().steps)},
            {"t_conv_ns", adc.t_conv_ns},
            {"area_um2", adc_area}}},
          {"shift_add",
           {{"count", adcs},
            {"accumulator_bits", acc_bits},
            {"energy_pj_per_add", sa.energy_pj},
            {"area_um2", sa_area}}},
          {"area_um2",
           {{"dac", dac_area},
            {"adc", adc_area},
            {"shift_add", sa_area},
            {"total", dac_area + adc_area + sa_area}}}};
}

}  // namespace xbarsim::tile
