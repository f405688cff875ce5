#!/usr/bin/python3
"""Hardware-aware training (HWA) against plain training, through the PyTorch
bridge (xbarsim.torch), on Fashion-MNIST: the ResNet-style CNN of
tests/python/fashion_cnn.py trained in float on all 60,000 training images
(plain), then a copy fine-tuned through the tiles (HWA: each step's forward
on freshly programmed tiles read at the case's time, straight-through
gradient, weights clipped at 2.5 sigma, the hardware ramped in over the
first steps). Both are scored on the same test images over independent
device draws (trials) that neither training saw.

Cases: PCM (pcm_ibm) read a day after programming with global drift
compensation; RRAM (rram_wan) read at 1 s; and 6-bit weights on 4-bit cells
(two slices) of RRAM. 8-bit DAC and SAR ADC, calibrated ranges, no line
resistance.

  benches/torch_hwa.py [--epochs 4] [--hwa-steps 300] [--weight-noise 0] [--test-samples 2000] [--trials 5]
                       [--cases pcm_1day,rram,rram_6on4] [--json out.json]
"""
import argparse
import copy
import json
import os
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "python"))
import fashion_cnn  # noqa: E402

DAY_S = 86400.0
CASES = {  # name: (tile config overrides, read time in s)
    "pcm_1day": ({"device": {"preset": "pcm_ibm"}}, DAY_S),
    "rram": ({"device": {"preset": "rram_wan"}}, 1.0),
    "rram_6on4": ({"device": {"preset": "rram_wan"},
                   "mapping": {"impl": "differential", "weight_bits": 6, "bits_per_cell": 4}}, 1.0),
}


def tile_config(case):
    over, _ = CASES[case]
    cfg = fashion_cnn.config("unused.onnx", 0, [1.0], 1, wires=False)
    for k, v in over.items():
        cfg[k] = v
    return cfg


def loader(torch, x, y, batch):
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, x.shape[0], batch)]


def hwa_finetune(torch, xt, plain, cfg, t_s, x, y, steps, batch, lr, weight_noise, seed):
    model = copy.deepcopy(plain).train()
    analog = xt.convert(model, cfg).program(seed=seed).read_time(t_s)
    analog.hardware_aware(clip_sigma=2.5, ramp_steps=steps // 4, weight_noise=weight_noise)
    analog.train()
    opt = torch.optim.SGD(analog.parameters(), lr=lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = torch.Generator().manual_seed(seed)
    t = time.time()
    for step in range(steps):
        j = torch.randint(0, x.shape[0], (batch,), generator=g)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(analog(x[j]), y[j])
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % max(1, steps // 10) == 0:
            print(f"    step {step + 1}/{steps}: loss {float(loss):.3f} "
                  f"({time.time() - t:.0f} s)", flush=True)
    return analog.eval()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--hwa-steps", type=int, default=300)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--weight-noise", type=float, default=0.0,
                   help="hardware_aware's extra weight noise (fraction of max |w|)")
    p.add_argument("--test-samples", type=int, default=2000)
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--json")
    a = p.parse_args()
    cases = a.cases.split(",")
    unknown = [c for c in cases if c not in CASES]
    if unknown or a.trials < 2:
        p.error(f"unknown case {unknown} (known: {', '.join(CASES)})" if unknown
                else "--trials must be >= 2 (the spread is the point)")
    import xbarsim.torch as xt  # before torch: OpenMP's sleeping waits (README, "Threads")
    import torch
    torch.set_num_threads(os.cpu_count() or 2)
    t = time.time()
    # The float training is deterministic (seed 0); it is kept in build/ so a
    # second run of the bench skips it.
    cache = os.path.join(here, "..", "build", "bench-cache", f"torch_hwa_plain_e{a.epochs}.pt")
    if os.path.exists(cache):
        plain = fashion_cnn.model(torch)
        plain.load_state_dict(torch.load(cache))
        plain.eval()
        print(f"plain: the float model of {a.epochs} epochs from {cache}", flush=True)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            plain = fashion_cnn.train_and_export(torch, os.path.join(tmp, "plain.onnx"), 60000,
                                                 a.epochs)
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        torch.save(plain.state_dict(), cache)
        print(f"plain: trained {a.epochs} epochs on 60,000 images in {time.time() - t:.0f} s",
              flush=True)
    xtr, ytr = (torch.from_numpy(v) for v in fashion_cnn.images("train"))
    xte, yte = (torch.from_numpy(v[:a.test_samples]) for v in fashion_cnn.images("t10k"))
    test = loader(torch, xte, yte, 256)
    calib = xtr[:256]
    results = {}
    for case in cases:
        cfg = tile_config(case)
        t_s = CASES[case][1]
        print(f"{case}: HWA fine-tuning, {a.hwa_steps} steps of {a.batch}", flush=True)
        t = time.time()
        hwa = hwa_finetune(torch, xt, plain, cfg, t_s, xtr, ytr, a.hwa_steps, a.batch, a.lr,
                           a.weight_noise, seed=1000)
        t_train = time.time() - t
        row = {"t_s": t_s, "hwa_train_s": t_train}
        for name, model in (("plain", xt.convert(plain, cfg)), ("hwa", hwa)):
            t = time.time()
            r = xt.evaluate(model, test, times_s=[t_s], trials=a.trials, seed=7, calibration=calib)
            n = r["nonideal"][0]
            row[name] = {"float": r["float"], "mean": n["mean"], "std": n["std"],
                         "trials": n["trials"], "eval_s": time.time() - t}
            print(f"  {name:<5} float {100 * r['float']:.2f} %, on the tiles "
                  f"{100 * n['mean']:.2f} ± {100 * n['std']:.2f} % ({time.time() - t:.0f} s)",
                  flush=True)
        gain = row["hwa"]["mean"] - row["plain"]["mean"]
        spread = max(row["hwa"]["std"], row["plain"]["std"])
        row["gain"], row["spread"] = gain, spread
        results[case] = row
    print(f"\n{'case':<11}{'t (s)':>8}{'plain float':>13}{'plain':>17}{'HWA':>17}"
          f"{'gain':>8}{'worst draw':>16}  gain > both spreads")
    ok = True
    for case, r in results.items():
        pm = lambda m: f"{100 * r[m]['mean']:.2f} ± {100 * r[m]['std']:.2f}"  # noqa: E731
        worst = f"{100 * min(r['plain']['trials']):.2f} -> {100 * min(r['hwa']['trials']):.2f}"
        beats = r["gain"] > r["spread"]
        ok &= beats
        print(f"{case:<11}{r['t_s']:>8g}{100 * r['plain']['float']:>12.2f}%{pm('plain'):>17}"
              f"{pm('hwa'):>17}{100 * r['gain']:>+8.2f}{worst:>16}  {'yes' if beats else 'NO'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
