// In-situ training: the update rules against their definitions (the
// stochastic trains' E[Δw] = −lr·x·d within sampling error, NeuroSim's
// round(ΔW/dw_min) pulse counts, the sign rule), the analog periphery
// against x·W, pulse energy bounds, determinism over thread counts, and
// the config's refusals.
#include <omp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "arrays/update.h"
#include "core/kit/error.h"
#include "core/kit/json.h"
#include "core/kit/rng.h"
#include "core/nn/in_situ/analog_io.h"
#include "core/nn/in_situ/in_situ.h"
#include "core/nn/in_situ/pulsed_array.h"
#include "core/nn/in_situ/refresh.h"
#include "core/nn/in_situ/rules/rules.h"
#include "core/nn/in_situ/tiki_taka.h"
#include "support/helpers.h"

using namespace xbarsim;
using kit::Json;
using nn::RowMatrixF;

namespace {

// A constant-step device without spread or noise: Δw = dw_min · net pulses.
Json exact_device(double dw_min) {
  return {{"impl", "constant_step"}, {"dw_min", dw_min}, {"dw_min_std", 0.0}, {"dw_min_dtod", 0.0},
          {"up_down_dtod", 0.0},     {"w_min", -1.0},    {"w_max", 1.0},      {"w_min_dtod", 0.0},
          {"w_max_dtod", 0.0}};
}

nn::InSituSpec spec_with(const kit::Registry& reg, Json node) {
  return nn::InSituSpec::parse(node, reg, "in_situ");
}

// r x c standard normal draws (test::gaussian) as floats.
RowMatrixF gauss(std::size_t r, std::size_t c, std::uint64_t seed) {
  const kit::NdArray a = test::gaussian(r, c, seed);
  RowMatrixF m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c));
  for (std::size_t k = 0; k < a.data.size(); ++k) m.data()[k] = static_cast<float>(a.data[k]);
  return m;
}

// One-sided exact device on [0, 1] (a pair's half): Δw = dw_min per SET.
Json one_sided_device(double dw_min) {
  Json j = exact_device(dw_min);
  j["w_min"] = 0.0;
  j["reset_std"] = 0.0;
  return j;
}

nn::IoSpec ideal_io() {
  nn::IoSpec io;
  io.inp_bits = io.out_bits = 0;
  io.out_noise = 0;
  io.out_bound = 1e9;
  return io;
}

// Two Gaussian classes in 16 dimensions (σ 0.5), means ±offset on every axis.
nn::Dataset two_classes(std::size_t n, std::uint64_t seed, float offset = 0.5f) {
  nn::Dataset d;
  d.x = gauss(n, 16, seed) * 0.5f;
  d.labels.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    d.labels[k] = static_cast<int>(k % 2);
    d.x.row(static_cast<Eigen::Index>(k)).array() += d.labels[k] ? offset : -offset;
  }
  return d;
}

RowMatrixF row(std::initializer_list<float> v) {
  RowMatrixF m(1, static_cast<Eigen::Index>(v.size()));
  Eigen::Index k = 0;
  for (const float x : v) m(0, k++) = x;
  return m;
}

}  // namespace

TEST_CASE("stochastic pulse trains: E[dw] = -lr x d within sampling error", "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  const double dw = 0.001, lr = 0.01;
  const RowMatrixF x = row({1.0f, -0.5f, 0.25f}), d = row({0.75f, -0.25f});
  // (bl_management implies update_management, as in aihwkit.)
  for (const bool um : {true, false}) {
    for (const bool blm : {um, false}) {
      INFO("update_management " << um << ", bl_management " << blm);
      const auto spec = spec_with(
          reg, {{"update", exact_device(dw)}, {"update_management", um}, {"bl_management", blm}});
      const auto law = reg.build<arrays::UpdateModel>("update", spec.update);
      const auto rule = nn::make_stochastic_rule(spec);
      nn::PulsedArray a(*law, 3, 2, false, kit::Stream(1, "test", "dev"),
                        kit::Stream(1, "test", "c2c"));
      const int reps = 4000;
      std::vector<double> sum(6, 0.0), sum2(6, 0.0);
      for (int r = 0; r < reps; ++r) {
        a.write(RowMatrixF::Zero(3, 2));  // every repetition from w = 0, far from the bounds
        rule->apply(a, x, d, lr, kit::Stream(1, "test", "trains", static_cast<std::uint64_t>(r)));
        for (int k = 0; k < 6; ++k) {
          const double step = static_cast<double>(a.w().data()[k]);
          sum[static_cast<std::size_t>(k)] += step;
          sum2[static_cast<std::size_t>(k)] += step * step;
        }
      }
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 2; ++j) {
          const auto k = static_cast<std::size_t>(i * 2 + j);
          const double mean = sum[k] / reps, var = sum2[k] / reps - mean * mean;
          const double expected = -lr * static_cast<double>(x(0, i)) * static_cast<double>(d(0, j));
          INFO("device " << i << "," << j << ": mean " << mean << " expected " << expected);
          CHECK(std::abs(mean - expected) <= test::kZ * std::sqrt(var / reps) + 1e-12);
          if (um && blm) {
            // Balanced trains of BL = ceil(lr·max|x|·max|d|/dw) = 8 slots fire with
            // p_x·p_d = lr·|x d|/(dw·BL); independent slots make the coincidences
            // Binomial(BL, q), variance dw²·BL·q(1 − q).
            const double q = lr *
                             std::abs(static_cast<double>(x(0, i)) * static_cast<double>(d(0, j))) /
                             (dw * 8);
            const double v = dw * dw * 8 * q * (1 - q);
            CHECK(std::abs(var - v) <= test::kZ * std::sqrt(2.0 / reps) * v + 1e-15);
          }
        }
      }
    }
  }
}

TEST_CASE("pulse counts: round(-lr grad / dw_min) pulses, capped, row-by-row time",
          "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  const double dw = 0.01;
  Json dev = exact_device(dw);
  dev["t_set_ns"] = 100.0;
  dev["t_reset_ns"] = 30.0;
  const auto spec = spec_with(reg, {{"update", dev}, {"scheme", "pulse_count"}, {"max_pulses", 5}});
  const auto law = reg.build<arrays::UpdateModel>("update", spec.update);
  nn::PulsedArray a(*law, 2, 2, false, kit::Stream(1, "test", "dev"),
                    kit::Stream(1, "test", "c2c"));
  a.write(RowMatrixF::Zero(2, 2));
  // grad = xᵀd = [[0.5, -1], [0.25, -0.5]]; −lr·grad/dw with lr 0.1:
  // [[-5, 10 -> 5], [-2.5 -> -3 (half away from zero), 5]].
  nn::make_pulse_count_rule(spec)->apply(a, row({1.0f, 0.5f}), row({0.5f, -1.0f}), 0.1,
                                         kit::Stream(1, "test", "trains"));
  CHECK(a.w()(0, 0) == Approx(-0.05));
  CHECK(a.w()(0, 1) == Approx(0.05));
  CHECK(a.w()(1, 0) == Approx(-0.03));
  CHECK(a.w()(1, 1) == Approx(0.05));
  // Row 0: 5 up (500 ns) + 5 down (150 ns); row 1: 5 up + 3 down (90 ns).
  CHECK(a.totals().latency_ns == Approx(500 + 150 + 500 + 90));
  CHECK(a.totals().set_pulses == 10);
  CHECK(a.totals().reset_pulses == 8);
  // Every pulse charged V²·Ḡ·t with Ḡ inside the window.
  const double e_min = 10 * law->pulse_energy_pj(1.0, 1) + 8 * law->pulse_energy_pj(1.0, -1);
  const double e_max = 10 * law->pulse_energy_pj(100.0, 1) + 8 * law->pulse_energy_pj(100.0, -1);
  CHECK(a.totals().energy_pj() >= e_min);
  CHECK(a.totals().energy_pj() <= e_max);
}

TEST_CASE("sign rule: one pulse against the gradient where it exceeds the threshold",
          "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  const auto spec =
      spec_with(reg, {{"update", exact_device(0.01)}, {"scheme", "sign"}, {"sign_threshold", 0.3}});
  const auto law = reg.build<arrays::UpdateModel>("update", spec.update);
  nn::PulsedArray a(*law, 2, 2, false, kit::Stream(1, "test", "dev"),
                    kit::Stream(1, "test", "c2c"));
  a.write(RowMatrixF::Zero(2, 2));
  // grad = [[0.5, -1], [0.1, -0.2]]: |grad| > 0.3 only on row 0.
  nn::make_sign_rule(spec)->apply(a, row({1.0f, 0.2f}), row({0.5f, -1.0f}), 1.0,
                                  kit::Stream(1, "test", "trains"));
  CHECK(a.w()(0, 0) == Approx(-0.01));
  CHECK(a.w()(0, 1) == Approx(0.01));
  CHECK(a.w()(1, 0) == 0.0f);
  CHECK(a.w()(1, 1) == 0.0f);
}

TEST_CASE("Tiki-Taka transfer: a row of the fast array added to the slow one", "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  const auto spec = spec_with(reg, {{"update", exact_device(0.01)}, {"scheme", "pulse_count"}});
  const auto law = reg.build<arrays::UpdateModel>("update", spec.update);
  nn::PulsedArray fast(*law, 3, 2, false, kit::Stream(1, "t", "a"), kit::Stream(1, "t", "ac"));
  nn::PulsedArray slow(*law, 3, 2, false, kit::Stream(1, "t", "c"), kit::Stream(1, "t", "cc"));
  RowMatrixF a(3, 2);
  a << 0.1f, -0.2f, 0.3f, -0.4f, 0.05f, 0.0f;
  fast.write(a);
  slow.write(RowMatrixF::Zero(3, 2));
  nn::IoSpec ideal;
  ideal.inp_bits = ideal.out_bits = 0;
  ideal.out_noise = 0;
  ideal.out_bound = 1e9;
  std::size_t next = 1;
  nn::tiki_taka_transfer(fast, slow, next, 1, *nn::make_pulse_count_rule(spec), ideal, 0.5, 1.0,
                         kit::Stream(1, "t", "transfer"));
  CHECK(next == 2);
  // Row 1 gets 0.5·(0.3, −0.4) = (0.15, −0.2): 15 and −20 pulses of 0.01.
  CHECK(slow.w()(1, 0) == Approx(0.15));
  CHECK(slow.w()(1, 1) == Approx(-0.2));
  CHECK(slow.w().row(0).isZero());
  CHECK(slow.w().row(2).isZero());
  CHECK(fast.w() == a);  // a read does not disturb the fast array
}

TEST_CASE("analog periphery: exact without converters and noise, noise sigma, steps",
          "[nn][in_situ]") {
  const RowMatrixF x = gauss(20, 30, 1);
  const RowMatrixF w = gauss(30, 10, 2) * 0.1f;
  nn::IoSpec ideal;
  ideal.inp_bits = ideal.out_bits = 0;
  ideal.out_noise = 0;
  ideal.out_bound = 1e9;
  const RowMatrixF exact = x * w;
  CHECK((nn::analog_product(x, w, false, ideal, kit::Stream(1, "t", "n"), 1) - exact)
            .cwiseAbs()
            .maxCoeff() < 1e-4f);
  CHECK((nn::analog_product(x, w.transpose(), true, ideal, kit::Stream(1, "t", "n"), 1) - exact)
            .cwiseAbs()
            .maxCoeff() < 1e-4f);
  // Output noise: σ·max|x| per row (noise management scales it back).
  nn::IoSpec noisy = ideal;
  noisy.out_noise = 0.1;
  const RowMatrixF one = RowMatrixF::Constant(4000, 30, 0.0f);
  RowMatrixF xs = one;
  xs.col(0).setConstant(2.0f);  // max |x| = 2
  const RowMatrixF y = nn::analog_product(xs, w, false, noisy, kit::Stream(1, "t", "n"), 1);
  const RowMatrixF e = y - xs * w;
  const double sd = std::sqrt(static_cast<double>(e.array().square().mean()));
  CHECK(sd == Approx(0.2).epsilon(test::kZ * std::sqrt(0.5 / static_cast<double>(e.size()))));
  // A 3-bit output on ±1 has steps of 2/6: every output a multiple of 1/3.
  nn::IoSpec q = ideal;
  q.out_bits = 3;
  q.out_bound = 1.0;
  q.bound_management = false;
  const RowMatrixF yq = nn::analog_product(row({1.0f}), RowMatrixF::Constant(1, 1, 0.4f), false, q,
                                           kit::Stream(1, "t", "n"), 1);
  CHECK(yq(0, 0) == Approx(1.0 / 3.0));
}

TEST_CASE("in-situ training learns, and is identical for any thread count", "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  const nn::Dataset train = two_classes(600, 3), test_set = two_classes(400, 4);
  const nn::Network net = nn::Network::parse({{"input", {16}},
                                              {"layers",
                                               {{{"type", "linear"}, {"out_features", 8}},
                                                {{"type", "relu"}},
                                                {{"type", "linear"}, {"out_features", 2}}}}},
                                             "network");
  for (const std::string scheme : {"stochastic", "pulse_count", "sign"}) {
    INFO(scheme);
    const auto spec = spec_with(reg, {{"update", {{"preset", "aihwkit_gokmen_vlasov"}}},
                                      {"scheme", scheme},
                                      {"epochs", 3},
                                      {"batch", scheme == "stochastic" ? 1 : 10},
                                      {"learning_rate", 0.05}});
    omp_set_num_threads(1);
    const auto one = nn::train_in_situ(net, train, test_set, spec, reg);
    omp_set_num_threads(2);
    const auto two = nn::train_in_situ(net, train, test_set, spec, reg);
    CHECK(one.weights == two.weights);
    CHECK(one.report.at("final_test_accuracy").get<double>() > 0.9);
    const auto& t = one.report.at("totals");
    CHECK(t.at("set_pulses").get<double>() > 0);
    CHECK(t.at("reset_pulses").get<double>() > 0);
    CHECK(t.at("write_energy_pj").get<double>() > 0);
    // Three epochs of trajectories plus the initial state.
    CHECK(one.report.at("trajectories").at("linear_0").at(0).at("w").size() == 4);
  }
}

TEST_CASE("Tiki-Taka trains a soft-bounds network on both arrays", "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  const nn::Dataset train_set = two_classes(800, 11), test_set = two_classes(400, 12);
  const nn::Network net = nn::Network::parse(
      {{"input", {16}}, {"layers", {{{"type", "linear"}, {"out_features", 2}}}}}, "network");
  const Json base = {{"update", {{"impl", "soft_bounds"}, {"dw_min", 0.005}}},
                     {"epochs", 3},
                     {"learning_rate", 0.05}};
  Json tt = base;
  tt["algorithm"] = "tiki_taka";
  tt["tiki_taka"] = {{"reads_per_transfer", 4}};
  const auto r = nn::train_in_situ(net, train_set, test_set, spec_with(reg, tt), reg);
  CHECK(r.report.at("final_test_accuracy").get<double>() > 0.9);
  const auto& layer = r.report.at("layers").at(0);
  CHECK(layer.at("devices").get<int>() == 2 * 16 * 2);
  CHECK(layer.at("fast").at("set_pulses").get<double>() > 0);
  // The layer's totals are both arrays'.
  CHECK(layer.at("set_pulses").get<double>() > layer.at("fast").at("set_pulses").get<double>());
}

TEST_CASE("in_situ config: bad nodes are refused with their paths", "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  const auto path_of = [&](const Json& node) {
    try {
      nn::InSituSpec::parse(node, reg, "in_situ");
    } catch (const kit::ConfigError& e) {
      return e.path();
    }
    return std::string("(accepted)");
  };
  CHECK(path_of({{"update", {{"preset", "nope"}}}}).starts_with("in_situ.update"));
  CHECK(path_of({{"scheme", "hebbian"}}) == "in_situ.scheme");
  CHECK(path_of({{"forward", {{"inp_bit", 4}}}}).starts_with("in_situ.forward"));
  CHECK(path_of({{"update", {{"impl", "piecewise"}, {"piecewise_up", {1.0, 2.0}}}}}) ==
        "in_situ.update.piecewise_down");
  CHECK(path_of({{"layer_learning_rates", {0.1, -1.0}}}) == "in_situ.layer_learning_rates[1]");
  CHECK(path_of({{"tiki_taka", {{"gamma", 0.1}}}}) == "in_situ.tiki_taka");
  CHECK(path_of({{"algorithm", "tiki_taka"}, {"tiki_taka", {{"gama", 0.1}}}})
            .starts_with("in_situ.tiki_taka"));
  const nn::Network ends_in_sigmoid = nn::Network::parse(
      {{"input", {4}},
       {"layers", {{{"type", "linear"}, {"out_features", 2}}, {{"type", "sigmoid"}}}}},
      "network");
  const auto spec = nn::InSituSpec::parse(Json::object(), reg, "in_situ");
  CHECK_THROWS_AS(spec.check(ends_in_sigmoid, "in_situ"), kit::ConfigError);
  const auto lrs = nn::InSituSpec::parse({{"layer_learning_rates", {0.1, 0.2}}}, reg, "in_situ");
  const nn::Network one_layer = nn::Network::parse(
      {{"input", {4}}, {"layers", {{{"type", "linear"}, {"out_features", 2}}}}}, "network");
  CHECK_THROWS_AS(lrs.check(one_layer, "in_situ"), kit::ConfigError);
}

TEST_CASE("one-hot read: the periphery's product on e_r, noise and converters included",
          "[nn][in_situ]") {
  const RowMatrixF w = gauss(6, 9, 3) * 0.3f;
  nn::IoSpec io;
  io.inp_bits = 7;
  io.out_bits = 9;
  io.out_noise = 0.05;
  io.out_bound = 2.0;
  io.bound_management = false;
  const kit::Stream noise(4, "t", "one_hot");
  for (const std::size_t r : {0u, 4u}) {
    RowMatrixF e = RowMatrixF::Zero(1, 6);
    e(0, static_cast<Eigen::Index>(r)) = 1.0f;
    const RowMatrixF full = nn::analog_product(e, w, false, io, noise, 1.0);
    const RowMatrixF one = nn::one_hot_read(w, r, io, noise, 1.0);
    CHECK((full - one).cwiseAbs().maxCoeff() <= 1e-6f);
    CHECK((one - w.row(static_cast<Eigen::Index>(r))).cwiseAbs().maxCoeff() > 1e-3f);  // noisy
  }
}

TEST_CASE("write noise: reads see the state plus write_noise_std*dw_min, redrawn per write",
          "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  Json dev = exact_device(0.01);
  dev["write_noise_std"] = 2.0;
  const auto law = reg.build<arrays::UpdateModel>("update", reg.resolve("update", dev, "update"));
  const std::size_t n = 100;
  nn::PulsedArray a(*law, n, n, false, kit::Stream(1, "t", "dev"), kit::Stream(1, "t", "c2c"));
  a.write(RowMatrixF::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n)));
  CHECK(a.state(0).isZero());  // the hidden state is exact
  const double var = static_cast<double>(a.w().array().square().mean());
  CHECK(std::sqrt(var) == Approx(0.02).epsilon(test::kZ * std::sqrt(0.5 / (n * n))));
  const float before = a.w()(0, 0), neighbour = a.w()(0, 1);
  a.pulse(0, 0, 3);
  CHECK(a.state(0)(0, 0) == Approx(0.03));
  CHECK(a.w()(0, 0) != before);
  CHECK(a.w()(0, 1) == neighbour);  // untouched weights keep their draw
}

TEST_CASE("decay: w = r + (w0 - r)(1 - 1/tau)^n after n updates", "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  Json dev = exact_device(0.01);
  dev["lifetime"] = 10.0;
  dev["reset"] = 0.2;
  const auto law = reg.build<arrays::UpdateModel>("update", reg.resolve("update", dev, "update"));
  nn::PulsedArray a(*law, 2, 3, false, kit::Stream(1, "t", "dev"), kit::Stream(1, "t", "c2c"));
  a.write(RowMatrixF::Constant(2, 3, 0.8f));
  for (int k = 0; k < 5; ++k) a.decay();
  CHECK(a.w()(1, 2) == Approx(0.2 + 0.6 * std::pow(0.9, 5)).epsilon(1e-6));
}

TEST_CASE("one-sided pair: w = w+ - w-, updates only ever SET, refresh restores w",
          "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  const double dw = 0.01;
  const auto spec = spec_with(
      reg,
      {{"update", one_sided_device(dw)}, {"cell", "one_sided_pair"}, {"scheme", "pulse_count"}});
  const auto law = reg.build<arrays::UpdateModel>("update", spec.update);
  nn::PulsedArray a(*law, 1, 3, true, kit::Stream(1, "t", "dev"), kit::Stream(1, "t", "c2c"));
  REQUIRE(a.pair());
  a.write(row({0.3f, -0.2f, 0.0f}));
  CHECK(a.state(0)(0, 0) == Approx(0.3));
  CHECK(a.state(1)(0, 0) == 0.0f);
  CHECK(a.state(1)(0, 1) == Approx(0.2));
  CHECK(a.w()(0, 1) == Approx(-0.2));
  a.pulse(0, 0, -3);  // lowering a weight potentiates its w-
  CHECK(a.state(0)(0, 0) == Approx(0.3));
  CHECK(a.state(1)(0, 0) == Approx(0.03));
  CHECK(a.w()(0, 0) == Approx(0.27));
  CHECK(a.totals().reset_pulses == 0);
  CHECK(a.totals().set_pulses == 3);

  // Saturate: (0.9, 0.5) is refreshed; (0.9, 0.1) and (0.3, 0.3) are not.
  a.write(RowMatrixF::Zero(1, 3));
  a.pulse(0, 0, 90);
  a.pulse(0, 0, -50);
  a.pulse(0, 1, 90);
  a.pulse(0, 1, -10);
  a.pulse(0, 2, 30);
  a.pulse(0, 2, -30);
  const struct { double set, reset; } before{a.totals().set_pulses, a.totals().reset_pulses};
  const RowMatrixF w = a.w();
  const auto rule = nn::make_pulse_count_rule(spec);
  const std::size_t n =
      nn::refresh_pairs(a, 0.75, 0.25, *rule, ideal_io(), 1.0, kit::Stream(1, "t", "refresh"));
  CHECK(n == 1);
  CHECK(a.totals().refreshed == 1);
  CHECK(a.totals().refresh_reads == 2);
  CHECK(a.totals().reset_pulses - before.reset == 2);  // one RESET per device
  // The difference 0.4 rewritten onto w+ as 40 SETs from the reset level 0.
  CHECK(a.totals().set_pulses - before.set == 40);
  CHECK(a.state(1)(0, 0) == 0.0f);
  CHECK(a.state(0)(0, 0) == Approx(0.4).margin(1e-5));
  CHECK(static_cast<double>((a.w() - w).cwiseAbs().maxCoeff()) <= dw / 2);
  CHECK(a.state(0)(0, 1) == Approx(0.9).margin(1e-5));
  CHECK(a.state(1)(0, 2) == Approx(0.3).margin(1e-5));
}

TEST_CASE("one-sided devices: refused in a single cell, trained as pairs with refresh",
          "[nn][in_situ]") {
  const auto reg = test::arrays_registry();
  try {
    spec_with(reg, {{"update", {{"preset", "aihwkit_pcm"}}}});
    FAIL("a PCM device accepted in a single cell");
  } catch (const kit::ConfigError& e) {
    CHECK(e.path() == "in_situ.cell");
  }
  try {
    spec_with(reg, {{"refresh_every", 2}});
    FAIL("refresh_every accepted without a pair");
  } catch (const kit::ConfigError& e) {
    CHECK(e.path() == "in_situ.refresh_every");
  }
  const nn::Dataset train_set = two_classes(800, 21, 0.2f), test_set = two_classes(400, 22, 0.2f);
  const nn::Network net = nn::Network::parse(
      {{"input", {16}}, {"layers", {{{"type", "linear"}, {"out_features", 2}}}}}, "network");
  // A large learning rate pushes both devices of a pair up fast: without a
  // refresh they saturate within ten epochs and the net unlearns.
  const auto run = [&](int refresh_every) {
    const auto spec = spec_with(reg, {{"update", {{"preset", "aihwkit_pcm"}}},
                                      {"cell", "one_sided_pair"},
                                      {"refresh_every", refresh_every},
                                      {"refresh_upper", 0.5},
                                      {"refresh_lower", 0.2},
                                      {"scheme", "pulse_count"},
                                      {"batch", 10},
                                      {"epochs", 10},
                                      {"learning_rate", 0.2}});
    return nn::train_in_situ(net, train_set, test_set, spec, reg).report;
  };
  const Json refreshed = run(1), saturated = run(0);
  CHECK(refreshed.at("final_test_accuracy").get<double>() > 0.75);
  CHECK(saturated.at("final_test_accuracy").get<double>() < 0.6);
  const auto& t = refreshed.at("totals");
  CHECK(t.at("refreshed").get<double>() > 0);
  CHECK(t.at("reset_pulses").get<double>() == Approx(2 * t.at("refreshed").get<double>()));
  CHECK(saturated.at("totals").at("refreshed").get<double>() == 0);
  CHECK(refreshed.at("layers").at(0).at("devices").get<int>() == 2 * 16 * 2);
}

TEST_CASE("half-select in 1R arrays: the V/2 scheme's unselected cells, cell by cell",
          "[nn][in_situ]") {
  // Steps so small that no conductance moves measurably during the writes:
  // the brute force below prices every cell at its conductance before.
  const auto reg = test::arrays_registry();
  Json dev = exact_device(1e-5);
  dev["v_set_v"] = 1.2;
  dev["v_reset_v"] = 1.5;
  dev["t_set_ns"] = 100.0;
  dev["t_reset_ns"] = 30.0;
  const auto law = reg.build<arrays::UpdateModel>("update", reg.resolve("update", dev, "update"));
  const RowMatrixF w0 = gauss(3, 4, 5) * 0.4f;
  nn::PulseCounts n(3, 4);
  n << 3, -2, 0, 1, 0, 0, -4, 2, 5, 5, -1, -1;
  for (const bool pair : {false, true}) {
    INFO("pair " << pair);
    nn::PulsedArray a(*law, 3, 4, pair, kit::Stream(1, "t", "dev"), kit::Stream(1, "t", "c2c"));
    a.set_half_select(true);
    a.write(w0);
    // Brute force: per row, phase and slot, every cell at V/2 (selected row
    // and unselected column, or unselected row and selected column).
    double want = 0;
    for (int i = 0; i < 3; ++i) {
      for (const int sign : {1, -1}) {
        const std::size_t set = pair && sign < 0 ? 1 : 0;
        const int dir = pair ? 1 : sign;
        int slots = 0;
        for (int j = 0; j < 4; ++j) slots = std::max(slots, sign * n(i, j));
        for (int p = 1; p <= slots; ++p) {
          for (std::size_t k = 0; k < 3; ++k) {
            for (std::size_t j = 0; j < 4; ++j) {
              const bool row = static_cast<int>(k) == i,
                         col = sign * n(i, static_cast<int>(j)) >= p;
              if (row != col)
                want += law->pulse_energy_pj(a.conductance_us(k * 4 + j, set), dir) / 4;
            }
          }
        }
      }
    }
    nn::write_row_by_row(a, n);
    CHECK(a.totals().half_select_energy_pj == Approx(want).epsilon(1e-4));
    CHECK(a.totals().energy_pj() ==
          Approx(a.totals().set_energy_pj + a.totals().reset_energy_pj + want).epsilon(1e-4));
  }
  // 1T1R (off): nothing charged.
  nn::PulsedArray off(*law, 3, 4, false, kit::Stream(1, "t", "dev"), kit::Stream(1, "t", "c2c"));
  off.write(w0);
  nn::write_row_by_row(off, n);
  CHECK(off.totals().half_select_energy_pj == 0.0);
}
