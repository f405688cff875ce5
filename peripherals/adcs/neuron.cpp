// NeuRRAM's voltage-mode neuron (Wan et al., Nature 2022): each column's
// output line is sampled onto a capacitor and integrated (once per input
// bit, over binary-weighted pulse counts), then converted by charge
// decrement in binary search, one step per output bit. Its energy is per
// step, per sample and per integration pulse, so it depends on the input
// encoding as well as on the output bits.
#include "core/kit/technology.h"
#include "peripherals/adc.h"
#include "peripherals/adcs/adcs.h"

namespace xbarsim::peripherals {
namespace {

class NeuronAdc final : public Adc {
 public:
  NeuronAdc(AdcSpec spec, const kit::Json& j)
      : Adc(std::move(spec)),
        step_pj_(j.at("step_energy_pj").get<double>()),
        sample_pj_(j.at("sample_energy_pj").get<double>()),
        integrate_pj_(j.at("integrate_energy_pj").get<double>()),
        area_(j.at("area_um2").get<double>()),
        t_step_ns_(j.at("t_step_ns").get<double>()),
        ref_nm_(j.at("ref_node_nm").get<double>()) {}
  AdcCost cost(double node_nm) const override {
    return {conversion_pj(node_nm, 1.0, 1.0), static_cast<double>(spec().bits) * t_step_ns_,
            area_ * kit::area_scale(ref_nm_, node_nm)};
  }
  double conversion_pj(double node_nm, double planes, double steps) const override {
    return (step_pj_ * spec().bits + sample_pj_ * planes + integrate_pj_ * steps) *
           kit::energy_scale(ref_nm_, node_nm);
  }

 private:
  double step_pj_, sample_pj_, integrate_pj_, area_, t_step_ns_, ref_nm_;
};

}  // namespace

void add_neuron_adc(kit::Registry& registry) {
  auto params = AdcSpec::common_params();
  // Source: NeuRRAM (Wan et al., Nature 2022) as modelled in CiMLoop
  // (Andrulis et al., ISPASS 2024; Accelergy's component library, wan/):
  // 0.3 pJ per decrement step plus 0.1 pJ of shift-add per step, 1.2 pJ per
  // sample, 0.25 pJ per integration pulse; 400 + 170 + 350 + 350 µm²; at 130 nm.
  params.push_back(kit::number_param("step_energy_pj", 0.4, "pJ",
                                     "per output bit (decrement step and shift-add), at "
                                     "ref_node_nm",
                                     0.0));
  params.push_back(kit::number_param("sample_energy_pj", 1.2, "pJ",
                                     "per sampled plane (input bit), at ref_node_nm", 0.0));
  params.push_back(kit::number_param("integrate_energy_pj", 0.25, "pJ",
                                     "per integration pulse, at ref_node_nm", 0.0));
  params.push_back(kit::positive_param("area_um2", 1270.0, "um2", "per neuron, at ref_node_nm"));
  // Source: CiMLoop's NeuRRAM latencies: 0.3 µs per ADC step.
  params.push_back(kit::positive_param("t_step_ns", 300.0, "ns", "per decrement step"));
  params.push_back(kit::number_param("ref_node_nm", 130.0, "nm", "node of the figures above",
                                     kit::kMinNodeNm, kit::kMaxNodeNm));
  registry.add_variant<Adc>(
      "adc",
      {"neuron",
       "NeuRRAM's integrating neuron: binary-search charge decrement, pays per sample "
       "and pulse",
       params},
      [](const kit::Json& j) -> std::unique_ptr<Adc> {
        return std::make_unique<NeuronAdc>(AdcSpec::from_json(j, "adc"), j);
      });
}

}  // namespace xbarsim::peripherals
