#include "peripherals/register.h"

namespace xbarsim::peripherals {

void register_variants(kit::Registry& registry) {
  // Converter variants with transfer functions and costs (bit-serial, SAR,
  // flash, ...) are added here as they are built; "ideal" passes values
  // through unquantized and costs nothing.
  registry.add_component({"dac", "input digital-to-analog conversion", "ideal", ""});
  registry.add_variant("dac", {"ideal", "analog inputs applied exactly", {}});
  registry.add_component({"adc", "column output analog-to-digital conversion", "ideal", ""});
  registry.add_variant("adc", {"ideal", "column outputs read exactly", {}});
}

}  // namespace xbarsim::peripherals
