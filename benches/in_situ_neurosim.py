#!/usr/bin/python3
"""MLP_NeuroSim V3.0's benchmark trained in situ by `xbarsim train`: the
400-100-10 sigmoid MLP on MNIST cropped to 20x20 and binarised, one image
per update, 125 epochs of 8,000 images (configs/in_situ/neurosim_mlp.json),
once per NeuroSim benchmark device (configs/updates/neurosim_*.json), beside
an ideal device (constant step of 1/1000 of the range, no noise) as the
software reference. Prints each device's accuracy (final, and the mean of
the last 10 epochs: NeuroSim's curves are noisy), write energy and write
time per run beside NeuroSim's Table II (manual, V3.0, 32 nm).

Checks (exit 1 when one fails): each device's ranking position and
accuracy within --points of NeuroSim's; write energy within 3x of
NeuroSim's for Ag:a-Si.

  benches/in_situ_neurosim.py [--epochs 125] [--points 10] [--devices ag_si,...] [--json out.json]
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_situ_run import ROOT, finish, train as run_train  # noqa: E402

CONFIG = os.path.join(ROOT, "configs", "in_situ", "neurosim_mlp.json")

# MLP_NeuroSim V3.0 user manual, Table II: online accuracy (%), write
# energy (mJ) and write latency (s) of the whole 125-epoch run.
NEUROSIM = {
    "ag_si": ("Ag:a-Si", 72, 13.44, 31997),
    "taox_hfox": ("TaOx/HfOx", 80, 4.01, 10.15),
    "pcmo": ("PCMO", 33, 2.53, 12218),
    "alox_hfo2": ("AlOx/HfO2", 20, 15.26, 470.42),
    "gst": ("GST PCM", 89, 35.0, 203.0),
    "epiram": ("EpiRAM", 92, 31.01, 229.6),
    "hzo_fefet": ("HZO FeFET", 88, 1.9, 2.73),
}


def train(sets, out):
    return run_train(CONFIG, sets, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=125)
    ap.add_argument("--points", type=float, default=10.0)
    ap.add_argument("--devices", default=",".join(NEUROSIM))
    ap.add_argument("--json")
    a = ap.parse_args()
    devices = a.devices.split(",")
    rows, fails = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        base = [f"in_situ.epochs={a.epochs}"]
        ideal = train(base + ['in_situ.update={"impl": "constant_step", "dw_min": 0.002, '
                              '"dw_min_std": 0, "dw_min_dtod": 0, "up_down_dtod": 0, '
                              '"w_min": -1, "w_max": 1, "w_min_dtod": 0, "w_max_dtod": 0}'],
                      os.path.join(tmp, "ideal.json"))
        rows["ideal"] = ideal
        for d in devices:
            rows[d] = train(base + [f"in_situ.update.preset=neurosim_{d}"], os.path.join(tmp, d + ".json"))

    def acc(r):
        e = r["epochs"]
        return 100 * e[-1]["test_accuracy"], 100 * sum(x["test_accuracy"] for x in e[-10:]) / len(e[-10:])

    print(f"\nMLP 400-100-10, {a.epochs} epochs x 8,000 images (NeuroSim: 125)\n")
    print("| device | NeuroSim acc. % | xbarsim final % | last-10 mean % | NeuroSim write energy mJ | "
          "xbarsim mJ | NeuroSim write time s | xbarsim s | run time s |")
    print("|---|---|---|---|---|---|---|---|---|")
    f, m = acc(rows["ideal"])
    t = rows["ideal"]["totals"]
    print(f"| ideal device (software reference) | 96-97 | {f:.2f} | {m:.2f} | | "
          f"{t['write_energy_pj'] * 1e-9:.3g} | | {t['write_latency_ns'] * 1e-9:.4g} | {t['seconds']:.1f} |")
    for d in devices:
        name, nacc, ne, nt = NEUROSIM[d]
        f, m = acc(rows[d])
        t = rows[d]["totals"]
        e = t["write_energy_pj"] * 1e-9 * 125 / a.epochs
        lat = t["write_latency_ns"] * 1e-9 * 125 / a.epochs
        print(f"| {name} | {nacc} | {f:.2f} | {m:.2f} | {ne} | {e:.3g} | {nt} | {lat:.4g} | {t['seconds']:.1f} |")
        if abs(m - nacc) > a.points:
            fails.append(f"{name}: {m:.1f} % against NeuroSim's {nacc} % (more than {a.points} points)")
        if d == "ag_si" and not (ne / 3 <= e <= ne * 3):
            fails.append(f"{name}: write energy {e:.3g} mJ not within 3x of NeuroSim's {ne} mJ")
    order_ns = sorted(devices, key=lambda d: NEUROSIM[d][1])
    order_x = sorted(devices, key=lambda d: acc(rows[d])[1])
    print("\nranking, worst to best: NeuroSim", [NEUROSIM[d][0] for d in order_ns])
    print("                         xbarsim ", [NEUROSIM[d][0] for d in order_x])
    finish(rows, fails, a.json)


if __name__ == "__main__":
    main()
