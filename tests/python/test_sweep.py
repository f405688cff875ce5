import csv
import json
import os
import signal
import subprocess
import time

import pytest

import xbarsim

# Small single-tile points, each a fraction of a second.
TILE = {"array": {"rows": 96, "cols": 64}, "device": {"preset": "pcm_ibm"},
        "mapping": {"weight_bits": 0}, "read_noise": {"mode": "output_referred"},
        "evaluation": {"batch": 32, "trials": 2, "times_s": [0, 3600]}}


def rows_of(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_one_and_two_threads_give_the_same_table():
    spec = {"base": TILE, "grid": {"seed": [1, 2, 3], "read_noise.mode": ["off", "per_device"]},
            "metrics": ["vmm.1.rel_rms_error.mean", "per_vmm.energy_pj.total"]}
    one = xbarsim.sweep(spec, jobs=1)
    two = xbarsim.sweep(spec, jobs=2)
    assert len(one) == len(two) == 6
    assert [r["point"] for r in one] == list(range(6))
    assert one == two  # bit for bit, whatever the thread count
    assert all(r["status"] == "ok" for r in one)


def test_a_killed_sweep_resumes_without_losing_or_repeating_points(cli, tmp_path):
    exe = os.environ["XBARSIM_CLI"]
    spec = {"base": dict(TILE, array={"rows": 160, "cols": 128}),
            "grid": {"seed": list(range(1, 13))},
            "metrics": ["vmm.0.rel_rms_error.mean"]}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    out = tmp_path / "r.csv"
    # Each point committed alone, so the kill lands between commits.
    proc = subprocess.Popen([exe, "sweep", str(tmp_path / "s.json"), "-o", str(out),
                             "--group-commit", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:  # wait for a few finished rows, then kill -9
        if out.exists() and out.read_text().count("\n") >= 4:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = rows_of(out)
    assert 3 <= len(partial) < 12, "the kill should land mid-sweep"
    cli("sweep", tmp_path / "s.json", "-o", out, "--resume")
    rows = rows_of(out)
    assert sorted(int(r["point"]) for r in rows) == list(range(12))  # none lost, none twice
    clean = tmp_path / "clean.csv"
    cli("sweep", tmp_path / "s.json", "-o", clean, "-j", "2")
    by_point = {r["point"]: r for r in rows_of(clean)}
    for r in rows:
        assert r["vmm.0.rel_rms_error.mean"] == by_point[r["point"]]["vmm.0.rel_rms_error.mean"]
    # Without --resume an existing table is never overwritten.
    p = cli("sweep", tmp_path / "s.json", "-o", out, check=False)
    assert p.returncode == 2 and "--resume" in p.stderr


def test_failing_points_are_recorded_and_bad_specs_refused(cli, tmp_path):
    spec = {"base": TILE, "grid": {"evaluation.times_s": [[0], [-1]]}}
    (tmp_path / "bad.json").write_text(json.dumps(spec))
    # The tile job's evaluation is checked with the config: refused before any work...
    p = cli("sweep", tmp_path / "bad.json", "-o", tmp_path / "r.csv", check=False)
    assert p.returncode == 2 and "sweep point 1" in p.stderr and "times_s[0]" in p.stderr
    assert not (tmp_path / "r.csv").exists()
    # ...or, with --keep-going, recorded as an invalid row while the sweep goes on.
    p = cli("sweep", tmp_path / "bad.json", "-o", tmp_path / "r.csv", "--keep-going")
    rows = rows_of(tmp_path / "r.csv")
    assert [r["status"] for r in rows] == ["ok", "invalid"]
    assert "times_s" in rows[1]["error"]
    for bad, expect in [({"base": TILE, "grid": {"adc.impl": ["sar"], "adc.bits": [6, 99]}},
                         ["sweep point 1", "adc.bits=99", "config adc.bits"]),
                        ({"base": TILE, "zip": {"seed": [1, 2], "array.rows": [8]}},
                         ["zip.array.rows", "equally long"]),
                        ({"base": TILE, "metric": ["x"]}, ["metric", "metrics"])]:
        (tmp_path / "s.json").write_text(json.dumps(bad))
        p = cli("sweep", tmp_path / "s.json", "-o", tmp_path / "x.csv", check=False)
        assert p.returncode == 2, p.stderr
        assert p.stderr.count("\n") == 1 and all(e in p.stderr for e in expect), p.stderr
        assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("name", ["adc_bits", "drift", "wire"])
def test_example_sweeps_expand(name):
    here = os.path.dirname(__file__)
    spec = json.load(open(os.path.join(here, "..", "..", "configs", "sweeps", name + ".json")))
    assert "description" in spec
    rows = xbarsim.sweep(spec if name == "adc_bits" else dict(spec, grid={
        k: v[:1] for k, v in spec["grid"].items()}), base_dir=os.path.join(here, "..", ".."))
    assert rows and all(r["status"] == "ok" for r in rows)


def test_plots_render(cli, tmp_path):
    import numpy as np
    import matplotlib
    matplotlib.use("Agg")
    from xbarsim import plots
    spec = {"base": {"network": "lenet5", "array": {"rows": 64, "cols": 64},
                     "dac": {"impl": "bit_serial", "bits": 8, "signed_drive": "none"},
                     "adc": {"impl": "sar", "bits": 6}, "chip": {"tiles": 256}},
            "grid": {"adc.bits": [4, 6, 8], "array.rows": [64, 128]}}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    cli("sweep", tmp_path / "s.json", "-o", tmp_path / "r.csv")
    out = tmp_path / "line.png"
    subprocess.run(["/usr/bin/python3", "-m", "xbarsim.plot", str(tmp_path / "r.csv"), "--x",
                    "adc.bits", "--y", "ppa.totals.tops_per_w", "--group", "array.rows", "-o",
                    str(out)], check=True, env=dict(os.environ, MPLBACKEND="Agg"))
    assert out.stat().st_size > 5000 and out.read_bytes()[:4] == b"\x89PNG"
    bad = subprocess.run(["/usr/bin/python3", "-m", "xbarsim.plot", str(tmp_path / "r.csv"),
                          "--x", "adc.bitz", "--y", "ppa.totals.tops", "-o", str(out)],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "adc.bitz" in bad.stderr
    rows = plots.load_rows(tmp_path / "r.csv")
    report = xbarsim.run(dict(spec["base"]))
    xb = xbarsim.Crossbar({"array": {"rows": 16, "cols": 8}, "device": {"preset": "pcm_ibm"}})
    xb.program(np.random.default_rng(0).normal(size=(16, 8)))
    g = np.random.default_rng(1).uniform(1e-6, 4e-5, size=(16, 16))
    nodes = xbarsim.solve_circuit(g, np.full((1, 16), 0.2), {"array": {"rows": 16, "cols": 16}},
                                  solver="exact", nodes=True)
    for name, draw in [("pareto", lambda: plots.pareto(rows, "ppa.totals.tops_per_w",
                                                       "ppa.totals.tops")),
                       ("energy", lambda: plots.energy_breakdown(report)),
                       ("area", lambda: plots.area_breakdown(report)),
                       ("irdrop", lambda: plots.ir_drop_map(nodes)),
                       ("hist", lambda: plots.conductance_histogram(xb.conductances()))]:
        path = tmp_path / f"{name}.png"
        draw().figure.savefig(path)
        assert path.stat().st_size > 3000


# Tile-demo points of about 0.4 s, so a kill lands mid-sweep.
SLOW_TILE = dict(TILE, array={"rows": 512, "cols": 256},
                 evaluation={"batch": 256, "trials": 4, "times_s": [0, 3600]})


def jsonl_points(path):
    with open(path) as f:
        return [json.loads(line)["point"] for line in f]  # every line whole JSON


def test_a_killed_sweep_with_twins_and_reports_resumes_each_point_once(cli, tmp_path):
    exe = os.environ["XBARSIM_CLI"]
    spec = {"base": SLOW_TILE, "grid": {"seed": [1, 1, 2, 2, 3, 3]},
            "metrics": ["vmm.1.rel_rms_error.mean"]}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    out, reports = tmp_path / "r.csv", tmp_path / "r.jsonl"
    args = ["sweep", str(tmp_path / "s.json"), "-o", str(out), "--jsonl", str(reports)]
    proc = subprocess.Popen([exe, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait for a finished row, then kill -9
        if out.exists() and out.read_text().count("\n") >= 2:
            break
        time.sleep(0.01)
    # While it runs, a second writer of the table is refused at once.
    started = time.time()
    second = cli(*args, "--resume", check=False)
    assert second.returncode == 2 and time.time() - started < 5
    assert second.stderr == f"xbarsim: error: sweep: another xbarsim sweep is writing {out}\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = rows_of(out)
    assert 1 <= len(partial) < 6, "the kill should land mid-sweep"
    cli(*args, "--resume")
    rows = rows_of(out)
    assert sorted(int(r["point"]) for r in rows) == list(range(6))  # none lost, none twice
    assert sorted(jsonl_points(reports)) == list(range(6))
    hashes = [r["hash"] for r in sorted(rows, key=lambda r: int(r["point"]))]
    assert hashes[0::2] == hashes[1::2]  # twins share their config hash, both are kept
    by_point = {r["point"]: r for r in rows}
    for a, b in [("0", "1"), ("2", "3"), ("4", "5")]:
        assert by_point[a]["vmm.1.rel_rms_error.mean"] == by_point[b]["vmm.1.rel_rms_error.mean"]
    # Nothing is left to run, and both files stay as they are.
    before = out.read_bytes(), reports.read_bytes()
    p = cli(*args, "--resume")
    assert "0 run now" in p.stdout and (out.read_bytes(), reports.read_bytes()) == before


def test_keep_going_records_invalid_points(cli, tmp_path):
    spec = {"base": TILE, "grid": {"adc.impl": ["sar"], "adc.bits": [6, 99]},
            "metrics": ["vmm.0.rel_rms_error.mean"]}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    p = cli("sweep", tmp_path / "s.json", "-o", tmp_path / "r.csv", "--keep-going")
    rows = rows_of(tmp_path / "r.csv")
    assert [r["status"] for r in rows] == ["ok", "invalid"]
    assert rows[1]["error"].startswith("sweep point 1 (adc.impl=sar, adc.bits=99): config adc.bits")
    assert rows[1]["vmm.0.rel_rms_error.mean"] == "" and "1 failed" in p.stdout


def test_output_paths_and_metrics_are_checked_before_any_file(cli, tmp_path):
    spec = {"base": TILE, "grid": {"seed": [1]}, "metrics": ["vmm.0.rel_rms_error.mean"]}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    out = tmp_path / "r.csv"
    p = cli("sweep", tmp_path / "s.json", "-o", out, "--jsonl", tmp_path / "no" / "r.jsonl",
            check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--jsonl" in p.stderr, p.stderr
    assert not out.exists()  # no header-only table to block the next run
    cli("sweep", tmp_path / "s.json", "-o", out)
    # A metric the job's report can never hold is refused, naming the valid keys...
    (tmp_path / "m.json").write_text(json.dumps(dict(spec, metrics=["ppa.totals.tops_per_w"])))
    p = cli("sweep", tmp_path / "m.json", "-o", tmp_path / "m.csv", check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert "ppa.totals.tops_per_w" in p.stderr and "per_vmm" in p.stderr
    assert not (tmp_path / "m.csv").exists()
    # ...and one missing from a report fails its point.
    (tmp_path / "m.json").write_text(json.dumps(dict(spec, metrics=["vmm.5.t_s"])))
    cli("sweep", tmp_path / "m.json", "-o", tmp_path / "m.csv")
    (row,) = rows_of(tmp_path / "m.csv")
    assert row["status"] == "failed" and row["error"] == "metric vmm.5.t_s is not in the report"
