#!/usr/bin/python3
"""Full validation of ONNX import on real data (issue: bring your own network):
a ResNet-style CNN (tests/python/fashion_cnn.py) trained in torch on all
60,000 Fashion-MNIST training images, exported to ONNX and scored by
`xbarsim run` on the test images through ideal 8-bit tiles (the quantized
pass) and nonideal RRAM tiles; prints the accuracies, the time of each pass
and images/s beside the float pass of the same binary.

  benches/onnx_fashion.py [--epochs 6] [--test-samples 2000] [--cli build/core/cli/xbarsim]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "python"))
import fashion_cnn  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--test-samples", type=int, default=2000)
    p.add_argument("--cli", default=os.path.join(here, "..", "build", "core", "cli", "xbarsim"))
    a = p.parse_args()
    import torch
    torch.set_num_threads(os.cpu_count() or 2)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = os.path.join(tmp, "fashion.onnx")
        t = time.time()
        net = fashion_cnn.train_and_export(torch, onnx_path, 60000, a.epochs)
        print(f"trained {a.epochs} epochs on 60,000 images in {time.time() - t:.0f} s", flush=True)
        x, y = fashion_cnn.images("t10k")
        with torch.no_grad():
            acc = float((net(torch.from_numpy(x[:a.test_samples])).argmax(1).numpy() ==
                         y[:a.test_samples]).mean())
        cfg = os.path.join(tmp, "cfg.json")
        with open(cfg, "w") as f:
            json.dump(fashion_cnn.config(onnx_path, a.test_samples, [1, 31536000], 2), f)
        out = os.path.join(tmp, "r.json")
        subprocess.run([a.cli, "run", cfg, "-q", "-o", out], check=True)
        r = json.load(open(out))["accuracy"]
    s = r["seconds"]
    n = a.test_samples
    print(f"torch float {100 * acc:.2f} %, xbarsim float {100 * r['float']:.2f} %, "
          f"quantized (ideal 8-bit tiles) {100 * r['quantized']:.2f} %")
    for row in r["nonideal"]:
        print(f"  nonideal at t = {row['t_s']:g} s: {100 * row['mean']:.2f} ± "
              f"{100 * row['std']:.2f} % (uncompensated {100 * row['uncompensated']['mean']:.2f} %)")
    print(f"images/s: float {n / s['float']:.0f}, ideal 8-bit tiles {n / s['quantized']:.1f} "
          f"(calibration and programming included); the nonideal pass (2 trials x 2 read times, "
          f"with and without drift compensation) took {s['nonideal']:.0f} s")
    gap = abs(r["quantized"] - r["float"])
    print("quantized within 0.5 points of float:", "yes" if gap <= 0.005 else f"NO ({100 * gap:.2f})")
    return 0 if gap <= 0.005 else 1


if __name__ == "__main__":
    sys.exit(main())
