"""What the in-situ benches share: one `xbarsim train` run, and the ending
(the JSON dump, the failed checks and the exit code)."""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(here, "..")
CLI = os.path.join(ROOT, "build", "core", "cli", "xbarsim")


def train(config, sets, out):
    """`xbarsim train CONFIG --set ...` into out; returns its in_situ report."""
    cmd = [CLI, "train", config, *sum((["--set", s] for s in sets), []), "-o", out, "-q"]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    with open(out) as f:
        return json.load(f)["in_situ"]


def finish(rows, fails, json_path):
    """Writes rows to json_path (if given), prints the failures, exits 1 on any."""
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(rows, fh)
    for msg in fails:
        print("FAIL:", msg)
    sys.exit(1 if fails else 0)
