"""xbarsim: crossbar in-memory-computing simulator.

    import numpy as np, xbarsim
    xb = xbarsim.Crossbar({"array": {"rows": 64, "cols": 32}, "device": {"preset": "pcm_ibm"}})
    xb.program(np.random.randn(64, 32))
    y = xb.vmm(np.random.rand(8, 64), t_s=3600)

Config errors raise ValueError with the same one-line message as the CLI.
"""
import os as _os

# Sleeping (not spinning) OpenMP waits keep two threads fast on a shared
# machine; libgomp reads this when it loads, so it must be set before the
# native module is imported (a policy chosen by the user is kept).
if "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ._xbarsim import (AnalogLayer, ConfigError, Crossbar, InputError, Network, __version__,
                       check_config, effective_conductances, fit_device, presets, read_idx, run,
                       schema, sensitivity, solve_circuit, sweep, train_in_situ)

__all__ = ["AnalogLayer", "ConfigError", "Crossbar", "InputError", "Network", "__version__",
           "check_config", "effective_conductances", "fit_device", "presets", "read_idx", "run",
           "schema",
           "sensitivity", "solve_circuit", "sweep", "train_in_situ"]
