// Digital leaky integrate-and-fire neurons behind the ADCs (SpikeSim's
// scheme, Moitra et al., IEEE TCAD 2023): each step the converted column
// output is added to the neuron's membrane, which is read from and written
// back to SRAM, and compared with the threshold; a spike subtracts it.
// Priced per operation from the chip's digital figures: no mismatch.
#include <utility>

#include "core/kit/technology.h"
#include "peripherals/neuron.h"
#include "peripherals/neurons/neurons.h"

namespace xbarsim::peripherals {
namespace {

class DigitalLif final : public Neuron {
 public:
  DigitalLif(NeuronSpec spec, const kit::Json& j)
      : Neuron(std::move(spec)),
        bits_(j.at("membrane_bits").get<double>()),
        mem_pj_(j.at("membrane_pj_per_bit").get<double>()),
        add_pj_(j.at("add_pj_per_bit").get<double>()),
        cmp_pj_(j.at("compare_pj").get<double>()),
        mem_um2_(j.at("membrane_um2_per_bit").get<double>()),
        t_step_ns_(j.at("t_step_ns").get<double>()) {}
  bool reads_adc() const override { return true; }
  NeuronCost cost(double node_nm) const override {
    const double e45 = kit::energy_scale(45.0, node_nm);
    // Membrane read and write, one add, one compare; a leak < 1 is one more
    // multiply (priced as bits adds, as the tile's digital units price it).
    const double leak_adds = spec().leak < 1.0 ? bits_ : 0.0;
    const double step = (2.0 * bits_ * mem_pj_ + (bits_ + leak_adds) * add_pj_) * e45 +
                        cmp_pj_ * kit::energy_scale(40.0, node_nm);
    // A spike: the subtraction (reset "subtract") and its bit out.
    const double sub = spec().reset == NeuronReset::kSubtract ? bits_ * add_pj_ : 0.0;
    return {step, (sub + mem_pj_) * e45, bits_ * mem_um2_ * kit::area_scale(32.0, node_nm),
            t_step_ns_};
  }

 private:
  double bits_, mem_pj_, add_pj_, cmp_pj_, mem_um2_, t_step_ns_;
};

}  // namespace

void add_digital_lif_neuron(kit::Registry& registry) {
  using namespace kit;
  auto params = NeuronSpec::common_params();
  // Assumption: a 16-bit membrane (the accumulator width of 8-bit products).
  params.push_back(int_param("membrane_bits", 16, 2, 64, "bits of each membrane potential"));
  // Source: Horowitz, ISSCC 2014 (45 nm): 8 kB SRAM, 10 pJ per 64-bit access.
  params.push_back(number_param("membrane_pj_per_bit", 10.0 / 64.0, "pJ",
                                "membrane SRAM access per bit (read and write each step), at "
                                "45 nm",
                                0.0));
  // Source: Horowitz, ISSCC 2014 (45 nm): 32-bit add 0.1 pJ.
  params.push_back(number_param("add_pj_per_bit", 0.1 / 32.0, "pJ", "add per bit, at 45 nm", 0.0));
  // Source: Aladdin (Shao et al., ISCA 2014) 40 nm library: 32-bit comparator 0.0295 pJ.
  params.push_back(number_param("compare_pj", 0.0295, "pJ", "threshold compare, at 40 nm", 0.0));
  // Source: ISAAC (Shafiee et al., ISCA 2016): 2 kB register 0.0021 mm² at 32 nm.
  params.push_back(number_param("membrane_um2_per_bit", 2100.0 / 16384.0, "um2",
                                "membrane storage area per bit, at 32 nm", 0.0));
  params.push_back(number_param("t_step_ns", 0.0, "ns",
                                "time a step adds after the conversions (0: pipelined behind "
                                "them)",
                                0.0));
  registry.add_variant<Neuron>(
      "neuron",
      {"digital_lif",
       "ADC then a digital leaky integrate-and-fire update per neuron and step (SpikeSim's "
       "scheme); membranes in SRAM",
       params},
      [](const kit::Json& j) -> std::unique_ptr<Neuron> {
        return std::make_unique<DigitalLif>(NeuronSpec::from_json(j), j);
      });
}

}  // namespace xbarsim::peripherals
