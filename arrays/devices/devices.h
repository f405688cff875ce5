#pragma once
// One function per device variant file; register.cpp calls them all.
#include "core/kit/registry.h"

namespace xbarsim::arrays {

void add_ideal_device(kit::Registry& registry);
void add_table_device(kit::Registry& registry);
void add_pcm_ibm_device(kit::Registry& registry);
void add_pcm_hermes_device(kit::Registry& registry);
void add_rram_wan_device(kit::Registry& registry);
void add_rram_cmo_device(kit::Registry& registry);

}  // namespace xbarsim::arrays
