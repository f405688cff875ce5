#pragma once
// Registration of the spiking-neuron variants, one file each.
#include "core/kit/registry.h"

namespace xbarsim::peripherals {

void add_digital_lif_neuron(kit::Registry& registry);
void add_analog_if_neuron(kit::Registry& registry);

}  // namespace xbarsim::peripherals
