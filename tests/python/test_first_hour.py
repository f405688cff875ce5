"""What a newcomer meets first: versions and the install, refusals the CLI makes
too, warnings for settings that do nothing, a Crossbar shared between threads,
and breakdowns that add up."""
import json
import os
import pathlib
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import xbarsim


def small():
    return {"array": {"rows": 16, "cols": 8}, "device": {"preset": "rram_wan"},
            "mapping": {"weight_bits": 8, "bits_per_cell": 4}}


def test_version_and_exceptions_are_exported(cli):
    assert xbarsim.__version__.count(".") == 2
    assert cli("--version").stdout.strip() == "xbarsim " + xbarsim.__version__
    assert issubclass(xbarsim.ConfigError, ValueError)
    assert issubclass(xbarsim.InputError, ValueError)


def test_cmake_install_puts_the_cli_and_the_package_where_debian_finds_them(tmp_path):
    build = pathlib.Path(os.environ["XBARSIM_CLI"]).resolve().parents[2]
    subprocess.run(["cmake", "--install", str(build), "--prefix", str(tmp_path)], check=True,
                   capture_output=True)
    out = subprocess.run([str(tmp_path / "bin" / "xbarsim"), "--version"], check=True,
                         capture_output=True, text=True).stdout
    assert out.startswith("xbarsim ")
    site = tmp_path / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / \
        "dist-packages"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    code = "import xbarsim, numpy; print(xbarsim.__file__, xbarsim.__version__)"
    out = subprocess.run(["/usr/bin/python3", "-c", code], check=True, capture_output=True,
                         text=True, env=env, cwd=tmp_path).stdout
    assert str(site) in out


@pytest.mark.parametrize("bad", [np.zeros((16, 8), complex), np.full((16, 8), "a"),
                                 np.zeros((16, 8), "datetime64[s]")])
def test_non_numeric_arrays_are_refused_not_coerced(bad):
    xb = xbarsim.Crossbar(small())
    with pytest.raises(ValueError, match="not a real number type"):
        xb.program(bad)


def test_time_must_be_finite_and_conductances_must_fit():
    xb = xbarsim.Crossbar(small())
    xb.program(np.ones((16, 8)))
    for t in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError, match="t_s"):
            xb.conductances(t_s=t)
        with pytest.raises(ValueError, match="t_s"):
            xb.vmm(np.ones((2, 16)), t_s=t)
    with pytest.raises(ValueError, match="does not fit the 4 x 4 array"):
        xbarsim.solve_circuit(np.full((5, 4), 1e-5), np.ones((1, 5)),
                              {"array": {"rows": 4, "cols": 4}})


def test_values_beyond_float32_are_refused():
    xb = xbarsim.Crossbar(small())
    w = np.ones((16, 8))
    w[3, 2] = 1e300
    with pytest.raises(ValueError, match=r"weights: value 1e\+300 at \[3, 2\]"):
        xb.program(w)


def test_inert_wires_and_siemens_in_a_microsiemens_key_warn():
    cfg = small()
    cfg["array"]["r_wire_row_ohm"] = 2.0
    cfg["device"].update({"g_min_us": 0.0, "g_max_us": 4e-5})
    with pytest.warns(UserWarning) as record:
        xbarsim.Crossbar(cfg)
    text = " ".join(str(w.message) for w in record)
    assert "array.r_wire_row_ohm" in text and 'solver.impl "ideal"' in text
    assert "device.g_max_us" in text and "microsiemens" in text
    with pytest.warns(UserWarning, match="conductances are in siemens"):
        xbarsim.solve_circuit(np.full((4, 4), 20.0), np.ones((1, 4)),
                              {"array": {"rows": 4, "cols": 4}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the defaults warn about nothing
        xbarsim.Crossbar(small())


def test_errors_cut_inside_a_utf8_sequence_keep_their_text():
    with pytest.raises(ValueError) as e:
        xbarsim.Crossbar({"array": {"cell": "1T1R\udcff"[:4] + "é" * 200}})
    assert "array.cell" in str(e.value)


def test_one_crossbar_shared_by_threads_runs_one_call_at_a_time():
    # Before each object had its lock, program() in one thread and vmm() in
    # another touched the same tile with the GIL released and crashed.
    xb = xbarsim.Crossbar({"array": {"rows": 64, "cols": 64}, "device": {"preset": "rram_wan"},
                           "read_noise": {"mode": "per_device"}})
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(64, 64))
    xb.program(w0)
    x = rng.random((32, 64))
    errors, outs = [], []

    def writer():
        try:
            for k in range(30):
                xb.program(w0 * (1 + 0.01 * k))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader():
        try:
            for _ in range(30):
                outs.append(xb.vmm(x, t_s=1.0))
                xb.conductances(t_s=1.0)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (writer, reader, reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(outs) == 60 and all(o.shape == (32, 64) and np.isfinite(o).all() for o in outs)


def test_the_energy_breakdown_adds_up_to_the_total():
    from xbarsim import plots
    report = xbarsim.run({"network": "lenet5", "chip": {"tiles": 8}})
    ax = plots.energy_breakdown(report)
    heights = sum(p.get_height() for p in ax.patches)
    total = report["ppa"]["totals"]["energy_pj"]["total"] * 1e-3
    assert heights == pytest.approx(total, rel=1e-9)
    assert report["warnings"] == []


def test_switching_impl_by_override_takes_the_new_variants_defaults(cli, tmp_path):
    cfg = tmp_path / "tile.json"
    cfg.write_text('{"array": {"rows": 8, "cols": 8, "r_wire_row_ohm": 1, "r_wire_col_ohm": 1},'
                   ' "solver": {"impl": "fast", "tolerance": 1e-6},'
                   ' "adc": {"impl": "sar", "bits": 6, "percentile": 99.9}}')
    out = cli("config", "check", cfg, "--set", "solver.impl=exact", "--set", "adc.impl=flash")
    resolved = json.loads(out.stdout)
    assert resolved["solver"]["impl"] == "exact" and "tolerance" not in resolved["solver"]
    assert resolved["adc"]["impl"] == "flash"
    assert resolved["adc"]["percentile"] == 99.9  # shared by sar and flash: kept
    bad = cli("config", "check", cfg, "--set", "adc.impl=ideal", "--set", "adc.bits=4",
              check=False)
    assert bad.returncode == 2 and 'not a key of adc impl "ideal"' in bad.stderr


def test_oversize_work_is_refused_with_its_memory_before_allocating(cli, tmp_path):
    cfg = tmp_path / "big.json"
    cfg.write_text('{"array": {"rows": 8192, "cols": 8192},'
                   ' "mapping": {"weight_bits": 16, "bits_per_cell": 1}}')
    # Each command in a fresh wrapper, so its children's peak RSS is its own.
    wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], "
               "capture_output=True, text=True); print(p.returncode, "
               "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
               "print(p.stderr, file=sys.stderr)")
    for cmd in (["config", "check"], ["run"]):
        p = subprocess.run(["/usr/bin/python3", "-c", wrapper, os.environ["XBARSIM_CLI"], *cmd,
                            str(cfg)], capture_output=True, text=True)
        code, peak_kb = map(int, p.stdout.split())
        assert code == 2 and "GB of memory; this machine has" in p.stderr
        assert peak_kb < 200_000  # refused before the ~180 GB it would need
    big = tmp_path / "grid.json"
    big.write_text('{"base": {}, "grid": {"seed": ' + str(list(range(1000))) +
                   ', "array.rows": ' + str(list(range(1, 1001))) +
                   ', "array.cols": ' + str(list(range(1, 1001))) + '}}')
    p = cli("sweep", big, "-o", tmp_path / "t.csv", check=False)
    assert p.returncode == 2 and "a sweep may have at most" in p.stderr
