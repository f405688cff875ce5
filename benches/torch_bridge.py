#!/usr/bin/python3
"""Speed of the PyTorch bridge (xbarsim.torch) against the same network run
natively by `xbarsim run`: the Fashion-MNIST ResNet-style CNN
(tests/python/fashion_cnn.py, random weights: speed does not depend on
training) on RRAM tiles with 8-bit converters, no line resistance and no
drift compensation (so the native job reads the test images once as well).
Both program one trial, calibrate on 256 training images and read the test
images once at 1 s, batch 256; the native time is the report's `nonideal`
seconds (programming, calibration and the reads). Also torch's float model.

  benches/torch_bridge.py [--images 2048] [--cli build/core/cli/xbarsim]
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
    p.add_argument("--images", type=int, default=2048)
    p.add_argument("--cli", default=os.path.join(here, "..", "build", "core", "cli", "xbarsim"))
    a = p.parse_args()
    import xbarsim.torch as xt  # before torch: OpenMP's sleeping waits (README, "Threads")
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(2)
    net = fashion_cnn.model(torch).eval()
    x, _ = fashion_cnn.images("t10k")
    x = torch.from_numpy(x[:a.images])
    calib = torch.from_numpy(fashion_cnn.images("train")[0][:256])
    with tempfile.TemporaryDirectory() as tmp:
        onnx = os.path.join(tmp, "cnn.onnx")
        torch.onnx.export(net, x[:1], onnx, opset_version=13)
        cfg = fashion_cnn.config(onnx, a.images, [1.0], 1, wires=False)
        cfg["evaluation"]["batch"] = 256
        cfg["drift_compensation"] = "none"  # one read pass natively too (no uncompensated one)
        cfg_path = os.path.join(tmp, "cfg.json")
        json.dump(cfg, open(cfg_path, "w"))
        out = os.path.join(tmp, "r.json")
        subprocess.run([a.cli, "run", cfg_path, "-q", "-o", out], check=True)
        native = json.load(open(out))["accuracy"]["seconds"]["nonideal"]

        t = time.perf_counter()
        with torch.no_grad():
            for i in range(0, a.images, 256):
                net(x[i:i + 256])
        t_float = time.perf_counter() - t

        analog = xt.convert(net, cfg)
        t = time.perf_counter()
        analog.program(seed=1).calibrate(calib)
        analog.read_time(1.0)
        with torch.no_grad():
            for i in range(0, a.images, 256):
                analog(x[i:i + 256])
        t_bridge = time.perf_counter() - t
    n = a.images
    print(f"{'run':<34}{'seconds':>9}{'images/s':>10}")
    print(f"{'torch float (2 threads)':<34}{t_float:>9.2f}{n / t_float:>10.0f}")
    print(f"{'xbarsim run (native, RRAM tiles)':<34}{native:>9.2f}{n / native:>10.0f}")
    print(f"{'xbarsim.torch (RRAM tiles)':<34}{t_bridge:>9.2f}{n / t_bridge:>10.0f}")
    print(f"bridge / native time: {t_bridge / native:.2f}")


if __name__ == "__main__":
    main()
