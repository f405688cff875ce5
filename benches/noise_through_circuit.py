#!/usr/bin/python3
"""How good is adding read noise at the output when the array has line
resistance? Monte Carlo: fresh Gaussian conductance noise on every device for
each read, each read solved exactly through the circuit; the spread of the
column currents is compared with the output-referred σ, sqrt(Σ_i V_i²·σ_ij²),
with the devices' own σ and with σ scaled by the attenuation T_ij/G_ij (what
the tile uses).

Usage: PYTHONPATH=build/python /usr/bin/python3 benches/noise_through_circuit.py
"""
import numpy as np

import xbarsim

N, READS = 64, 400


def main():
    rng = np.random.default_rng(11)
    g = rng.uniform(1e-6, 40e-6, (N, N))  # rram_wan-like window, siemens
    sigma = 0.01 * 39e-6 * np.ones_like(g)  # 1 % of the window per read (rram_wan preset)
    v = rng.uniform(0, 0.2, (1, N))
    plain = np.sqrt((v[0][:, None] ** 2 * sigma ** 2).sum(axis=0))
    print("| r_wire per segment | true σ / plain σ: mean (min–max over columns) "
          "| true σ / attenuated σ: mean (min–max) |")
    for r_wire in (0.0, 1.0, 2.5):
        cfg = {"array": {"rows": N, "cols": N, "cell": "1R", "r_wire_row_ohm": r_wire,
                         "r_wire_col_ohm": r_wire}, "solver": {"impl": "exact"}}
        solver = "exact" if r_wire > 0 else "ideal"
        currents = np.array([
            xbarsim.solve_circuit(np.maximum(g + sigma * rng.standard_normal(g.shape), 0), v,
                                  cfg, solver=solver)[0]
            for _ in range(READS)])
        t = xbarsim.solve_circuit(g, np.eye(N), cfg, solver=solver)  # effective matrix
        scaled = np.sqrt((v[0][:, None] ** 2 * (sigma * t / g) ** 2).sum(axis=0))
        true = currents.std(axis=0, ddof=1)
        a, b = true / plain, true / scaled
        print(f"| {r_wire} ohm | {a.mean():.3f} ({a.min():.3f}–{a.max():.3f}) "
              f"| {b.mean():.3f} ({b.min():.3f}–{b.max():.3f}) |")
    print(f"(sampling error of each column's ratio: about {1 / np.sqrt(2 * (READS - 1)):.3f})")


if __name__ == "__main__":
    main()
