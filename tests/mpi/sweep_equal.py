"""An MPI sweep (mpirun -n 2) writes the same rows and reports as a single process,
failed points included, and refuses a bad table in one line."""
import json
import os
import subprocess
import sys
import tempfile

mpirun, exe = sys.argv[1], sys.argv[2]
MPI = [mpirun, "-n", "2", "--allow-run-as-root", "--oversubscribe", exe]
tile = {"base": {"array": {"rows": 64, "cols": 48}, "device": {"preset": "pcm_ibm"},
                 "mapping": {"weight_bits": 0}, "read_noise": {"mode": "output_referred"},
                 "evaluation": {"batch": 16, "trials": 2, "times_s": [0, 86400]}},
        "grid": {"seed": [1, 2, 3, 4, 5], "drift_compensation": ["none", "global"]},
        "metrics": ["vmm.1.rel_rms_error.mean", "vmm.1.output_gain.mean"]}
# A published figure so small (denormal) that the simulated/measured ratio is inf:
# the job refuses a report with a non-finite number, so every point is an error
# row, and the failed rows must travel between ranks unchanged. (Non-finite
# metric cells themselves are covered by the C++ test "rows keep their
# non-finite metrics through the MPI transport".)
network = {"base": {"network": "lenet5", "chip": {"tiles": 256},
                    "measured": {"tops_per_w": 1e-320}},
           "grid": {"seed": [1, 2, 3]},
           "metrics": ["measured.tops_per_w.ratio", "ppa.totals.tops_per_w"]}


def lines(path):
    with open(path) as f:
        return f.read().splitlines()


with tempfile.TemporaryDirectory() as d:
    for name, spec, n in [("tile", tile, 10), ("network", network, 3)]:
        path = os.path.join(d, name + ".json")
        with open(path, "w") as f:
            json.dump(spec, f)
        out = {k: (os.path.join(d, f"{name}_{k}.csv"), os.path.join(d, f"{name}_{k}.jsonl"))
               for k in ("one", "mpi")}
        subprocess.run([exe, "sweep", path, "-o", out["one"][0], "--jsonl", out["one"][1]],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(MPI + ["sweep", path, "-o", out["mpi"][0], "--jsonl", out["mpi"][1]],
                       check=True, stdout=subprocess.DEVNULL)
        one, mpi = lines(out["one"][0]), lines(out["mpi"][0])
        assert one[0] == mpi[0], "headers differ"
        assert len(one) == n + 1 and sorted(one[1:]) == sorted(mpi[1:]), (one, mpi)
        assert sorted(lines(out["one"][1])) == sorted(lines(out["mpi"][1])), "reports differ"
        if name == "network":
            assert all(",error," in row and "not finite" in row for row in mpi[1:]), mpi
    # A table that already has results: one error line from rank 0, exit code 2.
    p = subprocess.run(MPI + ["sweep", os.path.join(d, "network.json"), "-o",
                              os.path.join(d, "network_mpi.csv")], capture_output=True, text=True)
    errors = [l for l in p.stderr.splitlines() if l.startswith("xbarsim: error:")]
    assert p.returncode == 2 and len(errors) == 1 and "--resume" in errors[0], p.stderr
print("MPI sweep with 2 ranks equals the single-process table and reports, bit for bit")
