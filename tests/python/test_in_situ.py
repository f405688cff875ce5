"""In-situ training (`xbarsim train`, xbarsim.train_in_situ) end to end on
MLP_NeuroSim's benchmark, reduced: the report's breakdowns add up, the run is
identical for any thread count, bad in_situ nodes exit 2 naming the path,
and the plots draw."""
import json
import os
import subprocess

import pytest

import xbarsim

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG = os.path.join(ROOT, "configs", "in_situ", "neurosim_mlp.json")
MNIST = os.path.join(ROOT, "data", "mnist")


def reduced(**in_situ):
    if not os.path.exists(os.path.join(MNIST, "t10k-images-idx3-ubyte")):
        pytest.fail("data/mnist is missing: ./test fetches it (scripts/get_mnist.sh)")
    with open(CONFIG) as f:
        c = json.load(f)
    d = {k: os.path.join(MNIST, v) for k, v in
         {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
          "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}.items()}
    c["evaluation"]["dataset"].update(d)
    c["evaluation"]["test_samples"] = 300
    c["in_situ"].update({"epochs": 2, "samples_per_epoch": 600, **in_situ})
    return c


def test_report_adds_up_and_learns():
    r = xbarsim.train_in_situ(reduced())
    s = r["in_situ"]
    assert len(s["epochs"]) == 2
    assert s["final_test_accuracy"] > 0.3  # 10 classes: chance is 0.1
    t = s["totals"]
    for key in ("write_energy_pj", "write_latency_ns"):
        assert sum(e[key] for e in s["epochs"]) == pytest.approx(t[key], rel=1e-9)
        assert sum(layer[key] for layer in s["layers"]) == pytest.approx(t[key], rel=1e-9)
    assert t["half_select_energy_pj"] == 0  # 1T1R
    assert t["set_energy_pj"] + t["reset_energy_pj"] == pytest.approx(t["write_energy_pj"])
    assert sum(e["pulses"] for e in s["epochs"]) == pytest.approx(
        t["set_pulses"] + t["reset_pulses"])
    for layer in s["layers"]:
        p = layer["pulses_per_device"]
        assert 0 < p["mean"] <= p["max"]
        assert p["mean"] * layer["devices"] == pytest.approx(
            layer["set_pulses"] + layer["reset_pulses"])
    # Ag:a-Si: each pulse costs V²·G·t with G inside the 0.0031-0.0385 µS window.
    lo, hi = 2.8 ** 2 * 0.0030769e-6 * 300e-6 * 1e12, 3.2 ** 2 * 0.038462e-6 * 300e-6 * 1e12
    pulses = t["set_pulses"] + t["reset_pulses"]
    assert lo * pulses <= t["write_energy_pj"] <= hi * pulses
    traj = s["trajectories"]["linear_1"]
    assert len(traj) == 4 and len(traj[0]["g_us"]) == 3


def test_chip_cost_counts_every_read_and_adds_up():
    """The run on the chip: each layer's reads are the vectors the trainer
    read (the first layer's input gradient never read), priced at the
    architecture estimate's energy per vector with one copy of each weight,
    and the breakdown adds up."""
    c = reduced()
    r = xbarsim.train_in_situ(c)
    s, chip = r["in_situ"], r["chip"]
    images = 600 * 2
    ppa = xbarsim.run({**c, "evaluation": None, "chip": {"replication": "none"}})["ppa"]
    rows = {row["name"]: row for row in ppa["layers"]}
    for k, (layer, cost) in enumerate(zip(s["layers"], chip["layers"])):
        reads = layer["reads"]
        assert reads["train_vectors"] == images
        assert reads["test_vectors"] == 300 * 2
        assert reads["transposed_vectors"] == (0 if k == 0 else images)
        row = rows[layer["name"]]
        assert cost["forward_pj_per_vector"] == pytest.approx(
            row["energy_pj"]["total"] / row["vectors"], rel=1e-12)
        assert cost["read_energy_pj"]["forward"] == pytest.approx(
            cost["forward_pj_per_vector"] * images, rel=1e-12)
        assert cost["transposed_pj_per_vector"] > 0
    e = chip["energy_pj"]
    parts = [e["forward_reads"]["total"], e["transposed_reads"]["total"],
             e["one_hot_reads"]["total"], e["writes"]]
    assert e["training"] == pytest.approx(sum(parts), rel=1e-12)
    assert e["writes"] == pytest.approx(s["totals"]["write_energy_pj"], rel=1e-12)
    assert e["total"] == pytest.approx(e["training"] + e["test_reads"]["total"], rel=1e-12)
    for part in ("forward_reads", "transposed_reads", "test_reads"):
        comp = {k: v for k, v in e[part].items() if k != "total"}
        assert sum(comp.values()) == pytest.approx(e[part]["total"], rel=1e-9)
    t = chip["time_s"]
    assert t["training"] == pytest.approx(t["reads"] + t["writes"], rel=1e-12)
    assert t["writes"] == pytest.approx(s["totals"]["write_latency_ns"] * 1e-9, rel=1e-12)
    assert chip["per_training_image"]["energy_pj"] == pytest.approx(e["training"] / images)


def test_half_selected_cells_of_a_1r_array_are_charged():
    """array.cell "1R": the V/2 scheme's half-selected cells cost energy on
    top of the pulses (1T1R: none), and the write energy still adds up."""
    one_t = xbarsim.train_in_situ(reduced())["in_situ"]["totals"]
    c = reduced()
    c["array"] = {"cell": "1R"}
    t = xbarsim.train_in_situ(c)["in_situ"]["totals"]
    assert one_t["half_select_energy_pj"] == 0
    assert t["half_select_energy_pj"] > 0
    # The same pulses (the cell does not change the training), more energy.
    assert t["set_pulses"] == one_t["set_pulses"]
    assert t["set_energy_pj"] == pytest.approx(one_t["set_energy_pj"], rel=1e-12)
    assert t["write_energy_pj"] == pytest.approx(
        t["set_energy_pj"] + t["reset_energy_pj"] + t["half_select_energy_pj"], rel=1e-12)


def test_identical_for_any_thread_count(cli, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(reduced(scheme="stochastic", update={"preset": "aihwkit_ecram"},
                                       loss="mse")))
    out = []
    for threads in ("1", "2"):
        o = tmp_path / f"r{threads}.json"
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        subprocess.run([os.environ["XBARSIM_CLI"], "train", str(path), "-o", str(o), "-q"],
                       check=True, env=env, timeout=300)
        r = json.loads(o.read_text())["in_situ"]
        for e in r["epochs"]:
            e.pop("seconds")
        r["totals"].pop("seconds")
        out.append(r)
    assert out[0] == out[1]


@pytest.mark.parametrize("sets, path", [
    (["in_situ.schem=sign"], "in_situ.schem"),
    (["in_situ.update.preset=neurosim_agsi"], "in_situ.update.preset"),
    (["in_situ.forward.out_bits=-1"], "in_situ.forward.out_bits"),
    (["in_situ.layer_learning_rates=[0.1]"], "in_situ.layer_learning_rates"),
    (["in_situ.loss=cross_entropy"], "in_situ.loss"),
])
def test_bad_nodes_exit_2_naming_the_path(cli, sets, path):
    p = cli("train", CONFIG, *[a for s in sets for a in ("--set", s)], check=False)
    assert p.returncode == 2, p.stderr
    assert path in p.stderr


def test_needs_an_in_situ_node(cli):
    p = cli("train", os.path.join(ROOT, "configs", "default.json"), check=False)
    assert p.returncode == 2
    assert "in_situ" in p.stderr and "neurosim_ag_si" in p.stderr


def test_plots_draw():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import xbarsim.plots as plots
    r = xbarsim.train_in_situ(reduced(epochs=1))
    plots.in_situ_accuracy({"Ag:a-Si": r})
    plots.in_situ_trajectories(r)
    plots.in_situ_energy(r)
