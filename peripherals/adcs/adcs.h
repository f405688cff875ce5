#pragma once
// Registration of the ADC variants, one file each.
#include "core/kit/registry.h"

namespace xbarsim::peripherals {

void add_ideal_adc(kit::Registry& registry);
void add_sar_adc(kit::Registry& registry);
void add_flash_adc(kit::Registry& registry);
void add_ramp_adc(kit::Registry& registry);
void add_sense_amp_adc(kit::Registry& registry);
void add_neuron_adc(kit::Registry& registry);

}  // namespace xbarsim::peripherals
