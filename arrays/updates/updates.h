#pragma once
// One function per update-law file; register.cpp calls them all.
#include "core/kit/registry.h"

namespace xbarsim::arrays {

void add_constant_step_update(kit::Registry& registry);
void add_linear_step_update(kit::Registry& registry);
void add_soft_bounds_update(kit::Registry& registry);
void add_exp_step_update(kit::Registry& registry);
void add_pow_step_update(kit::Registry& registry);
void add_neurosim_update(kit::Registry& registry);
void add_piecewise_update(kit::Registry& registry);

// NeuroSim's curve parameter A on the normalised axis (N = 1) for its
// nonlinearity label nl (signed; 0 = linear, returned as 0).
double neurosim_a_norm(double nl);

}  // namespace xbarsim::arrays
