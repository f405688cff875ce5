#!/usr/bin/python3
"""aihwkit's Fashion-MNIST MLP (784-256-128-10, sigmoid, analog SGD at
learning rate 0.05, batch 64, stochastic pulse updates with BL 31) trained in
situ by `xbarsim train` (configs/in_situ/fashion_mlp.json) on each of the
aihwkit training presets that xbarsim carries (aihwkit_idealized, 10,000
states without asymmetry, is the near-software reference). Prints the test
accuracy after every epoch, the pulses and write energy, and the images
trained per second.

The PCM preset (one-sided, on [0, 2]) is trained as aihwkit trains it, a
one-sided pair refreshed after every batch (in_situ.cell=one_sided_pair).

Then an asymmetric device, soft bounds (aihwkit's SoftBoundsDevice defaults
with dw_min 0.002: each device's symmetry point off 0 by its own bounds and
steps), with plain SGD and with Tiki-Taka (8 rows transferred per batch).

Checks (exit 1 when one fails): the ReRAM and EcRAM presets within --points
of 85 % (the issue's expectation for them); the PCM pair with plain SGD below
60 % (aihwkit's own caution: PCM needs more than plain SGD); Tiki-Taka recovers
at least half of the gap between plain SGD on soft bounds and the
Gokmen-Vlasov constant step.

  benches/in_situ_fashion.py [--epochs 30] [--points 3] [--presets aihwkit_ecram,...] [--json out.json]
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_situ_run import ROOT, finish, train as run_train  # noqa: E402

CONFIG = os.path.join(ROOT, "configs", "in_situ", "fashion_mlp.json")


def train(sets, out):
    return run_train(CONFIG, sets, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--points", type=float, default=3.0)
    ap.add_argument("--presets", default="aihwkit_ecram,aihwkit_ecram_mo,aihwkit_reram_es,"
                                         "aihwkit_reram_sb,aihwkit_capacitor,aihwkit_gokmen_vlasov,"
                                         "aihwkit_idealized")
    ap.add_argument("--no-pcm", action="store_true", help="leave out the PCM pair")
    ap.add_argument("--json")
    a = ap.parse_args()
    rows, fails = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for p in a.presets.split(","):
            rows[p] = train([f"in_situ.epochs={a.epochs}", f"in_situ.update.preset={p}"],
                            os.path.join(tmp, p + ".json"))
        if not a.no_pcm:
            rows["aihwkit_pcm, one-sided pair"] = train(
                [f"in_situ.epochs={a.epochs}", "in_situ.update.preset=aihwkit_pcm",
                 "in_situ.cell=one_sided_pair"], os.path.join(tmp, "pcm.json"))
        sb = ['in_situ.update={"impl": "soft_bounds", "dw_min": 0.002}', f"in_situ.epochs={a.epochs}"]
        rows["soft_bounds, SGD"] = train(sb, os.path.join(tmp, "sb.json"))
        rows["soft_bounds, Tiki-Taka"] = train(
            sb + ["in_situ.algorithm=tiki_taka", 'in_situ.tiki_taka={"reads_per_transfer": 8}'],
            os.path.join(tmp, "sbtt.json"))
    print(f"\n784-256-128-10 sigmoid MLP on Fashion-MNIST, {a.epochs} epochs of 60,000 images\n")
    print("| preset | test % per epoch | final % | pulses | write energy uJ | images/s |")
    print("|---|---|---|---|---|---|")
    for p, r in rows.items():
        e = r["epochs"]
        t = r["totals"]
        per = ", ".join(f"{100 * x['test_accuracy']:.1f}" for x in e)
        final = 100 * e[-1]["test_accuracy"]
        ips = r["samples_per_epoch"] * len(e) / sum(x["seconds"] for x in e)
        print(f"| {p} | {per} | {final:.2f} | {t['set_pulses'] + t['reset_pulses']:.4g} | "
              f"{t['write_energy_pj'] * 1e-6:.4g} | {ips:.0f} |")
        if p.startswith(("aihwkit_ecram", "aihwkit_reram")) and abs(final - 85) > a.points:
            fails.append(f"{p}: {final:.1f} % is not within {a.points} points of 85 %")
        if p.startswith("aihwkit_pcm") and final >= 60:
            fails.append(f"{p}: {final:.1f} % with plain SGD, expected below 60 %")
    final = {p: 100 * r["epochs"][-1]["test_accuracy"] for p, r in rows.items()}
    if "aihwkit_gokmen_vlasov" in final:
        gap = final["aihwkit_gokmen_vlasov"] - final["soft_bounds, SGD"]
        got = final["soft_bounds, Tiki-Taka"] - final["soft_bounds, SGD"]
        print(f"\nTiki-Taka recovers {got:.2f} of the {gap:.2f} points between SGD on soft bounds "
              f"and the constant step")
        if got < gap / 2:
            fails.append(f"Tiki-Taka recovers {got:.2f} of {gap:.2f} points (less than half)")
    finish(rows, fails, a.json)


if __name__ == "__main__":
    main()
