#pragma once
// Registration of the DAC variants, one file each.
#include "core/kit/registry.h"

namespace xbarsim::peripherals {

void add_ideal_dac(kit::Registry& registry);
void add_bit_serial_dac(kit::Registry& registry);
void add_multibit_dac(kit::Registry& registry);
void add_pwm_dac(kit::Registry& registry);

}  // namespace xbarsim::peripherals
