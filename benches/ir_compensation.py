#!/usr/bin/python3
"""Line-resistance error of a tile VMM, with and without column-scale compensation.

Usage: /usr/bin/python3 benches/ir_compensation.py [path/to/xbarsim]
Prints the relative RMS error of the outputs of a 128x128 rram_wan tile
(analog weights, read noise off) read through the exact circuit, against the
same tile with the ideal solver, for several wire resistances.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

XBARSIM = sys.argv[1] if len(sys.argv) > 1 else "build/core/cli/xbarsim"
N = 128


def main():
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "w.npy", rng.normal(size=(N, N)))
        np.save(tmp / "x.npy", rng.uniform(0, 1, (64, N)))
        base = [f"array.rows={N}", f"array.cols={N}", "device.preset=rram_wan",
                "read_noise.mode=off", "mapping.weight_bits=0", "drift_compensation=none"]

        def vmm(sets):
            args = [XBARSIM, "vmm", "-w", tmp / "w.npy", "-x", tmp / "x.npy", "-o", tmp / "y.npy"]
            for s in base + sets:
                args += ["--set", s]
            subprocess.run(list(map(str, args)), check=True)
            return np.load(tmp / "y.npy")

        ref = vmm(["solver.impl=ideal", "array.r_wire_row_ohm=0", "array.r_wire_col_ohm=0",
                   "array.r_access_ohm=0"])
        err = lambda y: np.linalg.norm(y - ref) / np.linalg.norm(ref)
        print("| r_wire per segment | exact circuit | with column_scale |")
        for r in (0.5, 1.0, 2.5):
            wires = [f"array.r_wire_row_ohm={r}", f"array.r_wire_col_ohm={r}"]
            plain = vmm(["solver.impl=exact"] + wires)
            comp = vmm(["solver.impl=exact", "solver.ir_compensation=column_scale"] + wires)
            print(f"| {r} ohm | {err(plain):.3f} | {err(comp):.3f} |")


if __name__ == "__main__":
    main()
