#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "core/jobs/registry_setup.h"
#include "core/kit/error.h"
#include "core/kit/gemm.h"
#include "core/kit/rng.h"
#include "core/tile/bit_table.h"
#include "core/tile/tile.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;

namespace {

kit::NdArray matrix(std::size_t r, std::size_t c, std::uint64_t seed, bool uniform) {
  return test::random_matrix(r, c, kit::Stream(seed, "test", "pipeline"), uniform);
}

// An exact tile: ideal devices, analog weights, no noise or compensation.
Json exact_tile(std::size_t rows, std::size_t cols) {
  return {{"seed", 3},
          {"array", {{"rows", rows}, {"cols", cols}}},
          {"device", {{"impl", "ideal"}}},
          {"mapping", {{"weight_bits", 0}}},
          {"read_noise", {{"mode", "off"}}},
          {"drift_compensation", "none"}};
}

struct Run {
  kit::NdArray y;
  tile::Actions actions;
  Json costs;
};

Run run(const Json& cfg, const kit::NdArray& w, const kit::NdArray& x) {
  const auto reg = jobs::make_registry();
  tile::Tile tile(tile::TileSpec::parse(cfg, reg), reg);
  tile.program(w);
  Run r;
  r.y = tile.vmm(x);
  r.actions = tile.last_actions();
  r.costs = tile.costs_json();
  return r;
}

double max_rel(const kit::NdArray& a, const kit::NdArray& b) {
  double num = 0, den = 0;
  for (std::size_t k = 0; k < a.data.size(); ++k) {
    num = std::max(num, std::abs(a.data[k] - b.data[k]));
    den = std::max(den, std::abs(b.data[k]));
  }
  return num / den;
}

}  // namespace

TEST_CASE("bit-serial DAC with an ideal ADC reproduces the exact product", "[arch][pipeline]") {
  // Inputs on the DAC's code grid (k/255 of a fixed full scale of 2) and
  // signed ones through both signed drives: nothing is lost.
  const auto w = matrix(40, 24, 1, false);
  kit::NdArray x = matrix(9, 40, 2, true);
  for (auto& v : x.data) v = 2.0 * std::round(v * 255.0) / 255.0;
  Json cfg = exact_tile(40, 24);
  cfg["dac"] = {{"impl", "bit_serial"},
                {"bits", 8},
                {"signed_drive", "none"},
                {"range", "fixed"},
                {"full_scale", 2.0}};
  CHECK(max_rel(run(cfg, w, x).y, kit::matmul(x, w)) < 1e-5);
  kit::NdArray xs = x;
  for (std::size_t k = 0; k < xs.data.size(); k += 3) xs.data[k] = -xs.data[k];
  for (const std::string drive : {"differential", "two_phase"}) {
    cfg["dac"] = {{"impl", "bit_serial"},
                  {"bits", 9},
                  {"signed_drive", drive},
                  {"range", "fixed"},
                  {"full_scale", 2.0}};
    CHECK(max_rel(run(cfg, w, xs).y, kit::matmul(xs, w)) < 1e-5);
  }
  // Off-grid inputs: the error is the input rounding, at most half an LSB per input.
  const auto xr = matrix(9, 40, 3, true);
  cfg["dac"] = {{"impl", "bit_serial"}, {"bits", 8}, {"signed_drive", "none"}};
  const auto y = run(cfg, w, xr).y;
  const auto ref = kit::matmul(xr, w);
  double bound = 0;
  for (const double v : w.data) bound = std::max(bound, std::abs(v));
  const double x_max = *std::max_element(xr.data.begin(), xr.data.end());
  for (std::size_t k = 0; k < y.data.size(); ++k) {
    CHECK(std::abs(y.data[k] - ref.data[k]) <= 40 * bound * 0.5 * x_max / 255.0 * 1.0001);
  }
}

TEST_CASE("pipeline action counts match their closed forms", "[arch][pipeline][actions]") {
  const std::size_t rows = 30, cols = 20, batch = 7;
  const auto w = matrix(rows, cols, 4, false);
  const auto x = matrix(batch, rows, 5, false);  // signed
  struct Case {
    std::string dac, drive, mapping;
    int dac_bits, weight_bits;
    std::uint64_t cycles;
  };
  // Magnitude bits: 8-bit signed -> 7; weight 7 bits incl. sign over 3-bit cells -> 2 slices.
  const std::vector<Case> cases = {{"bit_serial", "differential", "differential", 8, 7, 7},
                                   {"bit_serial", "two_phase", "offset", 6, 7, 10},
                                   {"multibit", "two_phase", "differential", 8, 0, 2},
                                   {"pwm", "differential", "offset", 5, 0, 1}};
  for (const auto& c : cases) {
    Json cfg = exact_tile(rows, cols);
    cfg["mapping"] = {{"impl", c.mapping}, {"weight_bits", c.weight_bits}, {"bits_per_cell", 3}};
    cfg["dac"] = {{"impl", c.dac}, {"bits", c.dac_bits}, {"signed_drive", c.drive}};
    cfg["adc"] = {{"impl", "sar"}, {"bits", 6}, {"share_columns", 4}};
    const auto r = run(cfg, w, x);
    // Differential slices hold the 6 magnitude bits, offset ones the 7-bit
    // code q + q_max.
    const std::uint64_t slices = c.weight_bits == 0 ? 1 : (c.mapping == "offset" ? 3 : 2);
    const std::uint64_t crossbars = slices * (c.mapping == "differential" ? 2 : 1);
    const auto& a = r.actions;
    INFO(c.dac << " " << c.drive << " " << c.mapping);
    CHECK(a.vectors == batch);
    CHECK(a.read_cycles == batch * c.cycles);
    CHECK(a.array_reads == batch * c.cycles * crossbars);
    CHECK(a.dac_conversions == batch * rows * c.cycles * slices);
    CHECK(a.adc_conversions == batch * cols * slices * c.cycles);
    CHECK(a.shift_adds == a.adc_conversions);
    CHECK(a.bits_in == batch * rows * static_cast<std::uint64_t>(c.dac_bits));
    CHECK(a.bits_adc == a.adc_conversions * 6);
    CHECK(a.dac_pulses <= a.dac_conversions);
    // Energy and latency: counts times the per-action costs.
    CHECK(a.adc_pj == Approx(static_cast<double>(a.adc_conversions) *
                             r.costs["adc"]["energy_pj_per_conversion"].get<double>()));
    CHECK(a.dac_pj == Approx(static_cast<double>(a.dac_conversions) *
                             r.costs["dac"]["energy_pj_per_conversion"].get<double>()));
    CHECK(a.shift_add_pj == Approx(static_cast<double>(a.shift_adds) *
                                   r.costs["shift_add"]["energy_pj_per_add"].get<double>()));
    CHECK(a.latency_ns ==
          Approx(static_cast<double>(batch) * (r.costs["dac"]["read_ns_per_vector"].get<double>() +
                                               static_cast<double>(c.cycles) * 4.0 *
                                                   r.costs["adc"]["t_conv_ns"].get<double>())));
    CHECK(r.costs["adc"]["count"].get<double>() ==
          Approx(static_cast<double>(slices * 5)));  // 20/4
    CHECK(a.array_pj > 0);
  }
}

TEST_CASE("array read energy is Σ V²·G·t over the cells read", "[arch][pipeline][actions]") {
  // Ideal devices at their mapped conductances, 1-bit inputs: each active row
  // dissipates v_read²·Σ_j (G+ + G-)·t_read per read.
  const std::size_t rows = 6, cols = 5;
  const auto w = matrix(rows, cols, 6, false);
  kit::NdArray x{{2, rows}, {1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1}};
  Json cfg = exact_tile(rows, cols);
  cfg["array"]["v_read_v"] = 0.2;
  cfg["array"]["t_read_ns"] = 50.0;
  cfg["dac"] = {{"impl", "bit_serial"}, {"bits", 1}, {"signed_drive", "none"}};
  const auto reg = jobs::make_registry();
  tile::Tile tile(tile::TileSpec::parse(cfg, reg), reg);
  tile.program(w);
  tile.vmm(x);
  const auto g = tile.conductances(0.0);
  double expected = 0;
  for (std::size_t b = 0; b < 2; ++b) {
    for (std::size_t i = 0; i < rows; ++i) {
      if (x.data[b * rows + i] == 0) continue;
      for (std::size_t j = 0; j < cols; ++j) {
        const double gs =
            (g.at("g_pos").data[i * cols + j] + g.at("g_neg").data[i * cols + j]) * 1e-6;
        expected += 0.2 * 0.2 * gs * 50e-9 * 1e12;  // pJ
      }
    }
  }
  CHECK(tile.last_actions().array_pj == Approx(expected).epsilon(1e-5));
  CHECK(tile.last_actions().dac_pulses == 6);
}

TEST_CASE("a b-bit ADC gives at most 2^b values per column; calibration clips its share",
          "[arch][pipeline][adc]") {
  const auto w = matrix(64, 16, 7, false);
  const auto x = matrix(300, 64, 8, true);
  Json cfg = exact_tile(64, 16);
  cfg["dac"] = {{"impl", "multibit"}, {"bits", 8}, {"signed_drive", "none"}};
  cfg["adc"] = {{"impl", "sar"}, {"bits", 3}, {"range", "calibrated"}, {"percentile", 100.0}};
  const auto y = run(cfg, w, x).y;
  for (std::size_t j = 0; j < 16; ++j) {
    std::set<double> values;
    for (std::size_t b = 0; b < 300; ++b) values.insert(y.data[b * 16 + j]);
    CHECK(values.size() <= 8);
    CHECK(values.size() >= 2);
  }
  // The calibrated range clips the configured fraction of the calibration
  // signals (nearest rank: at most 100 - percentile %).
  for (const std::string scope : {"per_array", "per_column"}) {
    cfg["dac"] = {{"impl", "bit_serial"}, {"bits", 8}, {"signed_drive", "none"}};
    cfg["adc"] = {{"impl", "sar"},
                  {"bits", 6},
                  {"range", "calibrated"},
                  {"percentile", 98.0},
                  {"range_scope", scope}};
    const auto a = run(cfg, w, x).actions;
    const double clipped =
        static_cast<double>(a.adc_clipped) / static_cast<double>(a.adc_conversions);
    INFO(scope);
    CHECK(clipped <= 0.02);
    CHECK(clipped >= 0.019);
  }
  // A worst-case range never clips.
  cfg["adc"] = {{"impl", "sar"}, {"bits", 6}};
  CHECK(run(cfg, w, x).actions.adc_clipped == 0);
}

TEST_CASE("read noise through bit planes: each read's noise, exact in distribution",
          "[arch][pipeline][noise]") {
  // Bit-serial reads draw independent noise per plane, so an output's
  // variance is that of a plain read with inputs u, u_i² = Σ_g (lsb·2^g·bit_gi)².
  // The ideal-ADC path (noise summed analytically) and the 16-bit ADC path
  // (noise per plane, then converted) must both give it.
  const std::size_t rows = 24, cols = 6, n = 4000;
  const auto w = matrix(rows, cols, 9, false);
  const auto x1 = matrix(1, rows, 10, true);
  Json cfg = exact_tile(rows, cols);
  cfg["device"] = {{"impl", "table"},
                   {"g_min_us", 5.0},
                   {"g_max_us", 50.0},
                   {"read_sigma_frac", 0.02},
                   {"read_sigma_rel", 0.05}};
  cfg["read_noise"] = {{"mode", "output_referred"}};
  cfg["dac"] = {{"impl", "bit_serial"},
                {"bits", 6},
                {"signed_drive", "none"},
                {"range", "fixed"},
                {"full_scale", 1.0}};
  kit::NdArray x{{n, rows}, {}};
  for (std::size_t b = 0; b < n; ++b) x.data.insert(x.data.end(), x1.data.begin(), x1.data.end());
  kit::NdArray u{{n, rows}, {}};
  for (std::size_t b = 0; b < n; ++b) {
    for (std::size_t i = 0; i < rows; ++i) {
      const auto q = static_cast<long long>(std::llround(x1.data[i] * 63.0));
      double u2 = 0;
      for (int g = 0; g < 6; ++g) {
        if ((q >> g) & 1) u2 += std::ldexp(1.0, 2 * g);
      }
      u.data.push_back(std::sqrt(u2) / 63.0);
    }
  }
  auto variances = [&](const Json& c, const kit::NdArray& in) {
    const auto y = run(c, w, in).y;
    std::vector<double> var(cols, 0.0), mean(cols, 0.0);
    for (std::size_t b = 0; b < n; ++b)
      for (std::size_t j = 0; j < cols; ++j) mean[j] += y.data[b * cols + j] / n;
    for (std::size_t b = 0; b < n; ++b)
      for (std::size_t j = 0; j < cols; ++j) {
        const double d = y.data[b * cols + j] - mean[j];
        var[j] += d * d / (n - 1);
      }
    return var;
  };
  Json plain = cfg;
  plain["dac"] = {{"impl", "ideal"}};
  const auto expected = variances(plain, u);
  const auto combined = variances(cfg, x);
  cfg["adc"] = {{"impl", "sar"}, {"bits", 16}};
  const auto converted = variances(cfg, x);
  for (std::size_t j = 0; j < cols; ++j) {
    // Sample variances of 4000 draws: standard error sqrt(2/n) = 2.2%.
    CHECK(combined[j] == Approx(expected[j]).epsilon(0.1));
    CHECK(converted[j] == Approx(expected[j]).epsilon(0.1));
  }
}

TEST_CASE("pulse width keeps the cells at v_read: linear in the input through nonlinear cells",
          "[arch][pipeline][circuit]") {
  // One row, sinh cells driven hard (v_read = 4·V0): a multibit amplitude
  // sees the sinh, a pulse width only scales the time.
  kit::NdArray w{{1, 2}, {0.8, -0.5}};
  Json cfg = exact_tile(1, 2);
  cfg["device"] = {{"impl", "ideal"}, {"g_min_us", 1.0}, {"iv_v0_v", 0.05}};
  cfg["array"]["cell"] = "1R";
  cfg["array"]["v_read_v"] = 0.2;
  cfg["array"]["r_wire_row_ohm"] = 1.0;
  cfg["array"]["r_wire_col_ohm"] = 1.0;
  cfg["solver"] = {{"impl", "exact"}};
  kit::NdArray x{{4, 1}, {0.25, 0.5, 0.75, 1.0}};
  auto ratios = [&](const std::string& impl) {
    cfg["dac"] = {{"impl", impl},
                  {"bits", 3},
                  {"signed_drive", "none"},
                  {"range", "fixed"},
                  {"full_scale", 1.0}};
    const auto y = run(cfg, w, x).y;
    std::vector<double> r;
    for (std::size_t b = 0; b < 4; ++b) r.push_back(y.data[b * 2] / std::round(x.data[b] * 7.0));
    return r;
  };
  const auto pwm = ratios("pwm");
  const auto amp = ratios("multibit");
  for (std::size_t b = 1; b < 4; ++b) CHECK(pwm[b] == Approx(pwm[0]).epsilon(1e-6));
  CHECK(amp[3] / amp[0] > 1.5);  // sinh(4)/4 vs sinh(1)/1
  // Through a linear array the two are the same read.
  cfg["device"]["iv_v0_v"] = 0.0;
  const auto lin_pwm = ratios("pwm");
  const auto lin_amp = ratios("multibit");
  for (std::size_t b = 0; b < 4; ++b) CHECK(lin_pwm[b] == Approx(lin_amp[b]).epsilon(1e-6));
}

TEST_CASE("ADCs read the circuit's columns: nonlinear cells through a fine ADC",
          "[arch][pipeline][circuit]") {
  // Bit-serial planes through sinh cells and wires, solved per plane; a
  // 14-bit full-scale ADC must change the outputs by no more than its LSBs.
  const auto w = matrix(12, 6, 13, false);
  const auto x = matrix(5, 12, 14, true);
  Json cfg = exact_tile(12, 6);
  cfg["device"] = {{"impl", "ideal"}, {"g_min_us", 1.0}, {"iv_v0_v", 0.1}};
  cfg["array"]["r_wire_row_ohm"] = 2.0;
  cfg["array"]["r_wire_col_ohm"] = 2.0;
  cfg["solver"] = {{"impl", "exact"}};
  cfg["dac"] = {{"impl", "bit_serial"}, {"bits", 5}, {"signed_drive", "none"}};
  const auto ideal_adc = run(cfg, w, x).y;
  cfg["adc"] = {{"impl", "sar"}, {"bits", 14}};
  const auto fine = run(cfg, w, x).y;
  CHECK(max_rel(fine, ideal_adc) < 2e-3);
  CHECK(max_rel(fine, ideal_adc) > 0);
  // And the nonlinearity is really there: far from the exact product.
  CHECK(max_rel(ideal_adc, kit::matmul(x, w)) > 0.05);
  cfg["solver"]["impl"] = "fast";
  CHECK(max_rel(run(cfg, w, x).y, fine) < 1e-4);
}

TEST_CASE("the pipeline is identical for any thread count", "[arch][pipeline]") {
  const auto w = matrix(48, 40, 11, false);
  const auto x = matrix(33, 48, 12, false);
  Json cfg = exact_tile(48, 40);
  cfg["device"] = {{"preset", "rram_wan"}};
  cfg["read_noise"] = {{"mode", "output_referred"}};
  cfg["mapping"] = {{"weight_bits", 6}, {"bits_per_cell", 3}};
  cfg["dac"] = {{"impl", "bit_serial"}, {"bits", 6}};
  cfg["adc"] = {{"impl", "sar"},           {"bits", 5},          {"range", "calibrated"},
                {"offset_sigma_lsb", 0.5}, {"gain_sigma", 0.02}, {"inl_sigma_lsb", 0.2},
                {"noise_sigma_lsb", 0.5}};
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = run(cfg, w, x).y;
  omp_set_num_threads(2);
  const auto two = run(cfg, w, x).y;
  omp_set_num_threads(saved);
  CHECK(one.data == two.data);
}

TEST_CASE("lookup-table products of ternary planes equal the GEMM", "[arch][pipeline]") {
  for (const auto& [rows, cols] :
       {std::pair<Eigen::Index, Eigen::Index>{7, 5}, {64, 64}, {257, 130}}) {
    const Eigen::MatrixXf w = Eigen::MatrixXf::Random(rows, cols);
    peripherals::RowMatrixF v = peripherals::RowMatrixF::Random(150, rows);
    v = v.unaryExpr([](float a) { return a > 0.3f ? 1.0f : (a < -0.3f ? -1.0f : 0.0f); });
    const tile::BitPlaneTable table(w);
    Eigen::MatrixXf out;
    table.multiply(v, out);
    const Eigen::MatrixXf ref = v * w;
    CHECK((out - ref).cwiseAbs().maxCoeff() < 1e-4f * static_cast<float>(rows));
    table.multiply(v, out, true);  // |v|·w
    const Eigen::MatrixXf ref_abs = v.cwiseAbs() * w;
    CHECK((out - ref_abs).cwiseAbs().maxCoeff() < 1e-4f * static_cast<float>(rows));
  }
}

TEST_CASE("packed bit-serial planes give the codes and counts of the planes written out",
          "[arch][pipeline]") {
  const auto reg = jobs::make_registry();
  peripherals::RowMatrixF x = peripherals::RowMatrixF::Random(37, 70);
  // 5 bits, and 11 (codes beyond a byte take another path).
  for (const auto& [drive, bits] : {std::pair<std::string, int>{"none", 5},
                                    {"differential", 5},
                                    {"two_phase", 5},
                                    {"differential", 11}}) {
    const peripherals::RowMatrixF in = drive == "none" ? peripherals::RowMatrixF(x.cwiseAbs()) : x;
    const auto dac = reg.build<peripherals::Dac>(
        "dac", reg.resolve("dac", {{"impl", "bit_serial"}, {"bits", bits}, {"signed_drive", drive}},
                           "dac"));
    REQUIRE(dac->packs());
    const peripherals::DacPlanes packed = dac->encode_packed(in, 0.9);
    const peripherals::DacPlanes planes = dac->encode(in, 0.9, true);
    CHECK(packed.packed);
    CHECK(packed.v.size() == 0);
    CHECK(packed.weight == planes.weight);
    CHECK(packed.frac == planes.frac);
    const tile::PlaneCodes a(packed), b(planes.v);
    CHECK(a.rows == b.rows);
    CHECK(a.groups == b.groups);
    CHECK(a.pos == b.pos);
    CHECK(a.neg == b.neg);
    // Norms, nonzeros and conductance-weighted sums, from the codes.
    const Eigen::VectorXf g = Eigen::VectorXf::Random(70).cwiseAbs();
    const std::vector<double> sums = tile::PlaneCodes::group_sums(g);
    CHECK((a.norms() - Eigen::VectorXf(planes.v.rowwise().norm())).cwiseAbs().maxCoeff() == 0.0f);
    const auto n = static_cast<Eigen::Index>(planes.batch);
    for (Eigen::Index k = 0; k < static_cast<Eigen::Index>(planes.planes()); ++k) {
      const auto m = planes.v.middleRows(k * n, n);
      CHECK(a.nonzeros(k * n, n) == static_cast<std::uint64_t>((m.array() != 0.0f).count()));
      CHECK(a.weighted(k * n, n, sums) ==
            Approx(static_cast<double>((m.cwiseAbs2() * g).sum())).epsilon(1e-5));
    }
  }
}
