#!/usr/bin/python3
"""Full validation of the layer-sensitivity study (`xbarsim sensitivity`) on
two networks, read once at 1 s over 2 device draws: LeNet-5 on the 2,000
MNIST test digits (the default config: RRAM, 1-ohm wires, bit-serial 8-bit
DAC, 6-bit SAR ADC) and the ResNet-style Fashion-MNIST CNN
of tests/python/fashion_cnn.py (trained in torch, imported from ONNX; RRAM,
8-bit converters, no line resistance). For each: the ADC effect alone at a
low precision (every layer's sensitivity to its ADC), and the suggested
per-layer ADC precisions against every uniform precision.

Checks (exit 1 when one fails), the issue's bars:
  - the first and the last matrix layers are the two that gain most when
    their ADC alone is made ideal (all other layers' ADCs at the low precision);
  - the suggested assignment meets its target and uses less energy than the
    best uniform precision that meets the same target.

  benches/sensitivity.py [--low-bits 3] [--adc-bits 5,4,3] [--epochs 4] [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")
sys.path.insert(0, os.path.join(here, "..", "tests", "python"))
import fashion_cnn  # noqa: E402

CLI = os.path.join(root, "build", "core", "cli", "xbarsim")


def study(config, sets, args, out):
    cmd = [CLI, "sensitivity", *([config] if config else []), *sets, *args, "-o", out]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=root)
    with open(out) as f:
        return json.load(f)


def ranked(report):
    rows = sorted(report["layers"], key=lambda r: -r["gain_if_ideal"])
    return [r["name"] for r in rows]


def summary(name, sens, sugg):
    names = [r["name"] for r in sens["layers"]]
    top2 = set(ranked(sens)[:2])
    ends = {names[0], names[-1]}
    s = sugg["suggestion"]
    best = s["best_uniform"]
    print(f"\n{name}: gain in accuracy points when one layer's ADC is ideal "
          f"(others at the low precision; configured {100 * sens['configured']['accuracy']:.2f} %)")
    for r in sens["layers"]:
        print(f"  {r['name']:<12} {100 * r['gain_if_ideal']:+6.2f}   only it low: "
              f"{100 * r['only_this_nonideal']['accuracy']:.2f} %")
    print(f"  most sensitive: {', '.join(ranked(sens)[:2])} (first and last: {', '.join(names[::len(names) - 1])})")
    print(f"  suggestion {s['assignment']}: {100 * s['accuracy']:.2f} %, {s['energy_pj'] * 1e-3:.4g} nJ; "
          f"best uniform {best['adc_bits']}: {100 * best['accuracy']:.2f} %, {best['energy_pj'] * 1e-3:.4g} nJ; "
          f"saving {100 * s['energy_saving_vs_best_uniform']:.2f} %")
    return {"ends_most_sensitive": top2 == ends,
            "suggestion_beats_uniform": s["energy_pj"] < best["energy_pj"]
            and s["accuracy"] >= s["target_accuracy"]}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--low-bits", type=int, default=3)
    p.add_argument("--adc-bits", default="5,4,3")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--json")
    a = p.parse_args()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        # One read at 1 s: the ADC's effect does not depend on the read time.
        once = ["--set", "evaluation.times_s=[1]"]
        low = once + ["--set", f"adc.bits={a.low_bits}"]
        out["lenet5"] = {
            "adc_low": study(None, low, ["--effects", "adc"], os.path.join(tmp, "l1.json")),
            "suggestion": study(None, once, ["--effects", "adc", "--adc-bits", a.adc_bits],
                                os.path.join(tmp, "l2.json"))}
        import torch
        torch.set_num_threads(os.cpu_count() or 2)
        onnx_path = os.path.join(tmp, "fashion.onnx")
        fashion_cnn.train_and_export(torch, onnx_path, 60000, a.epochs)
        cfg = fashion_cnn.config(onnx_path, 2000, [1.0], 2, wires=False)
        cfg["adc"]["bits"] = 6
        path = os.path.join(tmp, "fashion.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        out["fashion_cnn"] = {
            "adc_low": study(path, low, ["--effects", "adc"], os.path.join(tmp, "f1.json")),
            "suggestion": study(path, once, ["--effects", "adc", "--adc-bits", a.adc_bits],
                                os.path.join(tmp, "f2.json"))}
    checks = {n: summary(n, r["adc_low"], r["suggestion"]) for n, r in out.items()}
    print("\n", json.dumps(checks))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"reports": out, "checks": checks}, f, indent=1)
    return 0 if all(all(c.values()) for c in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
