"""A ResNet-style CNN (batch-norm, two residual blocks) trained in torch on
Fashion-MNIST and exported to ONNX: shared by tests/python/test_onnx_accuracy.py
(a short training) and benches/onnx_fashion.py (the full one). The images
are read here with gzip and numpy, not with xbarsim's reader."""
import gzip

import numpy as np

DIR = "/usr/share/datasets/fashion-mnist/"


def images(split):
    with gzip.open(f"{DIR}{split}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(f"{DIR}{split}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x.reshape(-1, 1, 28, 28).astype(np.float32) / 255, y.astype(np.int64)


def model(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.a, self.ba = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.b, self.bb = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            return torch.relu(x + self.bb(self.b(torch.relu(self.ba(self.a(x))))))

    # Every conv reads a ReLU output (or the pixels), so unsigned drives work.
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        Block(16), nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32),
        nn.ReLU(), Block(32), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def train_and_export(torch, path, samples, epochs, seed=0):
    """Trains on the first `samples` training images; returns the model."""
    torch.manual_seed(seed)
    x, y = images("train")
    x, y = torch.from_numpy(x[:samples]), torch.from_numpy(y[:samples])
    net = model(torch)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    steps = epochs * ((samples + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=steps)
    for _ in range(epochs):
        perm = torch.randperm(samples)
        for i in range(0, samples, 64):
            j = perm[i:i + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[j]), y[j]).backward()
            opt.step()
            sched.step()
    net.eval()
    torch.onnx.export(net, x[:1], str(path), opset_version=13)
    return net


def config(onnx_path, test_samples, times_s, trials, wires=True):
    """8-bit converters and weights on RRAM (NeuRRAM's measured spread), with
    1-ohm wires and 5-kohm access transistors on the fast solver (wires=True)
    or without line resistance: the quantized-only pass is ideal 8-bit tiles."""
    array = {"rows": 256, "cols": 256}
    if wires:
        array.update({"cell": "1T1R", "r_access_ohm": 5e3, "r_wire_row_ohm": 1.0,
                      "r_wire_col_ohm": 1.0})
    return {
        "seed": 1,
        "array": array,
        "device": {"preset": "rram_wan"},
        "mapping": {"impl": "differential", "weight_bits": 8, "bits_per_cell": 4},
        "read_noise": {"mode": "output_referred"},
        "drift_compensation": "global",
        "dac": {"impl": "bit_serial", "bits": 8, "signed_drive": "none", "range": "calibrated"},
        "adc": {"impl": "sar", "bits": 8, "range": "calibrated", "percentile": 99.9},
        "solver": {"impl": "fast", "tolerance": 1e-6} if wires else {"impl": "ideal"},
        "network": str(onnx_path),
        "chip": {"multiple_chips": True},
        "evaluation": {"dataset": "fashion-mnist", "test_samples": test_samples,
                       "times_s": times_s, "trials": trials},
    }
