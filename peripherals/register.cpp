#include "peripherals/register.h"

#include "peripherals/adcs/adcs.h"
#include "peripherals/dacs/dacs.h"
#include "peripherals/neurons/neurons.h"
#include "peripherals/shift_add.h"

namespace xbarsim::peripherals {

void register_variants(kit::Registry& registry) {
  registry.add_component({"dac", "input digital-to-analog conversion", "ideal", ""});
  add_ideal_dac(registry);
  add_bit_serial_dac(registry);
  add_multibit_dac(registry);
  add_pwm_dac(registry);

  registry.add_component({"adc", "column output analog-to-digital conversion", "ideal", ""});
  add_ideal_adc(registry);
  add_sar_adc(registry);
  add_flash_adc(registry);
  add_ramp_adc(registry);
  add_sense_amp_adc(registry);
  add_neuron_adc(registry);

  registry.add_component(
      {"shift_add", "digital recombination of bit planes, slices and phases", "digital", ""});
  registry.add_variant("shift_add",
                       {"digital", "exact accumulation; cost per add", ShiftAddSpec::params()});

  registry.add_component({"neuron", "spiking neurons of an SNN evaluation (evaluation.snn.neuron)",
                          "digital_lif", ""});
  add_digital_lif_neuron(registry);
  add_analog_if_neuron(registry);
}

}  // namespace xbarsim::peripherals
