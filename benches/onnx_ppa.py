#!/usr/bin/python3
"""PPA of torchvision models imported from ONNX (224x224, random weights,
nothing downloaded): each exported once, then `xbarsim run --set
network=M.onnx --set evaluation=null` timed as a whole process (best of 3)
with its MAC counts, energy, TOPS/W and chips.

  benches/onnx_ppa.py [--models resnet18,resnet50,mobilenet_v2,vgg16] [--cli build/core/cli/xbarsim]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="resnet18,resnet50,mobilenet_v2,vgg16")
    p.add_argument("--cli", default=os.path.join(here, "..", "build", "core", "cli", "xbarsim"))
    a = p.parse_args()
    import torch
    import torchvision
    print(f"{'model':<14}{'MB':>7}{'import+PPA s':>14}{'GMACs':>8}{'padded':>8}"
          f"{'energy µJ':>11}{'TOPS/W':>8}{'chips':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            path = os.path.join(tmp, name + ".onnx")
            model = getattr(torchvision.models, name)(weights=None).eval()
            torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, opset_version=13)
            out = os.path.join(tmp, name + ".json")
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                subprocess.run([a.cli, "run", "--set", f"network={path}", "--set", "evaluation=null",
                                "--set", "chip.multiple_chips=true", "-q", "-o", out], check=True)
                best = min(best, time.perf_counter() - t)
            tot = json.load(open(out))["ppa"]["totals"]
            print(f"{name:<14}{os.path.getsize(path) / 1e6:>7.0f}{best:>14.2f}{tot['macs'] / 1e9:>8.3f}"
                  f"{tot['macs_padded'] / 1e9:>8.3f}{tot['energy_pj']['total'] / 1e6:>11.1f}"
                  f"{tot['tops_per_w']:>8.2f}{tot['chips']:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
