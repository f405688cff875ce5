#include "core/jobs/registry_setup.h"

#include "arrays/register.h"
#include "core/ppa/hardware.h"
#include "peripherals/register.h"

namespace xbarsim::jobs {

kit::Registry make_registry() {
  kit::Registry registry;
  arrays::register_variants(registry);
  peripherals::register_variants(registry);
  ppa::register_hardware(registry);
  return registry;
}

}  // namespace xbarsim::jobs
