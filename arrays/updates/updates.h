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
// One pulse's step (fraction of the window) from state x in [0, 1] on the
// curve of normalised A a_norm over `states` pulses, direction dir (±1).
double neurosim_step(double x, double a_norm, int states, int dir);
// The nonlinearity label of a normalised A (its inverse; 0 for 0).
double neurosim_label(double a_norm);

}  // namespace xbarsim::arrays
