"""The PyTorch bridge (xbarsim.torch): converted models against torch itself
(ideal tiles equal the float model), the PPA against `xbarsim run` on the
same exported ONNX file, training through the tiles, and misuse refused with
a clear message. Needs Debian's python3-torch (./test installs it)."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
import xbarsim.torch as xt  # noqa: E402

nn = torch.nn
DEFAULT = pathlib.Path(__file__).resolve().parents[2] / "configs" / "default.json"  # any working directory
EXACT = {"mapping": {"weight_bits": 0}}  # ideal devices and converters, analog weights
RRAM = {"device": {"preset": "rram_wan"}, "dac": {"impl": "bit_serial", "signed_drive": "two_phase"},
        "adc": {"impl": "sar"}}


class Res(nn.Module):
    """Skip connections, grouped and depthwise convolutions, batch-norm, a
    linear classifier: what the bridge maps and what it leaves to torch."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.group = nn.Conv2d(8, 8, 3, padding=1, groups=2, bias=False)
        self.depth = nn.Conv2d(8, 8, 3, stride=2, padding=(1, 2), dilation=(1, 2), groups=8)
        self.fc = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        y = torch.relu(self.bn(self.stem(x)))
        y = torch.relu(y + self.group(y))
        return self.fc(torch.flatten(torch.relu(self.depth(y)), 1))


def model():
    torch.manual_seed(0)
    return Res().eval()


def test_import_xbarsim_needs_no_torch_and_xbarsim_torch_says_what_to_install():
    code = ("import sys; sys.modules['torch'] = None; import xbarsim\n"
            "try:\n import xbarsim.torch\nexcept ImportError as e: print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "python3-torch" in out.stdout


def test_ideal_tiles_equal_the_torch_model_and_split_as_the_network_maps():
    m = model()
    x = torch.rand(6, 1, 14, 14, generator=torch.Generator().manual_seed(1))
    a = xt.convert(m, EXACT).program(seed=0)
    y, want = a(x), m(x)
    assert float((y - want).abs().max()) <= 1e-5 * float(want.abs().max())
    # The same rows, columns and blocks as the C++ importer gives the model.
    layers = a.analog_layers()
    assert set(layers) == {"stem", "group", "depth", "fc"}
    info = {n: next(iter(l.info().values())) for n, l in layers.items()}
    assert info["group"]["groups"] == 2 and info["group"]["rows"] == 4 * 9
    assert info["depth"]["blocks"] == 8  # one block per channel
    assert info["fc"]["rows"] == 392 and info["fc"]["blocks"] == 2  # 256-row arrays
    counts = a.actions()["fc"]["[392]"]["counts"]
    assert counts["vectors"] == 6 * 2  # 6 samples through 2 row blocks


def test_nonideal_trials_are_independent_draws_and_reproducible():
    m = model()
    x = torch.rand(4, 1, 14, 14, generator=torch.Generator().manual_seed(2))
    a = xt.convert(m, RRAM)
    outs = []
    for trial in (0, 1, 0):
        a.program(seed=3, trial=trial).calibrate(x)
        outs.append(a.read_time(86400.0)(x))
    assert torch.equal(outs[0], outs[2])
    assert not torch.equal(outs[0], outs[1])
    err = float((outs[0] - m(x)).abs().max() / m(x).abs().max())
    assert 1e-3 < err < 0.5


def test_state_dict_round_trip_restores_weights_config_and_the_programmed_tiles(tmp_path):
    m = model()
    x = torch.rand(3, 1, 14, 14, generator=torch.Generator().manual_seed(6))
    a = xt.convert(m, RRAM, layers={"fc": {"adc": {"bits": 6}}})
    a.program(seed=5, trial=2).calibrate(x)
    a.read_time(3600.0)
    torch.save(a.state_dict(), tmp_path / "a.pt")
    b = xt.convert(model(), EXACT)  # another config and no programming
    with torch.no_grad():
        for p in b.parameters():
            p.add_(1.0)
    b.load_state_dict(torch.load(tmp_path / "a.pt"))
    assert b.analog_layers()["fc"].config["adc"]["bits"] == 6
    b.calibrate(x)
    assert torch.equal(b(x), a(x))  # the same weights, draws, ranges and read time


def test_ppa_equals_xbarsim_run_on_the_exported_model(tmp_path, cli):
    m = model()
    x = torch.rand(1, 1, 14, 14)
    got = xt.ppa(m, x, DEFAULT)
    path = tmp_path / "m.onnx"
    torch.onnx.export(m, x, str(path), opset_version=13)
    out = tmp_path / "r.json"
    cli("run", DEFAULT, "--set", f'network={{"onnx": "{path}", "name": "Res"}}',
        "--set", "evaluation=null", "-q", "-o", out)
    want = json.loads(out.read_text())["ppa"]
    assert got == want
    assert xt.ppa(xt.convert(m, EXACT), x, DEFAULT) == want  # its float layers


def test_ppa_prices_the_converted_models_per_layer_hardware(tmp_path, cli):
    m = model()
    x = torch.rand(1, 1, 14, 14)
    a = xt.convert(m, DEFAULT, layers={"group": {"adc": {"bits": 3}}}, exclude=["fc"])
    a.program(seed=0)(x)  # tiles programmed: the float copy for the export still works
    got = {l["name"]: l for l in xt.ppa(a, x, DEFAULT)["layers"]}
    path = tmp_path / "m.onnx"
    torch.onnx.export(m, x, str(path), opset_version=13)
    out = tmp_path / "r.json"
    cli("run", DEFAULT, "--set", f'network={{"onnx": "{path}", "name": "Res"}}',
        "--set", "evaluation=null", "--set", "layers.group_Conv.adc.bits=3",
        "--set", "layers.fc_Gemm.digital=true", "-q", "-o", out)
    assert got == {l["name"]: l for l in json.loads(out.read_text())["ppa"]["layers"]}
    assert got["group_Conv"]["tile"]["adc"]["bits"] == 3 and got["fc_Gemm"]["on"] == "digital units"
    assert "tile" not in got["stem_Conv"]
    with pytest.raises(ValueError, match=r"layers: overrides apply to .* not bn \(BatchNorm2d\)"):
        xt.convert(m, DEFAULT, layers={"bn": {"adc": {"bits": 3}}})
    # An override naming another impl replaces the node, as the C++ overrides do.
    flash = xt.convert(m, DEFAULT, layers={"fc": {"adc": {"impl": "flash", "bits": 3}}})
    assert flash.analog_layers()["fc"].config["adc"] == {"impl": "flash", "bits": 3}


def test_a_network_larger_than_the_chip_gets_the_clis_message(tmp_path, cli):
    m = model()
    x = torch.rand(1, 1, 14, 14)
    cfg = json.loads(DEFAULT.read_text())
    cfg["chip"] = {"tiles": 1}
    with pytest.raises(ValueError) as e:
        xt.ppa(m, x, cfg)
    assert "the chip has 1 (chip.tiles)" in str(e.value)
    path = tmp_path / "m.onnx"
    torch.onnx.export(m, x, str(path), opset_version=13)
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    proc = cli("run", tmp_path / "c.json", "--set", f'network={{"onnx": "{path}", "name": "Res"}}',
               "--set", "evaluation=null", "-q", check=False)
    assert proc.returncode == 2 and str(e.value) in proc.stderr


def test_conductances_are_the_blocks_weights_and_do_not_depend_on_the_input():
    m = model()
    a = xt.convert(m, EXACT).program(seed=2)
    before = a.conductances()
    a(torch.rand(2, 1, 14, 14))  # builds the tiles for this input shape
    after = a.conductances()
    for name, layer in a.analog_layers().items():
        w = layer._unrolled(layer.source.weight.detach())
        groups = layer.source.groups if name != "fc" else 1
        per_group = w.shape[1] // groups
        blocks = before[name]
        assert len(blocks) == next(iter(layer.info().values()))["blocks"]
        covered = np.zeros(w.shape, bool)
        for b, c in zip(blocks, after[name]):
            assert np.array_equal(b["g_pos"], c["g_pos"]) and np.array_equal(b["g_neg"], c["g_neg"])
            (r0, r1), (c0, c1) = b["rows"], b["cols"]
            assert b["group"] == c0 // per_group
            want = w[r0:r1, c0:c1]
            d = (b["g_pos"] - b["g_neg"]).astype(np.float64)
            scale = float((d * want).sum() / (want * want).sum())  # uS per weight unit
            assert scale > 0 and np.allclose(d, scale * want, rtol=1e-5, atol=1e-5 * abs(d).max())
            covered[r0:r1, c0:c1] = True
        assert covered.all(), name


def test_hardware_aware_options_clip_the_weights_and_ramp_the_hardware_in():
    torch.manual_seed(5)
    net = nn.Sequential(nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3))
    x = torch.rand(8, 16)
    w0 = net[0].weight.detach().clone()
    a = xt.convert(net, RRAM).program(seed=1).train()
    a.hardware_aware(ramp_steps=10 ** 9)  # the first steps are (almost) the float model
    y, want = a(x), net(x)
    assert float((y - want).abs().max()) <= 1e-6 * float(want.abs().max())
    a.hardware_aware()  # no ramp: the hardware's own outputs
    assert float((a(x) - want).abs().max()) > 1e-3 * float(want.abs().max())
    a.hardware_aware(clip_sigma=1.5)
    a(x)
    w = a.analog_layers()["0"].source.weight.detach()
    bound = 1.5 * float(w0.std())
    assert float(w.abs().max()) == pytest.approx(bound, rel=1e-6)  # uniform init: outliers clipped
    assert torch.equal(w, w0.clamp(-bound, bound))
    with pytest.raises(ValueError, match="clip_sigma"):
        a.hardware_aware(clip_sigma=0)
    with pytest.raises(ValueError, match="ramp_steps"):
        a.hardware_aware(ramp_steps=-1)


def test_hardware_aware_weight_noise_has_its_std_and_its_own_stream():
    torch.manual_seed(6)
    net = nn.Sequential(nn.Linear(64, 512))
    x = torch.rand(64, 64)
    a = xt.convert(net, EXACT).program(seed=2).train()  # exact tiles: only the added noise
    a.hardware_aware(weight_noise=0.1)
    with torch.no_grad():
        y, want = a(x), net(x)
        again = xt.convert(net, EXACT).program(seed=2).train().hardware_aware(weight_noise=0.1)(x)
        # Output j of a read deviates by x . n_j, n_j ~ N(0, (0.1 max|w|)^2) per weight: 512
        # independent columns, so the std is known to about 3 %.
        sigma = 0.1 * float(net[0].weight.abs().max()) * x.norm(dim=1, keepdim=True)
        assert 0.85 < float(((y - want) / sigma).std()) < 1.15
        assert torch.equal(again, y)  # the same seed, layer and read: the same draws
        assert not torch.equal(a(x), y)  # the next read draws afresh
        a.eval()  # inference programs the trial's tiles: no added noise
        assert torch.allclose(a(x), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="weight_noise"):
        a.hardware_aware(weight_noise=-0.1)


def train(a, x, y, lr, steps):
    """Adam steps through the tiles in train() mode; the loss of each."""
    opt = torch.optim.Adam(a.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(a.train()(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses


def test_training_through_the_tiles_moves_the_float_weights_and_lowers_the_loss():
    torch.manual_seed(4)
    net = nn.Sequential(nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3))
    x = torch.randn(96, 16)
    y = (x[:, :3] * torch.tensor([2.0, -1.0, 1.5])).argmax(1)
    a = xt.convert(net, RRAM).program(seed=1)
    losses = train(a, x, y, lr=0.02, steps=30)
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    a.eval().calibrate(x)  # the trial's tiles, from the trained weights (none of training's)
    y_eval = a(x)
    assert torch.equal(y_eval, a.program(seed=1).calibrate(x)(x))  # as if programmed anew
    assert float((y_eval.argmax(1) == y).float().mean()) > 0.6
    with torch.no_grad():
        a.analog_layers()["0"].source.weight.mul_(1.01)
    with pytest.raises(RuntimeError, match="changed since program"):
        a(x)  # tiles programmed before the weights moved


def test_the_resnet_style_model_trains_through_the_tiles_and_evaluates():
    torch.manual_seed(0)
    m = Res().train()  # batch-norm in training mode too
    x = torch.rand(64, 1, 14, 14, generator=torch.Generator().manual_seed(7))
    y = torch.randint(0, 10, (64,), generator=torch.Generator().manual_seed(8))
    a = xt.convert(m, RRAM).program(seed=1).hardware_aware(clip_sigma=2.5, ramp_steps=5)
    losses = train(a, x, y, lr=0.01, steps=15)
    assert losses[0] > 2.0 and np.mean(losses[-3:]) < 0.5  # ln 10 = 2.30: it learns the labels
    r = xt.evaluate(a, [(x[:32], y[:32]), (x[32:], y[32:])], times_s=[1.0], trials=2,
                    calibration=x)
    assert r["float"] > 0.9 and r["nonideal"][0]["mean"] > 0.8
    assert len(r["nonideal"][0]["trials"]) == 2


def test_misuse_is_refused_with_a_clear_message():
    m = model()
    x = torch.rand(2, 1, 14, 14)
    with pytest.raises(RuntimeError, match="call program"):
        xt.convert(m, EXACT)(x)
    bad = x.clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="not finite"):
        xt.convert(m, EXACT).program()(bad)
    with pytest.raises(ValueError, match=r"0\.0 \(Conv1d\)"):
        xt.convert(nn.Sequential(nn.Sequential(nn.Conv1d(1, 2, 3)), nn.Linear(2, 2)), EXACT)
    with pytest.raises(ValueError, match="no module named nope"):
        xt.convert(m, EXACT, exclude=["nope"])
    with pytest.raises(ValueError, match="adc.bitz"):
        xt.convert(m, {"adc": {"impl": "sar", "bitz": 4}})
    with pytest.raises(ValueError, match="signed_drive"):  # negative inputs, unsigned DAC
        a = xt.convert(nn.Sequential(nn.Linear(4, 2)), {"dac": {"impl": "bit_serial",
                                                                "signed_drive": "none"}})
        a.program()(torch.randn(3, 4))
