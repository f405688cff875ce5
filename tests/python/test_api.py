import json

import numpy as np
import pytest

import xbarsim


def small(**over):
    cfg = {"array": {"rows": 16, "cols": 8}, "device": {"preset": "rram_wan"},
           "mapping": {"weight_bits": 8, "bits_per_cell": 4}}
    cfg.update(over)
    return cfg


def test_ideal_vmm_is_the_numpy_product():
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=(16, 8)), rng.random((5, 16))
    xb = xbarsim.Crossbar(small())
    xb.program(w)
    np.testing.assert_allclose(xb.vmm(x, ideal=True), x @ w, rtol=1e-12)
    y = xb.vmm(x)
    assert y.shape == (5, 8)
    # Device and quantization error: close to, not equal to, the product.
    rel = np.linalg.norm(y - x @ w) / np.linalg.norm(x @ w)
    assert 1e-4 < rel < 0.5


def test_single_vector_input_and_shapes():
    xb = xbarsim.Crossbar(small())
    xb.program(np.ones((16, 8)))
    assert xb.vmm(np.ones(16)).shape == (1, 8)
    with pytest.raises(ValueError, match="does not match"):
        xb.vmm(np.ones((2, 15)))
    with pytest.raises(ValueError, match="non-finite"):
        xb.vmm(np.full((1, 16), np.nan))


def test_conductances_and_program_report():
    xb = xbarsim.Crossbar(small())
    xb.program(np.random.default_rng(1).normal(size=(16, 8)))
    g = xb.conductances()
    assert set(g) == {"g_pos_s0", "g_neg_s0", "g_pos_s1", "g_neg_s1"}
    assert all(a.shape == (16, 8) for a in g.values())
    assert all((a >= 0).all() and (a <= 45).all() for a in g.values())
    rep = xb.program_report()
    assert rep["cells"] == 4 * 16 * 8
    assert rep["write_energy_pj"] > 0
    assert set(rep["arrays"]) == set(g)
    assert sum(a["pulses"] for a in rep["arrays"].values()) == rep["pulses"]
    assert xb.config["device"]["impl"] == "rram_wan"


def test_config_errors_are_value_errors_with_the_cli_message(cli, tmp_path):
    bad = {"array": {"rowz": 4}}
    with pytest.raises(ValueError) as err:
        xbarsim.Crossbar(bad)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    proc = cli("config", "check", path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "xbarsim: error: " + str(err.value)
    assert 'did you mean "rows"' in str(err.value)


def test_check_config_schema_and_presets():
    resolved = xbarsim.check_config({"device": {"preset": "pcm_ibm"}})
    assert resolved["device"]["drift_t0_s"] == 20.0
    assert resolved["array"]["rows"] == 256
    schema = xbarsim.schema()
    assert "pcm_ibm" in schema["device"]["variants"]
    presets = xbarsim.presets()
    assert all("source" in p for p in presets.values())


@pytest.mark.parametrize("dtype", ["<f4", "<f8", ">f8", "<i4", "|u1"])
def test_cli_vmm_reads_numpy_files(cli, tmp_path, dtype):
    rng = np.random.default_rng(2)
    w = (rng.normal(size=(6, 3)) * 10).astype(dtype)
    x = (rng.random((4, 6)) * 10).astype(dtype)
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "x.npy", x)
    cfg = tmp_path / "tile.json"
    cfg.write_text(json.dumps({"array": {"rows": 8, "cols": 4}}))
    cli("vmm", "--config", cfg, "-w", tmp_path / "w.npy", "-x", tmp_path / "x.npy",
        "-o", tmp_path / "y.npy", "--ideal", "--dump-conductances", tmp_path / "g.npz")
    y = np.load(tmp_path / "y.npy")
    np.testing.assert_allclose(y, x.astype(float) @ w.astype(float), rtol=1e-12)
    g = np.load(tmp_path / "g.npz")
    assert g["g_pos_s0"].shape == (6, 3)


def test_run_returns_a_report():
    rep = xbarsim.run({"array": {"rows": 32, "cols": 16}, "device": {"preset": "pcm_ibm"},
                       "evaluation": {"batch": 8, "times_s": [0, 86400], "trials": 2}})
    assert [r["t_s"] for r in rep["vmm"]] == [0, 86400]
    assert rep["config"]["evaluation"]["trials"] == 2
    assert len(rep["programming"]) == 2


def test_cli_bench_reports_throughput_and_the_gemm_ratio(cli):
    out = cli("bench", "--seconds", "0.05", "--batch", "4", "--set", "array.rows=16",
              "--set", "array.cols=8").stdout
    rates = {line.split(":")[0].strip(): float(line.split(":")[1].split()[0])
             for line in out.splitlines() if "VMM/s" in line or "ratio" in line}
    assert rates["tile VMM"] > 0 and rates["float GEMM"] > 0
    assert abs(rates["ratio"] - rates["tile VMM"] / rates["float GEMM"]) < 0.01 * rates["ratio"] + 1e-3


def test_periphery_actions_costs_and_calibration(cli, tmp_path):
    rng = np.random.default_rng(4)
    w, x = rng.normal(size=(16, 8)), rng.random((20, 16))
    cfg = small(dac={"impl": "bit_serial", "bits": 6, "signed_drive": "none"},
                adc={"impl": "sar", "bits": 5, "range": "calibrated", "percentile": 99})
    xb = xbarsim.Crossbar(cfg)
    xb.program(w)
    xb.calibrate(x)
    y = xb.vmm(x)
    a = xb.actions()
    # Closed forms: one read cycle per input bit, a conversion per cycle, column and slice.
    assert a["counts"]["read_cycles"] == 20 * 6
    assert a["counts"]["adc_conversions"] == 20 * 6 * 8 * 2  # 8-bit weights on 4-bit cells
    # About 1% clipped: calibration and this read draw different read noise.
    assert 0.002 * 1920 < a["counts"]["adc_clipped"] <= 0.03 * 1920
    assert a["energy_pj"]["total"] == pytest.approx(
        sum(v for k, v in a["energy_pj"].items() if k != "total"))
    c = xb.costs()
    assert a["energy_pj"]["adc"] == pytest.approx(
        a["counts"]["adc_conversions"] * c["adc"]["energy_pj_per_conversion"])
    xb.vmm(x)
    assert xb.actions(total=True)["counts"]["vectors"] == 40
    # The same devices read through an ideal ADC: the 5-bit ADC (and 1% of its
    # conversions clipped) adds a few percent.
    ideal = xbarsim.Crossbar(dict(cfg, adc={"impl": "ideal"}))
    ideal.program(w)
    y_ideal = ideal.vmm(x)
    assert 0.005 < np.linalg.norm(y - y_ideal) / np.linalg.norm(y_ideal) < 0.1
    # The CLI writes the same report.
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "tile.json").write_text(json.dumps(cfg))
    cli("vmm", "--config", tmp_path / "tile.json", "-w", tmp_path / "w.npy", "-x",
        tmp_path / "x.npy", "--calibration", tmp_path / "x.npy", "-o", tmp_path / "y.npy",
        "--report", tmp_path / "r.json")
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["actions"]["counts"] == a["counts"]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), y, rtol=1e-6)
    out = cli("bench", "--seconds", "0.05", "--batch", "4", "--set", "array.rows=16",
              "--set", "array.cols=8", "--set", "dac.impl=bit_serial",
              "--set", "adc.impl=sar").stdout
    assert "energy per VMM" in out and "ADC" in out


def test_run_a_network_reports_ppa(cli, tmp_path):
    cfg = {"array": {"rows": 128, "cols": 128}, "network": "lenet5",
           "dac": {"impl": "bit_serial", "bits": 8, "signed_drive": "none"},
           "adc": {"impl": "sar", "bits": 6, "share_columns": 8}}
    resolved = xbarsim.check_config(cfg)
    assert resolved["chip"]["tiles"] == 64 and resolved["network"]["name"] == "lenet5"
    rep = xbarsim.run(cfg)["ppa"]
    t = rep["totals"]
    assert [l["name"] for l in rep["layers"] if "rows" in l] == [
        "conv2d_0", "conv2d_3", "linear_7", "linear_9", "linear_11"]
    assert t["macs"] < t["macs_padded"]
    assert t["tops_per_w"] == pytest.approx(2 * t["macs"] / t["energy_pj"]["total"])
    assert 0 < t["area_mm2"]["total"] and t["tiles_used"] <= t["tiles"]
    (tmp_path / "run.json").write_text(json.dumps(cfg))
    out = cli("run", tmp_path / "run.json", "-o", tmp_path / "r.json").stdout
    assert "TOPS/W" in out and "conv2d_0" in out
    assert json.loads((tmp_path / "r.json").read_text())["ppa"]["totals"] == t
    # Per-layer hardware: the last layer digital, the layer row says so.
    last = xbarsim.run(dict(cfg, layers={"-1": {"digital": True}}))["ppa"]["layers"][-1]
    assert last["on"] == "digital units" and "arrays" not in last
    assert xbarsim.check_config(dict(cfg, layers={"-1": {"digital": True}}))["layers"] == {
        "linear_11": {"digital": True}}
    with pytest.raises(ValueError, match=r"config layers\.fc3: no matrix layer"):
        xbarsim.run(dict(cfg, layers={"fc3": {"digital": True}}))
    with pytest.raises(ValueError, match="the sensitivity study measures accuracy"):
        xbarsim.sensitivity(cfg)  # no evaluation
    with pytest.raises(ValueError, match='unknown effect "adcc"; did you mean "adc"'):
        xbarsim.sensitivity(cfg, effects=["adcc"])


def test_a_shift_add_slower_than_its_adc_sets_the_conversion_time():
    """shift_add.t_add_ns is pipelined behind the ADC: below the conversion
    time it changes nothing; above it, every conversion slot takes t_add."""
    cfg = {"array": {"rows": 128, "cols": 128}, "network": "lenet5",
           "dac": {"impl": "bit_serial", "bits": 8, "signed_drive": "none"},
           "adc": {"impl": "sar", "bits": 6, "share_columns": 8}}
    t_conv = xbarsim.run(cfg)["ppa"]["layers"][0]
    base = xbarsim.run(dict(cfg, shift_add={"t_add_ns": 0.0}))["ppa"]["layers"][0]
    assert base["latency_ns"] == t_conv["latency_ns"]  # the default 1 ns hides behind the ADC
    slow = xbarsim.run(dict(cfg, shift_add={"t_add_ns": 1000.0}))["ppa"]["layers"][0]
    # 8 bit planes x 8 shared columns per vector, each slot 1000 ns: at least 64 us a vector.
    per_vector = slow["latency_ns"] * slow["replicas"] / slow["vectors"]
    assert per_vector >= 8 * 8 * 1000.0
    assert slow["latency_ns"] > 10 * base["latency_ns"]


def test_analog_layer_splits_like_the_network_and_refuses_bad_inputs():
    """xbarsim.AnalogLayer (the PyTorch bridge's engine) without torch: a
    conv2d on analog tiles equals its numpy im2col product; wrong shapes and
    NaN are one-line InputErrors."""
    rng = np.random.default_rng(5)
    w = rng.normal(size=(6, 2, 3, 3)).astype(np.float32)  # (out, in, kh, kw)
    b = rng.normal(size=6).astype(np.float32)
    x = rng.random((3, 2, 5, 5)).astype(np.float32)
    layer = {"type": "conv2d", "out_channels": 6, "kernel": 3, "padding": 1}
    cfg = {"array": {"rows": 8, "cols": 4}, "mapping": {"weight_bits": 0}}
    a = xbarsim.AnalogLayer(layer, [2, 5, 5], w.reshape(6, -1).T, b, cfg)
    assert a.info["blocks"] == 3 * 2  # 18 rows over 8-row arrays, 6 columns over 4-column ones
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.zeros((3, 6, 5, 5))
    for i in range(5):
        for j in range(5):
            want[:, :, i, j] = np.einsum("ncij,ocij->no", xp[:, :, i:i + 3, j:j + 3], w) + b
    got = a.run(x.reshape(3, -1))
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-5, atol=1e-5)
    assert a.actions()["counts"]["vectors"] == 3 * 25 * 6  # every pixel through every block
    with pytest.raises(xbarsim.InputError, match=r"expected a batch of inputs of shape \(2, 5, 5\)"):
        a.run(x[:, :, :4].reshape(3, -1))
    bad = x.reshape(3, -1).copy()
    bad[1, 3] = np.nan
    with pytest.raises(xbarsim.InputError, match="not finite"):
        a.run(bad)
    with pytest.raises(xbarsim.InputError, match=r"shape \(6, 18\); expected the 18 x 6"):
        xbarsim.AnalogLayer(layer, [2, 5, 5], w.reshape(6, -1), b, cfg)


def test_fit_device_equals_the_cli_and_refuses_bad_data(cli, tmp_path):
    """xbarsim.fit_device gives the preset `device fit` writes; a device's own
    simulated programming and relaxation data (pcm_ibm) fit back to a table
    device whose sigma(G) matches the data's levels, and bad data is an
    InputError with the CLI's message."""
    prog, drift = tmp_path / "prog.csv", tmp_path / "drift.csv"
    cli("device", "program", "--device", "pcm_ibm", "--cells", "300", "-o", prog,
        "--relaxation", drift)
    preset = xbarsim.fit_device(str(prog), model="table", relaxation=str(drift), source="t")
    out = tmp_path / "fit.json"
    cli("device", "fit", prog, "--model", "table", "--relaxation", drift, "--source", "t",
        "-o", out)
    assert json.loads(out.read_text()) == json.loads(json.dumps(preset))
    for level in preset["fit"]["levels"]:
        assert level["cells"] == 300
        assert abs(level["fitted_sigma_us"] - level["sigma_us"]) < 0.25 * level["sigma_us"] + 0.05
    # pcm_ibm drifts: the fitted exponent is positive and the preset builds as a device.
    assert preset["drift_nu_mean"] > 0.01
    xbarsim.check_config({"device": preset})
    bad = tmp_path / "bad.csv"
    bad.write_text("g_target_us,g_us\n10,nan\n")
    with pytest.raises(xbarsim.InputError, match="row 1, column g_us"):
        xbarsim.fit_device(str(bad), model="table")
    proc = cli("device", "fit", bad, "--model", "table", check=False)
    assert proc.returncode == 2 and "row 1, column g_us" in proc.stderr
