"""ONNX import (core/nn/onnx/): every supported op against an independent
evaluation (numpy written here from the ONNX operator spec, or torch), MAC
counts against a count made from the ONNX graph, torchvision models' PPA,
and every bad input refused with one line and exit 2.

Models are built here with onnx.helper (every attribute variant) and, where
Debian's python3-torch is installed, exported with torch.onnx.export."""
import csv
import json
import math

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import xbarsim  # noqa: E402

RTOL = 1e-5


def save(tmp_path, name, nodes, x_shape, y_shape, inits=(), opset=13, x_dims=None):
    """A one-input, one-output float model from nodes and numpy initializers
    (y_shape None: four symbolic dimensions, "flat": two)."""
    if y_shape is None or y_shape == "flat":
        y_shape = ["yn", "yc", "yh", "yw"] if y_shape is None else ["yn", "yf"]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_dims or x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return str(path)


def identity_first(shape):
    """A matrix layer computing x0 = x (a network needs one to map): a 1x1
    Conv with identity weights for [N, C, H, W], an identity MatMul for [N, F]."""
    eye = np.eye(shape[1], dtype=np.float32)
    if len(shape) == 4:
        return [helper.make_node("Conv", ["x", "eye"], ["x0"])], [("eye", eye[:, :, None, None])]
    return [helper.make_node("MatMul", ["x", "eye"], ["x0"])], [("eye", eye)]


def close(got, want):
    want = np.asarray(want, dtype=np.float64).reshape(got.shape)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale)


def rng(seed):
    return np.random.default_rng(seed)


# --- independent numpy references (ONNX operator definitions) --------------

def conv_ref(x, w, b, strides, pads, dilations, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    ho = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    wo = (wd + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    y = np.zeros((n, m, ho, wo))
    mg = m // group
    for o in range(m):
        g = o // mg
        for ky in range(kh):
            for kx in range(kw):
                ys, xs = ky * dilations[0], kx * dilations[1]
                patch = xp[:, g * cg:(g + 1) * cg, ys:ys + strides[0] * ho:strides[0],
                           xs:xs + strides[1] * wo:strides[1]]
                y[:, o] += np.einsum("nchw,c->nhw", patch, w[o, :, ky, kx])
        if b is not None:
            y[:, o] += b[o]
    return y


def pool_ref(x, k, s, pads, ceil, mode, include_pad=False):
    """Max/average pooling as PyTorch and ONNX Runtime compute it."""
    n, c, h, w = x.shape
    out = []
    for a, size in enumerate((h, w)):
        span = size + pads[a] + pads[a + 2] - k[a]
        o = (-(-span // s[a]) if ceil else span // s[a]) + 1
        if ceil and (o - 1) * s[a] >= size + pads[a]:
            o -= 1
        out.append(o)
    y = np.zeros((n, c, out[0], out[1]))
    for oy in range(out[0]):
        for ox in range(out[1]):
            y0, x0 = oy * s[0] - pads[0], ox * s[1] - pads[1]
            y1, x1 = y0 + k[0], x0 + k[1]
            win = x[:, :, max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
            if mode == "max":
                y[:, :, oy, ox] = win.max(axis=(2, 3))
            else:
                if include_pad:
                    cnt = (min(y1, h + pads[2]) - y0) * (min(x1, w + pads[3]) - x0)
                else:
                    cnt = win.shape[2] * win.shape[3]
                y[:, :, oy, ox] = win.sum(axis=(2, 3)) / cnt
    return y


# --- ops, one model each ----------------------------------------------------

@pytest.mark.parametrize("attrs", [
    dict(strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2], group=1),
    dict(strides=[1, 1], pads=[1, 1, 1, 1], dilations=[1, 1], group=2),
    dict(strides=[2, 2], pads=[1, 1, 1, 1], dilations=[1, 1], group=4),  # depthwise
])
def test_conv_attributes(tmp_path, attrs):
    r = rng(1)
    g = attrs["group"]
    w = r.normal(size=(8, 4 // g, 3, 3)).astype(np.float32)
    b = r.normal(size=8).astype(np.float32)
    x = r.normal(size=(3, 4, 9, 10)).astype(np.float32)
    want = conv_ref(x, w, b, attrs["strides"], attrs["pads"], attrs["dilations"], g)
    path = save(tmp_path, "conv", [helper.make_node("Conv", ["x", "w", "b"], ["y"], **attrs)],
                [1, 4, 9, 10], None, [("w", w), ("b", b)])
    net = xbarsim.Network(path)
    close(net.forward(x), want)
    conv = net.layers[0]
    assert conv["groups"] == g and conv["rows"] == 4 // g * 9


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
def test_conv_auto_pad(tmp_path, auto_pad):
    r = rng(2)
    w = r.normal(size=(2, 3, 4, 3)).astype(np.float32)
    x = r.normal(size=(2, 3, 7, 6)).astype(np.float32)
    s = [2, 2]
    pads = [0, 0, 0, 0]
    if auto_pad != "VALID":
        for a, (size, k) in enumerate(zip((7, 6), (4, 3))):
            total = max(0, (math.ceil(size / s[a]) - 1) * s[a] + k - size)
            small = total // 2
            pads[a] = small if auto_pad == "SAME_UPPER" else total - small
            pads[a + 2] = total - pads[a]
    want = conv_ref(x, w, None, s, pads, [1, 1], 1)
    node = helper.make_node("Conv", ["x", "w"], ["y"], strides=s, auto_pad=auto_pad)
    path = save(tmp_path, "convpad", [node], [1, 3, 7, 6], None, [("w", w)])
    close(xbarsim.Network(path).forward(x), want)


@pytest.mark.parametrize("trans_b,alpha,beta,c_shape", [
    (0, 1.0, 1.0, (5,)), (1, 0.5, 2.0, (1, 5)), (1, 1.0, 0.0, (5,)), (0, 2.0, 1.0, (1,))])
def test_gemm_attributes(tmp_path, trans_b, alpha, beta, c_shape):
    r = rng(3)
    bm = r.normal(size=(5, 6) if trans_b else (6, 5)).astype(np.float32)
    c = r.normal(size=c_shape).astype(np.float32)
    x = r.normal(size=(4, 6)).astype(np.float32)
    want = alpha * x @ (bm.T if trans_b else bm) + beta * c
    node = helper.make_node("Gemm", ["x", "b", "c"], ["y"], transB=trans_b, alpha=alpha, beta=beta)
    path = save(tmp_path, "gemm", [node], [1, 6], [1, 5], [("b", bm), ("c", c)])
    close(xbarsim.Network(path).forward(x), want)


def test_matmul_add_folds_into_one_linear_layer(tmp_path):
    r = rng(4)
    bm, bias = r.normal(size=(6, 3)).astype(np.float32), r.normal(size=3).astype(np.float32)
    x = r.normal(size=(5, 6)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "b"], ["t"]),
             helper.make_node("Add", ["t", "c"], ["y"])]
    net = xbarsim.Network(save(tmp_path, "mm", nodes, [1, 6], [1, 3], [("b", bm), ("c", bias)]))
    close(net.forward(x), x @ bm + bias)
    assert [l["type"] for l in net.layers] == ["linear"]


def test_batchnorm_folds_after_conv_and_is_affine_elsewhere(tmp_path):
    r = rng(5)
    w = r.normal(size=(4, 2, 3, 3)).astype(np.float32)
    st = [r.uniform(0.5, 1.5, 4), r.normal(size=4), r.normal(size=4), r.uniform(0.5, 2, 4)]
    st = [v.astype(np.float32) for v in st]
    x = r.normal(size=(2, 2, 6, 6)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["a", "g", "be", "mu", "var"], ["bn"],
                              epsilon=1e-3),
             helper.make_node("Relu", ["bn"], ["r"]),
             helper.make_node("BatchNormalization", ["r", "g", "be", "mu", "var"], ["y"])]
    inits = [("w", w), ("g", st[0]), ("be", st[1]), ("mu", st[2]), ("var", st[3])]
    net = xbarsim.Network(save(tmp_path, "bn", nodes, [1, 2, 6, 6], None, inits))

    def bn(v, eps):
        sh = (1, 4, 1, 1)
        return (v - st[2].reshape(sh)) / np.sqrt(st[3].reshape(sh) + eps) * st[0].reshape(sh) + \
            st[1].reshape(sh)
    want = bn(np.maximum(bn(conv_ref(x, w, None, [1, 1], [1] * 4, [1, 1], 1), 1e-3), 0), 1e-5)
    close(net.forward(x), want)
    assert [l["type"] for l in net.layers] == ["conv2d", "relu", "affine"]


@pytest.mark.parametrize("op,attrs,ref,opset", [
    ("Relu", {}, lambda v: np.maximum(v, 0), 13),
    ("Sigmoid", {}, lambda v: 1 / (1 + np.exp(-v)), 13),
    ("Tanh", {}, np.tanh, 13),
    ("LeakyRelu", {"alpha": 0.3}, lambda v: np.where(v < 0, 0.3 * v, v), 13),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, lambda v: np.clip(0.3 * v + 0.4, 0, 1), 13),
    ("HardSwish", {}, lambda v: v * np.clip(v / 6 + 0.5, 0, 1), 14),
    ("Clip", {"min": -0.5, "max": 0.7}, lambda v: np.clip(v, -0.5, 0.7), 7),
    ("Softmax", {"axis": 1}, lambda v: np.exp(v) / np.exp(v).sum(1, keepdims=True), 11),
    ("LogSoftmax", {}, lambda v: v - np.log(np.exp(v).sum(1, keepdims=True)), 13),
])
def test_elementwise_ops(tmp_path, op, attrs, ref, opset):
    x = rng(6).normal(size=(3, 7)).astype(np.float32) * 3
    lead, inits = identity_first([1, 7])
    path = save(tmp_path, op, lead + [helper.make_node(op, ["x0"], ["y"], **attrs)], [1, 7],
                [1, 7], inits, opset=opset)
    close(xbarsim.Network(path).forward(x), ref(x.astype(np.float64)))


def test_clip_bounds_as_inputs_from_opset_11(tmp_path):
    x = rng(7).normal(size=(2, 5)).astype(np.float32)
    lead, inits = identity_first([1, 5])
    nodes = lead + [helper.make_node("Clip", ["x0", "lo", "hi"], ["y"])]
    path = save(tmp_path, "clip", nodes, [1, 5], [1, 5],
                inits + [("lo", np.float32(0.0)), ("hi", np.float32(0.6))], opset=11)
    close(xbarsim.Network(path).forward(x), np.clip(x, 0, 0.6))


@pytest.mark.parametrize("op,k,s,pads,ceil,include", [
    ("MaxPool", [3, 3], [2, 2], [1, 1, 1, 1], 0, 0),
    ("MaxPool", [2, 3], [2, 2], [0, 0, 0, 0], 1, 0),
    ("AveragePool", [3, 3], [2, 2], [1, 1, 1, 1], 0, 0),
    ("AveragePool", [3, 3], [2, 2], [1, 1, 1, 1], 0, 1),
    ("AveragePool", [2, 2], [2, 2], [0, 0, 0, 0], 1, 0),
])
def test_pools(tmp_path, op, k, s, pads, ceil, include):
    x = rng(8).normal(size=(2, 3, 7, 8)).astype(np.float32)
    attrs = dict(kernel_shape=k, strides=s, pads=pads, ceil_mode=ceil)
    if op == "AveragePool":
        attrs["count_include_pad"] = include
    lead, inits = identity_first([1, 3, 7, 8])
    path = save(tmp_path, "pool", lead + [helper.make_node(op, ["x0"], ["y"], **attrs)],
                [1, 3, 7, 8], None, inits)
    want = pool_ref(x.astype(np.float64), k, s, pads, ceil, "max" if op == "MaxPool" else "avg",
                    include)
    close(xbarsim.Network(path).forward(x), want)


@pytest.mark.parametrize("opset", [7, 13])
def test_pad_flatten_and_constant_arithmetic(tmp_path, opset):
    r = rng(9)
    x = r.normal(size=(2, 3, 4, 5)).astype(np.float32)
    pads = [0, 0, 1, 2, 0, 0, 3, 0]
    ch = r.normal(size=(3, 1, 1)).astype(np.float32)
    lead, inits = identity_first([1, 3, 4, 5])
    if opset < 11:
        pad = lead + [helper.make_node("Pad", ["x0"], ["p"], pads=pads)]
    else:
        pad = lead + [helper.make_node("Pad", ["x0", "pads"], ["p"])]
        inits += [("pads", np.array(pads, dtype=np.int64))]
    nodes = pad + [
        helper.make_node("Sub", ["p", "ch"], ["a"]),      # x - c per channel
        helper.make_node("Div", ["a", "two"], ["b"]),     # / scalar
        helper.make_node("Sub", ["one", "b"], ["c"]),     # scalar - x
        helper.make_node("Mul", ["c", "ch"], ["d"]),      # * c per channel
        helper.make_node("Add", ["d", "one"], ["e"]),
        helper.make_node("Flatten", ["e"], ["y"])]
    inits += [("ch", ch), ("two", np.float32(2.0)), ("one", np.float32(1.0))]
    path = save(tmp_path, "arith", nodes, [1, 3, 4, 5], "flat", inits, opset=opset)
    p = np.pad(x, [(0, 0), (0, 0), (1, 3), (2, 0)])
    want = ((1 - (p - ch) / 2) * ch + 1).reshape(2, -1)
    net = xbarsim.Network(path)
    close(net.forward(x), want)
    assert [l["type"] for l in net.layers] == ["conv2d", "pad"] + ["affine"] * 5 + ["flatten"]


def test_graph_ops_concat_residual_gate_and_layout_only_reshapes(tmp_path):
    r = rng(10)
    w = r.normal(size=(3, 3, 1, 1)).astype(np.float32)
    x = r.normal(size=(2, 3, 4, 4)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["a"]),
        helper.make_node("Add", ["a", "x"], ["res"]),                        # residual
        helper.make_node("GlobalAveragePool", ["res"], ["gap"]),
        helper.make_node("Sigmoid", ["gap"], ["gate"]),
        helper.make_node("Mul", ["res", "gate"], ["se"]),                   # squeeze-excite
        helper.make_node("Concat", ["se", "x"], ["cat"], axis=1),
        helper.make_node("Identity", ["cat"], ["id"]),
        helper.make_node("Dropout", ["id"], ["dr"]),
        helper.make_node("Transpose", ["gap"], ["tp"], perm=[0, 2, 3, 1]),  # [1,1,1,C]: layout
        helper.make_node("Squeeze", ["tp", "axes"], ["sq"]),
        helper.make_node("Unsqueeze", ["sq", "axes2"], ["us"]),
        helper.make_node("Reshape", ["us", "shape"], ["rs"]),
        helper.make_node("Flatten", ["dr"], ["fl"]),
        helper.make_node("Concat", ["fl", "rs"], ["y"], axis=-1),
    ]
    inits = [("w", w), ("axes", np.array([1, 2], dtype=np.int64)),
             ("axes2", np.array([2, 3], dtype=np.int64)),
             ("shape", np.array([-1, 3], dtype=np.int64))]
    path = save(tmp_path, "graph", nodes, [1, 3, 4, 4], "flat", inits)
    res = conv_ref(x, w, None, [1, 1], [0] * 4, [1, 1], 1) + x
    gap = res.mean(axis=(2, 3), keepdims=True)
    se = res / (1 + np.exp(-gap))
    want = np.concatenate([np.concatenate([se, x], 1).reshape(2, -1), gap.reshape(2, 3)], 1)
    net = xbarsim.Network(path)
    close(net.forward(x), want)
    assert {"add", "mul", "concat", "global_avgpool"} <= {l["type"] for l in net.layers}


def attention_model(tmp_path, opset):
    """Single-head self-attention over [N, S, D] tokens, then a classifier:
    Q, K, V projections (MatMul by constants, Q's bias an Add), Q·Kᵀ and
    weights·V (MatMul of two activations), a scalar Div and a Softmax over
    the last axis (axis 2 before opset 13, -1 after)."""
    r = rng(11)
    s, d = 5, 4
    w = {k: r.normal(size=(d, d)).astype(np.float32) for k in ("wq", "wk", "wv")}
    w["bq"] = r.normal(size=d).astype(np.float32)
    w["wo"] = r.normal(size=(s * d, 3)).astype(np.float32)
    w["scale"] = np.float32(math.sqrt(d))
    nodes = [helper.make_node("MatMul", ["x", "wq"], ["q0"]),
             helper.make_node("Add", ["q0", "bq"], ["q"]),
             helper.make_node("MatMul", ["x", "wk"], ["k"]),
             helper.make_node("MatMul", ["x", "wv"], ["v"]),
             helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
             helper.make_node("MatMul", ["q", "kt"], ["a"]),
             helper.make_node("Div", ["a", "scale"], ["as"]),
             helper.make_node("Softmax", ["as"], ["p"], axis=2 if opset < 13 else -1),
             helper.make_node("MatMul", ["p", "v"], ["o"]),
             helper.make_node("Flatten", ["o"], ["f"]),
             helper.make_node("Gemm", ["f", "wo"], ["y"])]
    path = save(tmp_path, f"attn{opset}", nodes, [1, s, d], "flat", list(w.items()), opset=opset)
    return path, w, s, d


@pytest.mark.parametrize("opset", [11, 13])
def test_attention_products_of_two_activations(tmp_path, cli, opset):
    path, w, s, d = attention_model(tmp_path, opset)
    x = rng(12).normal(size=(3, s, d)).astype(np.float32)
    xd = x.astype(np.float64)
    q, k, v = xd @ w["wq"] + w["bq"], xd @ w["wk"], xd @ w["wv"]
    a = q @ k.transpose(0, 2, 1) / math.sqrt(d)
    p = np.exp(a - a.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    want = (p @ v).reshape(3, -1) @ w["wo"]
    net = xbarsim.Network(path)
    close(net.forward(x), want)
    types = [l["type"] for l in net.layers]
    assert types.count("matmul") == 2 and "transpose" in types and types.count("linear") == 4
    if opset < 13:
        return
    # PPA: the projections and the classifier on crossbars (one vector per
    # token), the two products on the digital units, each labelled.
    out = tmp_path / "r.json"
    cli("run", "--set", f"network={path}", "--set", "evaluation=null", "-q", "-o", out)
    ppa = json.loads(out.read_text())["ppa"]
    t = ppa["totals"]
    assert t["macs"] == 3 * s * d * d + s * d * 3
    assert t["digital_macs"] == 2 * s * s * d
    digital = [l for l in ppa["layers"] if l.get("on") == "digital units"]
    assert [l["type"] for l in digital] == ["matmul", "matmul"]
    assert [l["digital_macs"] for l in digital] == [s * s * d] * 2
    assert all(l["energy_pj"]["digital"] > 0 and "arrays" not in l for l in digital)
    proj = [l for l in ppa["layers"] if l["type"] == "linear"][0]
    assert proj["vectors"] == s and proj["rows"] == d


# --- torch-exported models ---------------------------------------------------

def residual_net(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
            self.b1 = nn.BatchNorm2d(8)
            self.c2 = nn.Conv2d(8, 8, 3, padding=(1, 2), dilation=(1, 2), groups=2)
            self.b2 = nn.BatchNorm2d(8)
            self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
            self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(8, 4, 1), nn.ReLU(),
                                    nn.Conv2d(4, 8, 1), nn.Hardsigmoid())
            self.pool = nn.MaxPool2d(3, 2, padding=1, ceil_mode=True)
            self.ap = nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            y = torch.relu(self.b1(self.c1(x)))
            y = nn.functional.leaky_relu(self.b2(self.c2(y)) + y, 0.1)
            z = self.dw(y)
            z = z * self.se(z)
            z = torch.cat([z, nn.functional.hardswish(z)], 1)
            z = self.ap(nn.functional.relu6(self.pool(z)))
            return torch.log_softmax(self.fc(torch.flatten(z, 1)), 1)

    torch.manual_seed(0)
    m = Net().eval()
    with torch.no_grad():
        for b in (m.b1, m.b2):
            b.running_mean.uniform_(-1, 1)
            b.running_var.uniform_(0.5, 2)
            b.weight.uniform_(0.5, 1.5)
            b.bias.uniform_(-0.5, 0.5)
    return m


@pytest.mark.parametrize("opset", [9, 11, 13, 17])
def test_torch_residual_net_equals_torch(tmp_path, opset):
    torch = pytest.importorskip("torch")
    m = residual_net(torch)
    x = torch.randn(4, 3, 11, 13, generator=torch.Generator().manual_seed(1))
    path = str(tmp_path / "res.onnx")
    torch.onnx.export(m, x[:1], path, opset_version=opset, input_names=["x"],
                      dynamic_axes={"x": {0: "n"}})
    close(xbarsim.Network(path).forward(x.numpy()), m(x).detach().numpy())


@pytest.mark.parametrize("opset", [11, 13])
def test_torch_attention_equals_torch(tmp_path, opset):
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Attention(nn.Module):
        def __init__(self, d=6, s=7):
            super().__init__()
            self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
            self.fc = nn.Linear(s * d, 4)
            self.d = d

        def forward(self, x):
            a = self.q(x) @ self.k(x).transpose(1, 2) / math.sqrt(self.d)
            o = torch.softmax(a, dim=-1) @ self.v(x)
            return self.fc(torch.flatten(torch.relu(o) + x, 1))

    torch.manual_seed(0)
    m = Attention().eval()
    x = torch.randn(3, 7, 6, generator=torch.Generator().manual_seed(2))
    path = str(tmp_path / "attn.onnx")
    torch.onnx.export(m, x[:1], path, opset_version=opset, input_names=["x"],
                      dynamic_axes={"x": {0: "n"}})
    close(xbarsim.Network(path).forward(x.numpy()), m(x).detach().numpy())


def onnx_macs(path):
    """MACs from the ONNX graph alone: each Conv's output elements times its
    (C / group)·kh·kw taps, padded and (with torch, counting the taps that land
    inside the input) real; each Gemm/MatMul's K·N."""
    torch = pytest.importorskip("torch")
    model = onnx.shape_inference.infer_shapes(onnx.load(path))
    dims = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in list(model.graph.value_info) + list(model.graph.input) +
            list(model.graph.output)}
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    padded = real = 0
    for n in model.graph.node:
        if n.op_type == "Conv":
            w = inits[n.input[1]]
            out = dims[n.output[0]]
            a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
            padded += int(np.prod(out)) * w[0].size
            ind = dims[n.input[0]]
            ones = torch.ones(1, 1, ind[2], ind[3])
            p = a.get("pads", [0, 0, 0, 0])
            ones = torch.nn.functional.pad(ones, (p[1], p[3], p[0], p[2]))
            taps = torch.nn.functional.conv2d(ones, torch.ones(1, 1, w.shape[2], w.shape[3]),
                                              stride=a.get("strides", [1, 1]),
                                              dilation=a.get("dilations", [1, 1]))
            real += float(taps.sum()) * w.shape[1] * w.shape[0]
        elif n.op_type in ("Gemm", "MatMul"):
            padded += inits[n.input[1]].size
            real += inits[n.input[1]].size
    return padded, real


def test_ppa_mac_counts_equal_the_onnx_graphs(tmp_path, cli):
    torch = pytest.importorskip("torch")
    path = str(tmp_path / "res.onnx")
    torch.onnx.export(residual_net(torch), torch.randn(1, 3, 11, 13), path, opset_version=13)
    out = tmp_path / "r.json"
    cli("run", "--set", f"network={path}", "--set", "evaluation=null", "-q", "-o", out)
    totals = json.loads(out.read_text())["ppa"]["totals"]
    padded, real = onnx_macs(path)
    assert totals["macs_padded"] == pytest.approx(padded, rel=1e-12)
    assert totals["macs"] == pytest.approx(real, rel=1e-12)
    assert totals["macs"] < totals["macs_padded"]


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_torchvision_models_ppa(tmp_path, cli, name):
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("torchvision")
    path = str(tmp_path / f"{name}.onnx")
    torch.onnx.export(getattr(tv.models, name)(weights=None).eval(), torch.randn(1, 3, 224, 224),
                      path, opset_version=13)
    out = tmp_path / "r.json"
    cli("run", "--set", f"network={path}", "--set", "evaluation=null",
        "--set", "chip.multiple_chips=true", "-q", "-o", out)
    ppa = json.loads(out.read_text())["ppa"]
    t = ppa["totals"]
    padded, real = onnx_macs(path)
    assert t["macs_padded"] == pytest.approx(padded, rel=1e-12)
    assert t["macs"] == pytest.approx(real, rel=1e-12)
    if name == "resnet18":
        # He et al. 2016 (Table 1): 1.8 G multiply-adds at 224x224.
        assert t["macs_padded"] == pytest.approx(1.8e9, rel=0.01)
    else:
        assert any(l.get("groups", 1) > 1 for l in ppa["layers"])  # depthwise on its own arrays
    assert t["energy_pj"]["total"] > 0 and t["tops_per_w"] > 0
    parts = sum(v for k, v in t["energy_pj"].items() if k != "total")
    assert parts == pytest.approx(t["energy_pj"]["total"], rel=1e-9)


def test_large_weights_read_in_place_at_any_file_offset(tmp_path):
    """Initializers of 4 KiB and more are read from the mapped file (aligned
    ones in place, others copied): names of 1-4 characters shift the bytes
    through every offset modulo 4; each forward equals numpy's."""
    x = rng(20).normal(size=(3, 64)).astype(np.float32)
    for k, name in enumerate(["w", "ww", "www", "wwww"]):
        w = rng(21 + k).normal(size=(64, 40)).astype(np.float32)
        path = save(tmp_path, f"big{k}", [helper.make_node("MatMul", ["x", name], ["y"])],
                    [1, 64], [1, 40], [(name, w)])
        close(xbarsim.Network(path).forward(x), x.astype(np.float64) @ w)


# --- paths ---------------------------------------------------------------------

def test_paths_in_a_config_file_are_the_files(tmp_path, cli):
    """A model named in a config file is found beside the file from any working
    directory; a --set path is the working directory's; a sweep's base file
    resolves its own paths and the spec's grid values are the spec's."""
    proj, elsewhere = tmp_path / "proj", tmp_path / "elsewhere"
    proj.mkdir()
    elsewhere.mkdir()
    for name, cols in (("m", 2), ("m3", 3)):
        save(proj, name, [helper.make_node("Gemm", ["x", "b"], ["y"])], [1, 4], [1, cols],
             [("b", np.ones((4, cols), np.float32))])
    (proj / "c.json").write_text(json.dumps({"network": "m.onnx", "evaluation": None}))
    (proj / "o.json").write_text(json.dumps({"network": {"onnx": "m3.onnx"}, "evaluation": None}))

    def macs(config, *sets, cwd):
        out = tmp_path / "r.json"
        cli("run", config, *[a for s in sets for a in ("--set", s)], "-q", "-o", out, cwd=cwd)
        return json.loads(out.read_text())["ppa"]["totals"]["macs"]

    assert macs(proj / "c.json", cwd=elsewhere) == 8
    assert macs("proj/c.json", cwd=tmp_path) == 8
    assert macs("proj/o.json", cwd=tmp_path) == 12
    assert macs("proj/c.json", "network=proj/m3.onnx", cwd=tmp_path) == 12
    proc = cli("run", "proj/c.json", "--set", "network=m3.onnx", "-q", check=False, cwd=tmp_path)
    assert proc.returncode == 2 and "m3.onnx" in proc.stderr, proc.stderr
    (proj / "sweeps").mkdir()
    (proj / "sweeps" / "s.json").write_text(json.dumps(
        {"base": "../c.json", "grid": {"network": ["../m.onnx", "../m3.onnx"]},
         "metrics": ["ppa.totals.macs"]}))
    cli("sweep", proj / "sweeps" / "s.json", "-o", tmp_path / "s.csv", cwd=elsewhere)
    rows = list(csv.DictReader(open(tmp_path / "s.csv")))
    assert [(r["status"], r["ppa.totals.macs"]) for r in rows] == [("ok", "8"), ("ok", "12")]
    assert xbarsim.run(str(proj / "c.json"))["ppa"]["totals"]["macs"] == 8


# --- bad input ----------------------------------------------------------------

def refused(cli, tmp_path, *sets, expect):
    out = tmp_path / "never.json"
    proc = cli("run", *[a for s in sets for a in ("--set", s)], "-o", out, check=False)
    assert proc.returncode == 2, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    for word in expect:
        assert word in lines[0], lines[0]
    assert not out.exists()


def test_bad_onnx_inputs_are_one_line_exit_2_nothing_written(tmp_path, cli):
    good = save(tmp_path, "good", [helper.make_node("Gemm", ["x", "b"], ["y"])], [1, 4], [1, 2],
                [("b", np.ones((4, 2), np.float32))])
    cos = save(tmp_path, "cos", [helper.make_node("Gemm", ["x", "b"], ["g"]),
                                 helper.make_node("Cos", ["g"], ["y"])], [1, 4], [1, 2],
               [("b", np.ones((4, 2), np.float32))])
    refused(cli, tmp_path, f"network={cos}", "evaluation=null",
            expect=["Cos", "opset 13", "Gemm", "Relu"])
    dyn = save(tmp_path, "dyn", [helper.make_node("Relu", ["x"], ["r"]),
                                 helper.make_node("Flatten", ["r"], ["f"]),
                                 helper.make_node("Gemm", ["f", "b"], ["y"])],
               None, "flat", [("b", np.ones((12, 2), np.float32))], x_dims=["n", 3, "h", 2])
    refused(cli, tmp_path, f"network={dyn}", "evaluation=null", expect=["input_shape", "h"])
    cli("run", "--set", f'network={{"onnx": "{dyn}", "input_shape": [3, 2, 2]}}',
        "--set", "evaluation=null", "-q")
    data = open(good, "rb").read()
    trunc = tmp_path / "trunc.onnx"
    trunc.write_bytes(data[: len(data) // 2])
    refused(cli, tmp_path, f"network={trunc}", "evaluation=null", expect=["not an ONNX model"])
    other = tmp_path / "other.onnx"
    other.write_text('{"not": "onnx"}')
    refused(cli, tmp_path, f"network={other}", "evaluation=null", expect=["not an ONNX model"])
    bad = np.ones((4, 2), np.float32)
    bad[1, 1] = np.nan
    nan = save(tmp_path, "nan", [helper.make_node("Gemm", ["x", "b"], ["y"])], [1, 4], [1, 2],
               [("b", bad)])
    refused(cli, tmp_path, f"network={nan}", "evaluation=null", expect=["\"b\"", "not a finite"])
    big = np.ones((64, 32), np.float32)  # 8 KiB: read from the mapped file
    big[5, 7] = np.inf
    inf = save(tmp_path, "inf", [helper.make_node("Gemm", ["x", "b"], ["y"])], [1, 64], [1, 32],
               [("b", big)])
    refused(cli, tmp_path, f"network={inf}", "evaluation=null",
            expect=["\"b\"", "not a finite", "index 167"])
    refused(cli, tmp_path, f"network={good}", f"evaluation.weights={tmp_path}",
            expect=["evaluation.weights", "brings its weights"])
    refused(cli, tmp_path, f"network={tmp_path}/missing.onnx", "evaluation=null",
            expect=["missing.onnx", "cannot open"])
