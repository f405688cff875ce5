#include "arrays/register.h"

#include "arrays/array_spec.h"
#include "arrays/circuit.h"
#include "arrays/devices/devices.h"
#include "arrays/mapping.h"
#include "arrays/read_noise.h"
#include "arrays/updates/updates.h"

namespace xbarsim::arrays {

void register_variants(kit::Registry& registry) {
  registry.add_component(
      {"array", "the physical crossbar: size, cell, circuit resistances", "", ""});
  registry.add_variant("array", {"", "one crossbar", ArraySpec::params()});

  registry.add_component(
      {"device", "resistive device model (variant or preset)", "ideal", "devices"});
  add_ideal_device(registry);
  add_table_device(registry);
  add_pcm_ibm_device(registry);
  add_pcm_hermes_device(registry);
  add_rram_wan_device(registry);
  add_rram_cmo_device(registry);

  registry.add_component(
      {"update", "in_situ.update: how a device answers one programming pulse (in-situ training)",
       "constant_step", "updates"});
  add_constant_step_update(registry);
  add_linear_step_update(registry);
  add_soft_bounds_update(registry);
  add_exp_step_update(registry);
  add_pow_step_update(registry);
  add_neurosim_update(registry);
  add_piecewise_update(registry);

  registry.add_component(
      {"mapping", "weights to conductances: sign, quantization, bit slicing", "differential", ""});
  registry.add_variant("mapping", {"differential", "w = G+ - G-, each polarity on its own crossbar",
                                   MappingSpec::params()});
  registry.add_variant("mapping",
                       {"offset", "w = G - G_ref: one crossbar per slice plus a reference column",
                        MappingSpec::params()});

  registry.add_component({"read_noise", "how read noise enters a VMM", "", ""});
  registry.add_variant("read_noise", {"", "read noise mode", ReadNoiseSpec::params()});

  registry.add_component({"solver", "crossbar circuit solve (line resistance)", "ideal", ""});
  registry.add_variant("solver", {"ideal", "no wires or access devices: I_j = sum_i V_i G_ij",
                                  SolverSpec::params("ideal")});
  registry.add_variant(
      "solver", {"exact", "sparse nodal analysis (LDLT), Newton for nonlinear cells; the reference",
                 SolverSpec::params("exact")});
  registry.add_variant(
      "solver", {"fast", "batched PCG with exact row/column wire preconditioner, Newton outside",
                 SolverSpec::params("fast")});
}

}  // namespace xbarsim::arrays
