#include "core/arch/setup.h"

#include "arrays/register.h"
#include "core/arch/hardware.h"
#include "peripherals/register.h"

namespace xbarsim::arch {

kit::Registry make_registry() {
  kit::Registry registry;
  arrays::register_variants(registry);
  peripherals::register_variants(registry);
  register_hardware(registry);
  return registry;
}

}  // namespace xbarsim::arch
