// Analog integrate-and-fire neurons on the columns (RESPARC's scheme, Ankit
// et al., DAC 2017; the seed review's Mott LIF neuron): the column current
// charges the neuron's membrane capacitor directly, a comparator fires and
// resets it. No ADC: the tile's converters are bypassed. Capacitor
// mismatch scales each neuron's integration (gain_sigma); comparator offset
// moves each neuron's threshold (offset_sigma, a fraction of it).
#include <utility>

#include "core/kit/technology.h"
#include "peripherals/neuron.h"
#include "peripherals/neurons/neurons.h"

namespace xbarsim::peripherals {
namespace {

class AnalogIf final : public Neuron {
 public:
  AnalogIf(NeuronSpec spec, const kit::Json& j)
      : Neuron(std::move(spec)),
        cmp_pj_(j.at("comparator_pj").get<double>()),
        cmp_nm_(j.at("comparator_ref_node_nm").get<double>()),
        spike_pj_(j.at("spike_energy_pj").get<double>()),
        area_(j.at("area_um2").get<double>()),
        ref_nm_(j.at("ref_node_nm").get<double>()),
        t_step_ns_(j.at("t_step_ns").get<double>()) {}
  bool reads_adc() const override { return false; }
  NeuronCost cost(double node_nm) const override {
    return {cmp_pj_ * kit::energy_scale(cmp_nm_, node_nm),
            spike_pj_ * kit::energy_scale(ref_nm_, node_nm),
            area_ * kit::area_scale(ref_nm_, node_nm), t_step_ns_};
  }

 private:
  double cmp_pj_, cmp_nm_, spike_pj_, area_, ref_nm_, t_step_ns_;
};

}  // namespace

void add_analog_if_neuron(kit::Registry& registry) {
  using namespace kit;
  auto params = NeuronSpec::common_params();
  params.push_back(number_param("gain_sigma", 0.0, "",
                                "membrane capacitor mismatch: relative spread of each neuron's "
                                "integration gain, sigma",
                                0.0, 1.0));
  params.push_back(number_param("offset_sigma", 0.0, "",
                                "comparator offset: spread of each neuron's threshold as a "
                                "fraction of it, sigma",
                                0.0, 1.0));
  // Source: TIMELY (Li et al., ISCA 2020), Table II: charging comparator
  // 0.0417 pJ per comparison, at 65 nm.
  params.push_back(number_param("comparator_pj", 0.0417, "pJ",
                                "per neuron per step (one comparison), at comparator_ref_node_nm",
                                0.0));
  params.push_back(number_param("comparator_ref_node_nm", 65.0, "nm",
                                "node of the comparator figure", kMinNodeNm, kMaxNodeNm));
  // Source: a 1T1R-crossbar integrate-and-fire neuron in SkyWater 130 nm
  // (arXiv:2605.31141, 2026): 10.67 pJ per spike, 906 µm².
  params.push_back(number_param("spike_energy_pj", 10.67, "pJ",
                                "per spike (fire and reset), at ref_node_nm", 0.0));
  params.push_back(positive_param("area_um2", 906.0, "um2", "per neuron, at ref_node_nm"));
  params.push_back(number_param("ref_node_nm", 130.0, "nm", "node of the spike and area figures",
                                kMinNodeNm, kMaxNodeNm));
  params.push_back(number_param("t_step_ns", 0.0, "ns",
                                "time a step adds after the array read (0: the comparator "
                                "decides within it)",
                                0.0));
  registry.add_variant<Neuron>(
      "neuron",
      {"analog_if",
       "integrate-and-fire on the column's capacitor with a comparator, no ADC (RESPARC); "
       "capacitor mismatch and comparator offset",
       params},
      [](const kit::Json& j) -> std::unique_ptr<Neuron> {
        return std::make_unique<AnalogIf>(NeuronSpec::from_json(j), j);
      });
}

}  // namespace xbarsim::peripherals
