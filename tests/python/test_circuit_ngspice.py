"""The circuit solvers against ngspice on the same netlist (docs/circuit.md convention)."""
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

import xbarsim

NGSPICE = shutil.which("ngspice")
pytestmark = pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed (./test installs it)")


def spice_currents(deck_path, cols):
    out = subprocess.run([NGSPICE, "-b", str(deck_path)], capture_output=True, text=True,
                         timeout=600).stdout
    found = {int(j): float(v) for j, v in re.findall(r"i\(vout(\d+)\)\s*=\s*(\S+)", out)}
    assert len(found) == cols, out[-2000:]
    return np.array([found[j] for j in range(cols)])


def random_case(rng, rows, cols, one_t_one_r, nonlinear):
    g = rng.uniform(1e-6, 1e-4, (rows, cols))
    g[rng.random((rows, cols)) < 0.05] = 0.0  # some open cells
    v = rng.uniform(-0.3, 0.3, (1, rows))
    array = {"rows": rows, "cols": cols, "cell": "1T1R" if one_t_one_r else "1R",
             "r_access_ohm": float(rng.uniform(1e3, 1e4)),
             "r_source_ohm": float(rng.choice([0.0, rng.uniform(1, 50)])),
             "r_sink_ohm": float(rng.choice([0.0, rng.uniform(1, 50)])),
             "r_wire_row_ohm": float(rng.uniform(0.2, 5)),
             "r_wire_col_ohm": float(rng.uniform(0.2, 5))}
    device = {"impl": "ideal", "g_min_us": 0.0, "g_max_us": 200.0,
              "iv_v0_v": 0.25 if nonlinear else 0.0}
    return g, v, {"array": array, "device": device, "solver": {"impl": "exact"}}


def write_case_and_spice(cli, tmp_path, g, v, cfg):
    """Writes g.npy, v.npy and c.json into tmp_path; ngspice's column currents for them."""
    np.save(tmp_path / "g.npy", g)
    np.save(tmp_path / "v.npy", v)
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    cli("netlist", "-c", tmp_path / "c.json", "-g", tmp_path / "g.npy", "-v", tmp_path / "v.npy",
        "-o", tmp_path / "deck.cir")
    return spice_currents(tmp_path / "deck.cir", g.shape[1])


CASES = [(1, 1), (1, 7), (5, 1), (4, 4), (9, 13), (16, 16), (32, 32)]


@pytest.mark.parametrize("nonlinear", [False, True])
@pytest.mark.parametrize("one_t_one_r", [False, True])
@pytest.mark.parametrize("shape", CASES)
def test_exact_and_fast_agree_with_ngspice(cli, tmp_path, shape, one_t_one_r, nonlinear):
    rows, cols = shape
    seed = rows * 1000 + cols * 10 + 2 * one_t_one_r + nonlinear
    g, v, cfg = random_case(np.random.default_rng(seed), rows, cols, one_t_one_r, nonlinear)
    ref = write_case_and_spice(cli, tmp_path, g, v, cfg)
    scale = np.abs(ref).max()
    for solver, tol in (("exact", 1e-9), ("fast", 1e-6)):
        cli("circuit", "-c", tmp_path / "c.json", "-g", tmp_path / "g.npy", "-v",
            tmp_path / "v.npy", "--solver", solver, "-o", tmp_path / f"i_{solver}.npy")
        got = np.load(tmp_path / f"i_{solver}.npy")[0]
        err = np.abs(got - ref).max() / scale
        assert err <= tol, f"{solver}: relative error {err:.3g} against ngspice"


def test_python_solve_circuit_matches_the_cli_and_returns_nodes(cli, tmp_path):
    g, v, cfg = random_case(np.random.default_rng(5), 6, 4, True, False)
    v = np.vstack([v, 0.5 * v])
    res = xbarsim.solve_circuit(g, v, cfg, solver="exact", nodes=True)
    assert res["currents"].shape == (2, 4)
    assert res["v_row"].shape == (2, 6, 4)
    np.testing.assert_allclose(res["currents"][1], 0.5 * res["currents"][0], rtol=1e-12)
    ideal = xbarsim.solve_circuit(g, v, cfg, solver="ideal")
    np.testing.assert_allclose(ideal, v @ g, rtol=1e-12)
    with pytest.raises(ValueError, match="finite"):
        xbarsim.solve_circuit(np.full((2, 2), np.nan), np.ones((1, 2)), cfg)


@pytest.mark.parametrize("shape", [(1, 1), (9, 13), (32, 32)])
def test_effective_matrix_agrees_with_ngspice(cli, tmp_path, shape):
    """T from nested dissection, applied to one input, against ngspice's operating point."""
    rows, cols = shape
    g, v, cfg = random_case(np.random.default_rng(77 + rows), rows, cols, True, False)
    t = xbarsim.effective_conductances(g, cfg)
    assert t.shape == (rows, cols)
    ref = write_case_and_spice(cli, tmp_path, g, v, cfg)
    err = np.abs(v[0] @ t - ref).max() / np.abs(ref).max()
    assert err <= 1e-9, f"relative error {err:.3g} against ngspice"
    if rows > 1:  # the wires matter here, so the check can tell
        assert np.abs(v[0] @ g - ref).max() / np.abs(ref).max() > 1e-4
    cli("circuit", "-c", tmp_path / "c.json", "-g", tmp_path / "g.npy", "--effective",
        "-o", tmp_path / "t.npy")
    np.testing.assert_allclose(np.load(tmp_path / "t.npy"), t, rtol=1e-12, atol=0)
    bad = cli("circuit", "-c", tmp_path / "c.json", "-g", tmp_path / "g.npy", "--effective",
              "-v", tmp_path / "v.npy", check=False)
    assert bad.returncode == 2 and "--effective takes no --voltages" in bad.stderr
    missing = cli("circuit", "-c", tmp_path / "c.json", "-g", tmp_path / "g.npy", check=False)
    assert missing.returncode == 2 and "--voltages is required" in missing.stderr
    nonlinear = json.loads(json.dumps(cfg))
    nonlinear["device"]["iv_v0_v"] = 0.25
    with pytest.raises(ValueError, match="nonlinear"):
        xbarsim.effective_conductances(g, nonlinear)
