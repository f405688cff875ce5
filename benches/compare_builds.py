#!/usr/bin/env python3
"""Speed of two builds of xbarsim, interleaved on the same machine: each round
runs every benchmark of the list with the first build, then with the second,
so drift of the machine's load hits both alike. Prints the median real time
of each benchmark per build and the ratio new/old.

Usage: benches/compare_builds.py OLD_BUILD_DIR NEW_BUILD_DIR [--rounds 3] [--benches bench_inference]
(e.g. a build of the commit before a refactor, and one of it)."""
import argparse
import json
import os
import statistics
import subprocess
import sys

BENCHES = [
    ("bench_vmm", "BM_EigenGemm/256/64/|BM_TileIdeal/256/64/|BM_TileOutputReferred/256/64/|"
                  "BM_TilePerDevice/256/64/|BM_TilePipeline/256/64/|BM_CircuitSetup"),
    ("bench_ppa", "."),
    ("bench_inference", "BM_Lenet5Float|BM_Lenet5TilesNoCircuit"),
]


def run(build, bench, pattern):
    exe = os.path.join(build, "benches", bench)
    out = subprocess.run([exe, "--benchmark_filter=" + pattern, "--benchmark_format=json",
                          "--benchmark_min_time=0.3"], check=True, capture_output=True,
                         text=True).stdout
    return {b["name"]: b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
            for b in json.loads(out)["benchmarks"]}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--benches", default=",".join(b for b, _ in BENCHES),
                    help="comma-separated subset of " + ", ".join(b for b, _ in BENCHES))
    args = ap.parse_args(argv)
    times = {"old": {}, "new": {}}
    for r in range(args.rounds):
        for which, build in (("old", args.old), ("new", args.new)):
            for bench, pattern in [b for b in BENCHES if b[0] in args.benches.split(",")]:
                for name, t in run(build, bench, pattern).items():
                    times[which].setdefault(name, []).append(t)
        print("round %d of %d done" % (r + 1, args.rounds), file=sys.stderr)
    print("| benchmark | old (s) | new (s) | new / old |")
    print("|---|---|---|---|")
    for name in times["old"]:
        o = statistics.median(times["old"][name])
        n = statistics.median(times["new"].get(name, [float("nan")]))
        print("| %s | %.4g | %.4g | %.3f |" % (name, o, n, n / o))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
