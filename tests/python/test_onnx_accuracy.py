"""A torch-trained ResNet-style CNN (skip connections, batch-norm), exported
to ONNX, scored on Fashion-MNIST through xbarsim's tiles: ideal 8-bit tiles
close to float, nonideal RRAM (programming spread, read noise, a year of
drift) lower. Reduced (6,000 training images, 400 test samples, no line
resistance); benches/onnx_fashion.py is the full run with 1-ohm wires
(BENCHMARKS.md)."""
import json
import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
sys.path.insert(0, os.path.dirname(__file__))
import fashion_cnn  # noqa: E402

if not os.path.exists(fashion_cnn.DIR + "t10k-images-idx3-ubyte.gz"):
    pytest.skip("Debian's dataset-fashion-mnist is not installed", allow_module_level=True)


def test_fashion_cnn_from_onnx_on_tiles(tmp_path, cli):
    torch.set_num_threads(2)
    onnx_path = tmp_path / "fashion.onnx"
    net = fashion_cnn.train_and_export(torch, onnx_path, samples=6000, epochs=2)
    x, y = fashion_cnn.images("t10k")
    with torch.no_grad():
        torch_acc = float((net(torch.from_numpy(x[:400])).argmax(1).numpy() == y[:400]).mean())
    cfg = tmp_path / "cfg.json"
    c = fashion_cnn.config(onnx_path, 400, [31536000], 1, wires=False)
    c["evaluation"]["calibration_samples"] = 64  # each pass calibrates: a shorter test
    cfg.write_text(json.dumps(c))
    out = tmp_path / "r.json"
    cli("run", cfg, "-q", "-o", out)
    a = json.loads(out.read_text())["accuracy"]
    assert a["weights"]["source"] == "onnx"
    assert a["float"] == pytest.approx(torch_acc, abs=1 / 400 + 1e-9)  # the same model
    assert a["float"] > 0.6  # it learned
    # 4 of 400 samples: the short training leaves many near the decision
    # boundary; the full run holds 0.5 points on all 10,000 (BENCHMARKS.md).
    assert abs(a["quantized"] - a["float"]) <= 0.01 + 1e-9
    assert a["nonideal"][0]["mean"] < a["float"]

    # The same torch model through the PyTorch bridge (xbarsim.torch): its
    # float pass is torch's; on ideal 8-bit tiles (ideal devices, no read
    # noise, the configured converters, calibrated on the same 64 training
    # images) it scores as the CLI's quantized pass does.
    import xbarsim.torch as xt
    ideal = dict(json.loads(cfg.read_text()), device={"impl": "ideal", "levels": 0},
                 read_noise={"mode": "off"})
    test = [(torch.from_numpy(x[i:i + 100]), torch.from_numpy(y[i:i + 100]))
            for i in range(0, 400, 100)]
    calib = torch.from_numpy(fashion_cnn.images("train")[0][:64])
    r = xt.evaluate(xt.convert(net, ideal), test, times_s=[0.0], calibration=calib,
                    calibration_samples=64)
    assert r["float"] == pytest.approx(torch_acc, abs=1e-12)
    assert abs(r["nonideal"][0]["mean"] - a["quantized"]) <= 0.01 + 1e-9
