#pragma once
// Adds the peripherals folder's components (dac, adc, shift_add, neuron) to a registry instance.
#include "core/kit/registry.h"

namespace xbarsim::peripherals {

void register_variants(kit::Registry& registry);

}  // namespace xbarsim::peripherals
