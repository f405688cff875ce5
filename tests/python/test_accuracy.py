"""The accuracy job against an independent numpy forward pass of the same
.npy weights (PyTorch layout), and users' own weights through evaluation.weights."""
import json
import os
import shutil

import numpy as np
import pytest

import xbarsim

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MNIST = os.path.join(ROOT, "data", "mnist")


def config(weights=""):
    if not os.path.exists(os.path.join(MNIST, "t10k-images-idx3-ubyte")):
        pytest.fail("data/mnist is missing: ./test fetches it (scripts/get_mnist.sh)")
    return {
        "array": {"rows": 256, "cols": 256},
        "device": {"impl": "ideal", "g_min_us": 1.0, "g_max_us": 40.0},
        "mapping": {"impl": "differential", "weight_bits": 8, "bits_per_cell": 4},
        "read_noise": {"mode": "off"},
        "drift_compensation": "none",
        "dac": {"impl": "bit_serial", "bits": 8, "signed_drive": "none", "range": "calibrated"},
        "adc": {"impl": "sar", "bits": 8, "range": "calibrated"},
        "network": {"preset": "lenet5"},
        "evaluation": {
            "dataset": {
                "train_images": os.path.join(MNIST, "train-images-idx3-ubyte"),
                "train_labels": os.path.join(MNIST, "train-labels-idx1-ubyte"),
                "test_images": os.path.join(MNIST, "t10k-images-idx3-ubyte"),
                "test_labels": os.path.join(MNIST, "t10k-labels-idx1-ubyte"),
            },
            "train": {"cache": os.path.join(ROOT, "data", "weights")},
            "weights": weights, "trials": 1, "times_s": [1],
        },
    }


def conv2d(x, w, b, padding):
    """Direct cross-correlation, x: (n, c, h, w), w: (o, c, k, k)."""
    k = w.shape[2]
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # n c H W k k
    return np.einsum("nchwij,ocij->nohw", win, w, optimize=True) + b[None, :, None, None]


def maxpool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def numpy_lenet(images, d):
    load = lambda name: np.load(os.path.join(d, name + ".npy")).astype(np.float64)
    x = images[:, None, :, :] / 255.0
    x = maxpool2(np.maximum(conv2d(x, load("conv2d_0.weight"), load("conv2d_0.bias"), 2), 0))
    x = maxpool2(np.maximum(conv2d(x, load("conv2d_3.weight"), load("conv2d_3.bias"), 0), 0))
    x = x.reshape(len(x), -1)  # C, H, W order, as torch.flatten
    for name, relu in (("linear_7", True), ("linear_9", True), ("linear_11", False)):
        x = x @ load(name + ".weight").T + load(name + ".bias")
        if relu:
            x = np.maximum(x, 0)
    return x


def test_float_accuracy_equals_an_independent_numpy_forward_pass(cli, tmp_path):
    (tmp_path / "c.json").write_text(json.dumps(config()))
    cli("run", tmp_path / "c.json", "-o", tmp_path / "r.json")
    acc = json.loads((tmp_path / "r.json").read_text())["accuracy"]
    images = xbarsim.read_idx(os.path.join(MNIST, "t10k-images-idx3-ubyte"))
    labels = xbarsim.read_idx(os.path.join(MNIST, "t10k-labels-idx1-ubyte"))
    logits = numpy_lenet(images, acc["weights"]["dir"])
    numpy_acc = np.mean(np.argmax(logits, axis=1) == labels)
    assert acc["dataset"]["test_samples"] == len(labels) == 2000
    assert abs(acc["float"] - numpy_acc) <= 1.0 / 2000  # float32 vs float64: one borderline digit
    assert acc["float"] >= 0.97
    # The report's shape: one row per drift time, with every trial.
    assert [r["t_s"] for r in acc["nonideal"]] == [1]
    assert len(acc["nonideal"][0]["trials"]) == 1
    assert acc["energy_pj"]["measured"]["array"] > 0

    # The report plots (accuracy against drift time).
    from xbarsim import plots
    ax = plots.accuracy_vs_time(json.loads((tmp_path / "r.json").read_text()))
    ax.figure.savefig(tmp_path / "acc.png")
    assert (tmp_path / "acc.png").stat().st_size > 1000
    assert len(ax.lines) >= 3  # the nonideal series, float and quantized lines

    # The same weights as a user's own files: same float accuracy, no training.
    own = tmp_path / "own"
    shutil.copytree(acc["weights"]["dir"], own)
    (tmp_path / "c2.json").write_text(json.dumps(config(str(own))))
    cli("run", tmp_path / "c2.json", "-o", tmp_path / "r2.json")
    acc2 = json.loads((tmp_path / "r2.json").read_text())["accuracy"]
    assert acc2["weights"]["source"] == "files"
    assert acc2["float"] == acc["float"]

    # A missing layer file is a one-line input error naming it.
    os.remove(own / "linear_9.weight.npy")
    p = cli("run", tmp_path / "c2.json", check=False)
    assert p.returncode == 2 and "linear_9.weight.npy" in p.stderr


def test_the_sensitivity_report_from_python_and_its_plot(tmp_path):
    cfg = config()
    cfg["adc"]["bits"] = 4
    cfg["evaluation"]["test_samples"] = 100
    r = xbarsim.sensitivity(cfg, effects=["adc"])
    assert [l["name"] for l in r["layers"]] == [
        "conv2d_0", "conv2d_3", "linear_7", "linear_9", "linear_11"]
    assert r["effects"] == ["adc"] and "suggestion" not in r
    # Ideal devices: with every ADC ideal too, the study's "ideal" is the float model
    # through 8-bit weights and DACs, within a digit of float on 100 digits.
    assert abs(r["ideal"]["accuracy"] - r["float"]) <= 0.02
    from xbarsim import plots
    ax = plots.sensitivity(r)
    ax.figure.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 1000
    assert len(ax.patches) == 2 * 5  # two accuracy bars per layer (the shares: the twin axis)
