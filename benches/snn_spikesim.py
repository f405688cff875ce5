#!/usr/bin/python3
"""SpikeSim's VGG-9 estimate (T = 5) and where xbarsim's differs: the static
model of a spiking chip (config "snn") on configs/chips/spikesim_vgg9.json as
it is (SpikeSim's constants, the network as SpikeSim's ELA counts it), then
one change at a time: the true VGG-9 (convs at their size before pooling, the
two fully connected layers), xbarsim's own cited costs instead of SpikeSim's,
and analog neurons (no ADC). Prints one row per case with the parts of the
energy per image (µJ).

  benches/snn_spikesim.py [--cli build/core/cli/xbarsim]
"""
import argparse
import copy
import json
import os
import subprocess
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
config_path = os.path.join(here, "..", "configs", "chips", "spikesim_vgg9.json")


def true_vgg9():
    """VGG-9 as trained for CIFAR-10 in SpikeSim's repository, as we read it: convs
    64-64-pool-128-128-pool-256-256-256-pool, then linear 4096-1024 and 1024-10."""
    layers = []
    for out, pool in [(64, False), (64, True), (128, False), (128, True), (256, False),
                      (256, False), (256, True)]:
        layers += [{"type": "conv2d", "out_channels": out, "kernel": 3, "padding": 1},
                   {"type": "relu"}]
        if pool:
            layers.append({"type": "maxpool", "kernel": 2})
    layers += [{"type": "flatten"}, {"type": "linear", "out_features": 1024}, {"type": "relu"},
               {"type": "linear", "out_features": 10}]
    return {"name": "vgg9", "input": [3, 32, 32], "layers": layers}


def own_costs(c):
    """The same architecture with xbarsim's own cited cost figures (every cost key dropped)."""
    c = copy.deepcopy(c)
    c["adc"] = {k: v for k, v in c["adc"].items() if k in ("impl", "bits", "share_columns")}
    c["dac"] = {k: v for k, v in c["dac"].items() if k in ("impl", "bits", "signed_drive")}
    c.pop("shift_add")
    c["tile"] = {"pes": c["tile"]["pes"]}
    c["chip"] = {k: v for k, v in c["chip"].items() if k in ("tiles", "replication")}
    c["snn"]["neuron"] = {"impl": "digital_lif"}
    return c


def run(cli, config, tmp):
    path = os.path.join(tmp, "c.json")
    json.dump(config, open(path, "w"))
    out = subprocess.run([cli, "run", path, "-q", "-o", "-"], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)["ppa"]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cli", default=os.path.join(here, "..", "build", "core", "cli", "xbarsim"))
    a = p.parse_args()
    base = json.load(open(config_path))
    for k in ("measured", "name", "source", "assumptions"):
        base.pop(k)
    vgg9 = copy.deepcopy(base)
    vgg9["network"] = true_vgg9()
    vgg9["chip"]["tiles"] = 64
    own = own_costs(vgg9)
    analog = copy.deepcopy(own)
    analog["snn"]["neuron"] = {"impl": "analog_if"}
    cases = [("SpikeSim's constants, its ELA network", base),
             ("SpikeSim's constants, true VGG-9", vgg9),
             ("xbarsim's costs, true VGG-9", own),
             ("xbarsim's costs, analog IF neurons", analog)]
    parts = ["array", "dac", "adc", "shift_add", "adder_tree", "digital", "buffer", "global_buffer",
             "noc", "neurons", "leakage"]
    print(f"{'case':<40}{'arrays':>7}{'tiles':>6}{'mm2':>7}{'uJ':>7}" +
          "".join(f"{k[:7]:>8}" for k in parts))
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in cases:
            ppa = run(a.cli, config, tmp)
            t = ppa["totals"]
            e = t["energy_pj"]
            arrays = sum(l.get("arrays", 0) for l in ppa["layers"])
            assert abs(e["total"] - sum(e[k] for k in parts)) <= 1e-9 * e["total"]
            print(f"{name:<40}{arrays:>7}{t['tiles_used']:>6}{t['area_mm2']['total']:>7.2f}"
                  f"{e['total'] / 1e6:>7.2f}" + "".join(f"{e[k] / 1e6:>8.3f}" for k in parts),
                  flush=True)
    print("SpikeSim's script: 48 PEs, 6 tiles, 8.43 mm2, 15.9 uJ")


if __name__ == "__main__":
    main()
