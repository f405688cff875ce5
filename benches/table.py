#!/usr/bin/python3
"""Runs bench_vmm and prints each tile case as VMM/s and as a ratio to the
Eigen GEMM of the same shape measured in the same run.

Usage: /usr/bin/python3 benches/table.py [build/benches/bench_vmm] [--benchmark_filter=...]
       [--benchmark_repetitions=5 --benchmark_enable_random_interleaving=true]
"""
import json
import subprocess
import sys


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else \
        "build/benches/bench_vmm"
    extra = [a for a in sys.argv[1:] if a.startswith("--")]
    out = subprocess.run([exe, "--benchmark_format=json", "--benchmark_min_time=0.2", *extra],
                         capture_output=True, text=True, check=True).stdout
    rows = {}
    benches = json.loads(out)["benchmarks"]
    # With --benchmark_repetitions, the medians (machine speed drifts; pair with
    # --benchmark_enable_random_interleaving=true so drift hits every case alike).
    if any(b.get("run_type") == "aggregate" for b in benches):
        benches = [b for b in benches if b.get("aggregate_name") == "median"]
    for b in benches:
        parts = b["name"].split("/")
        if len(parts) < 3 or "items_per_second" not in b:
            continue
        rows.setdefault((int(parts[1]), int(parts[2])), {})[parts[0][3:]] = b["items_per_second"]
    cases = sorted({c for r in rows.values() for c in r if c != "EigenGemm"})
    print("| size | batch | GEMM VMM/s | " + " | ".join(f"{c} (× GEMM)" for c in cases) + " |")
    print("|---" * (3 + len(cases)) + "|")
    for (n, batch), r in sorted(rows.items()):
        gemm = r.get("EigenGemm")
        cells = [f"{r[c]:,.0f} ({r[c] / gemm:.2f})" if c in r and gemm else "—" for c in cases]
        print(f"| {n} | {batch} | {gemm:,.0f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
