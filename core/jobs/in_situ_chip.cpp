#include "core/jobs/in_situ_chip.h"

#include <fmt/format.h>

#include "core/ppa/performance.h"

namespace xbarsim::jobs {
namespace {

// Energy (pJ, by component) and latency (ns) of one input vector of a
// layer, from its row of an architecture estimate.
struct PerVector {
  kit::Json energy_pj = kit::Json::object();
  double latency_ns = 0;
};

PerVector per_vector(const kit::Json& row) {
  const double v = row.at("vectors").get<double>();
  PerVector p;
  for (const auto& [k, e] : row.at("energy_pj").items()) p.energy_pj[k] = e.get<double>() / v;
  p.latency_ns = row.at("latency_ns").get<double>() / v;
  return p;
}

const kit::Json& layer_row(const kit::Json& estimate, const std::string& name) {
  for (const auto& r : estimate.at("layers")) {
    if (r.at("name") == name) return r;
  }
  throw kit::RuntimeError(fmt::format("the chip estimate has no layer {}", name));
}

// Adds scale·e to the component sums acc.
void add_scaled(kit::Json& acc, const kit::Json& e, double scale) {
  for (const auto& [k, v] : e.items()) {
    acc[k] = acc.value(k, 0.0) + v.get<double>() * scale;
  }
}

}  // namespace

kit::Json training_chip_cost(const PreparedJob& job, const kit::Json& in_situ,
                             const kit::Registry& registry) {
  const nn::Network& net = *job.network;
  ppa::HardwareSpec hw = *job.hw;
  hw.chip.replication = ppa::Replication::kNone;
  const kit::Json forward = ppa::Accelerator(*job.layers, hw, registry).estimate(net);
  kit::Json layers = kit::Json::array();
  kit::Json reads_pj = kit::Json::object(), transposed_pj = kit::Json::object(),
            test_pj = kit::Json::object(), one_hot_pj = kit::Json::object();
  double read_ns = 0, test_ns = 0;
  std::size_t k = 0;
  for (const std::size_t i : net.matrix_layers()) {
    const nn::Layer& l = net.layers[i];
    const kit::Json& trained = in_situ.at("layers").at(k++);
    const kit::Json& reads = trained.at("reads");
    const PerVector fwd = per_vector(layer_row(forward, l.name));
    // The transposed matrix: cols() inputs to rows() outputs, one vector per
    // forward vector, on the layer's own tile.
    const nn::Network t = nn::Network::parse(
        {{"input", {l.vectors(), l.cols()}},
         {"layers", {{{"type", "linear"}, {"out_features", l.rows()}, {"bias", false}}}}},
        "transposed " + l.name);
    const kit::Json t_est =
        ppa::Accelerator(nn::LayerHardware(job.layers->spec(i), 1), hw, registry).estimate(t);
    const PerVector bwd = per_vector(t_est.at("layers").at(0));
    const double n_train = reads.at("train_vectors").get<double>(),
                 n_t = reads.at("transposed_vectors").get<double>(),
                 n_test = reads.at("test_vectors").get<double>(),
                 n_hot = reads.at("transfer_reads").get<double>() +
                         trained.at("refresh_reads").get<double>();
    kit::Json row_pj = kit::Json::object();
    add_scaled(reads_pj, fwd.energy_pj, n_train);
    add_scaled(transposed_pj, bwd.energy_pj, n_t);
    add_scaled(test_pj, fwd.energy_pj, n_test);
    add_scaled(one_hot_pj, fwd.energy_pj, n_hot);
    read_ns += fwd.latency_ns * (n_train + n_hot) + bwd.latency_ns * n_t;
    test_ns += fwd.latency_ns * n_test;
    const double e_f = fwd.energy_pj.at("total").get<double>(),
                 e_b = bwd.energy_pj.at("total").get<double>();
    layers.push_back({{"name", l.name},
                      {"forward_pj_per_vector", e_f},
                      {"transposed_pj_per_vector", e_b},
                      {"forward_ns_per_vector", fwd.latency_ns},
                      {"transposed_ns_per_vector", bwd.latency_ns},
                      {"read_energy_pj",
                       {{"forward", e_f * n_train},
                        {"transposed", e_b * n_t},
                        {"one_hot", e_f * n_hot},
                        {"test", e_f * n_test}}},
                      {"write_energy_pj", trained.at("write_energy_pj")}});
  }
  const kit::Json& totals = in_situ.at("totals");
  const double write_pj = totals.at("write_energy_pj").get<double>(),
               write_ns = totals.at("write_latency_ns").get<double>();
  const auto total = [](const kit::Json& e) { return e.value("total", 0.0); };
  const double train_pj = total(reads_pj) + total(transposed_pj) + total(one_hot_pj) + write_pj;
  const double images = in_situ.at("samples_per_epoch").get<double>() *
                        static_cast<double>(in_situ.at("epochs").size());
  return {{"energy_pj",
           {{"forward_reads", reads_pj},
            {"transposed_reads", transposed_pj},
            {"one_hot_reads", one_hot_pj},
            {"writes", write_pj},
            {"training", train_pj},
            {"test_reads", test_pj},
            {"total", train_pj + total(test_pj)}}},
          {"time_s",
           {{"reads", read_ns * 1e-9},
            {"writes", write_ns * 1e-9},
            {"training", (read_ns + write_ns) * 1e-9},
            {"test_reads", test_ns * 1e-9}}},
          {"per_training_image",
           {{"energy_pj", images > 0 ? train_pj / images : 0.0},
            {"time_ns", images > 0 ? (read_ns + write_ns) / images : 0.0}}},
          {"layers", std::move(layers)},
          {"notes",
           "reads priced by the chip's architecture estimate of each layer with one copy of "
           "each weight (replication none): forward and one-hot reads at the layer's energy and "
           "latency per vector, transposed reads at the transposed matrix's; writes are the "
           "pulses' V^2*G*t and the rules' schedule; the layers' reads run one after another; "
           "the digital work of the backward pass (derivatives, bias updates) is not counted"}};
}

}  // namespace xbarsim::jobs
