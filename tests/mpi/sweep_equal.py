"""An MPI sweep (mpirun -n 2) writes the same rows as a single process."""
import json
import os
import subprocess
import sys
import tempfile

mpirun, exe = sys.argv[1], sys.argv[2]
spec = {"base": {"array": {"rows": 64, "cols": 48}, "device": {"preset": "pcm_ibm"},
                 "mapping": {"weight_bits": 0}, "read_noise": {"mode": "output_referred"},
                 "evaluation": {"batch": 16, "trials": 2, "times_s": [0, 86400]}},
        "grid": {"seed": [1, 2, 3, 4, 5], "drift_compensation": ["none", "global"]},
        "metrics": ["vmm.1.rel_rms_error.mean", "vmm.1.output_gain.mean"]}
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "s.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    subprocess.run([exe, "sweep", path, "-o", os.path.join(d, "one.csv")], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([mpirun, "-n", "2", "--allow-run-as-root", "--oversubscribe", exe, "sweep",
                    path, "-o", os.path.join(d, "mpi.csv")], check=True, stdout=subprocess.DEVNULL)
    one = open(os.path.join(d, "one.csv")).read().splitlines()
    mpi = open(os.path.join(d, "mpi.csv")).read().splitlines()
    assert one[0] == mpi[0], "headers differ"
    assert len(one) == 11 and sorted(one[1:]) == sorted(mpi[1:]), (one, mpi)
print("MPI sweep with 2 ranks equals the single-process table, bit for bit")
