"""PyTorch models on xbarsim's crossbar tiles.

    import xbarsim.torch as xt
    analog = xt.convert(model, "configs/default.json")   # a copy; model is unchanged
    analog.program(seed=0)
    analog.calibrate(train_images[:256])                 # DAC/ADC ranges
    analog.read_time(86400.0)                            # read a day after programming
    y = analog(x)                                        # the tiles' outputs
    report = xt.evaluate(analog, test_loader, times_s=[1, 86400], trials=5)
    ppa = xt.ppa(model, x[:1], "configs/default.json")   # the same PPA as `xbarsim run`

Every nn.Linear and nn.Conv2d (grouped and depthwise too) becomes an analog
layer running on xbarsim.AnalogLayer: the C++ engine's tiles, split into
array-sized blocks exactly as `xbarsim run` maps the same layer, with its
devices, converters, read noise, drift and circuit. Everything else stays
torch. The bridge is Python over the compiled module (numpy in and out): it
never links against libtorch, so a torch release cannot break it.

Training: in train() mode each forward programs the layer's tiles afresh
from the current float weights (new device draws every step; calibrated
converter ranges set from the step's own inputs) and runs the hardware,
read at read_time's t; backward passes the gradient straight through to the
float weights (the float layer's gradient at the same input), so any torch
optimizer trains the float weights to work on the hardware.
hardware_aware(clip_sigma=, ramp_steps=) adds weight clipping and a ramp-up
of the hardware's deviation.
"""
try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError as e:  # pragma: no cover - exercised where torch is absent
    raise ImportError("xbarsim.torch needs PyTorch: on Debian, apt-get install python3-torch "
                      "(import xbarsim works without it)") from e

import copy
import json
import math
import os
import tempfile

import numpy as np

from . import _xbarsim

__all__ = ["AnalogModel", "AnalogLinear", "AnalogConv2d", "convert", "evaluate", "ppa"]

# Modules that hold weights but have no crossbar mapping here.
_UNMAPPED = (nn.Conv1d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
             nn.Bilinear, nn.Embedding, nn.EmbeddingBag, nn.RNNBase, nn.MultiheadAttention)
_MAX_MODULES = 4096  # analog layers per model (each its own random streams)
_WEIGHT_NOISE_PURPOSE = 0x5741  # "WA": hardware_aware's weight-noise stream


def _load_config(config):
    if isinstance(config, (str, os.PathLike)):
        with open(config) as f:
            return json.load(f)
    return copy.deepcopy(dict(config or {}))


def _merge(base, over):
    """A layer's config: base with a per-layer override laid over it as the
    C++ "layers" node does (nn::overlay_node): a node naming another impl (or
    device preset) replaces base's, otherwise its keys merge in."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        node = out.get(k)
        if not isinstance(v, dict) or not isinstance(node, dict):
            out[k] = copy.deepcopy(v)
        elif any(w in v and node.get(w) != v[w] for w in ("impl", "preset")):
            out[k] = copy.deepcopy(v)
        else:
            out[k] = _merge(node, v)
    return out


class _Hardware(torch.autograd.Function):
    """The tiles forward; the float layer's gradient backward (straight through)."""

    @staticmethod
    def forward(ctx, x, weight, bias, module):
        ctx.module = module
        ctx.save_for_backward(x, weight, bias if bias is not None else torch.empty(0))
        ctx.has_bias = bias is not None
        y = module._hardware(x)
        ramp = module._ramp()
        if ramp < 1.0:  # the hardware's deviation from the float layer, ramped in
            y_float = module._float(x, weight, bias)
            y = y_float + ramp * (y - y_float)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        with torch.enable_grad():
            xs = x.detach().requires_grad_(ctx.needs_input_grad[0])
            ws = w.detach().requires_grad_()
            bs = b.detach().requires_grad_() if ctx.has_bias else None
            y = ctx.module._float(xs, ws, bs)
            wrt = [t for t in (xs, ws, bs) if t is not None and t.requires_grad]
            grads = iter(torch.autograd.grad(y, wrt, g))
        gx = next(grads) if xs.requires_grad else None
        gw = next(grads)
        gb = next(grads) if ctx.has_bias else None
        return gx, gw, gb, None


class _AnalogBase(nn.Module):
    """One torch layer on tiles: `source` keeps the float weights (trained by
    the optimizer); the tiles are built per input shape when first read."""

    def __init__(self, source, name, index, config):
        super().__init__()
        self.source = source
        self.name = name
        self.config = config
        self._index = index
        self._tiles = {}  # per-sample input shape -> (AnalogLayer, weights' version)
        self._seed = None
        self._trial = 0
        self._steps = 0
        self.t_s = 0.0
        self.compensate = True
        self.calibrating = False
        self.digital = False  # run the float layer instead (evaluate's float pass)
        self.clip_sigma = None  # hardware-aware training: see AnalogModel.hardware_aware
        self.ramp_steps = 0
        self.weight_noise = 0.0

    # -- subclasses: the layer's xbarsim form -----------------------------------
    def _layer(self):
        raise NotImplementedError

    def _unrolled(self, weight):
        raise NotImplementedError

    def _float(self, x, weight, bias):
        raise NotImplementedError

    # -- programming ------------------------------------------------------------
    def program(self, seed=0, trial=0):
        """Forget the tiles; the next forward programs them with device draws
        keyed by (seed, this layer, trial)."""
        if not (0 <= int(seed) < 2 ** 41):
            raise ValueError(f"seed {seed}: expected an integer in [0, 2^41)")
        self._seed, self._trial, self._tiles = int(seed), int(trial), {}

    def _config(self):
        cfg = copy.deepcopy(self.config)
        cfg["seed"] = self._seed * _MAX_MODULES + self._index  # a stream of its own per layer
        return cfg

    def _tile(self, shape, trial, training_read=False):
        w = self.source.weight
        tile = self._tiles.get(shape)
        if tile is not None and tile[1] == w._version:
            return tile[0]
        if tile is not None and not self.training:
            raise RuntimeError(f"{self.name}: the float weights changed since program(); call "
                               "program() again to put them on the tiles")
        bias = self.source.bias
        unrolled = self._unrolled(w.detach())
        if training_read and self.weight_noise > 0:
            unrolled = unrolled + self._weight_noise(unrolled, trial)
        layer = _xbarsim.AnalogLayer(
            self._layer(), list(shape), unrolled,
            None if bias is None else bias.detach().double().numpy(), self._config(), trial)
        self._tiles[shape] = (layer, w._version)
        return layer

    def _weight_noise(self, w, trial):
        """Gaussian noise of std weight_noise * max|w| for one training read,
        from a Philox stream keyed by (seed, layer, read): the same draws for
        the same seed, whatever else ran."""
        key = np.random.SeedSequence([_WEIGHT_NOISE_PURPOSE, self._seed, self._index, trial])
        rng = np.random.Generator(np.random.Philox(key))
        return rng.standard_normal(w.shape) * (self.weight_noise * float(np.abs(w).max()))

    def _ramp(self):
        if not self.training or self.ramp_steps <= 0:
            return 1.0
        return min(1.0, self._steps / self.ramp_steps)

    def _clip(self):
        """Clamps the float weights to +-clip_sigma standard deviations of
        the layer's weights, in place (before each training step's read)."""
        with torch.no_grad():
            w = self.source.weight
            bound = self.clip_sigma * float(w.std())
            if bound > 0:
                w.clamp_(-bound, bound)

    def _hardware(self, x):
        if self._seed is None:
            raise RuntimeError(f"{self.name}: call program() before running the model")
        shape = tuple(x.shape[1:])
        if self.training:  # fresh tiles (and device draws) from the current weights
            self._tiles.pop(shape, None)
            self._steps += 1
            layer = self._tile(shape, self._trial * 1_000_003 + self._steps, training_read=True)
            del self._tiles[shape]  # a training read's draws: eval programs the trial's own
        else:
            layer = self._tile(shape, self._trial)
        v = x.detach().reshape(x.shape[0], -1).double().numpy()
        # Calibrating reads the inputs once: the ranges are set, then read through.
        y = layer.calibrate(v) if self.calibrating else layer.run(v, self.t_s, self.compensate)
        return torch.from_numpy(y).to(x.dtype).reshape(x.shape[0], *layer.info["out_shape"])

    def forward(self, x):
        if self.digital:
            return self.source(x)
        if not torch.isfinite(x).all():
            raise ValueError(f"{self.name}: inputs are not finite (NaN or inf)")
        if self.training and self.clip_sigma:
            self._clip()
        return _Hardware.apply(x, self.source.weight, self.source.bias, self)

    # state_dict: the float weights are the source's; the config and the
    # programming (seed, trial) ride along, and since programming is a pure
    # function of weights, config, seed and trial, loading them reproduces
    # the programmed conductances exactly.
    def get_extra_state(self):
        return {"config": self.config, "seed": self._seed, "trial": self._trial,
                "t_s": self.t_s, "compensate": self.compensate,
                "clip_sigma": self.clip_sigma, "ramp_steps": self.ramp_steps,
                "weight_noise": self.weight_noise}

    def set_extra_state(self, state):
        self.config = state["config"]
        self.t_s, self.compensate = state["t_s"], state["compensate"]
        self.clip_sigma, self.ramp_steps = state["clip_sigma"], state["ramp_steps"]
        self.weight_noise = state["weight_noise"]
        self._tiles = {}
        self._seed, self._trial = state["seed"], state["trial"]

    def actions(self):
        """What this layer's tiles did since programming, per input shape."""
        return {str(list(s)): t[0].actions() for s, t in self._tiles.items()}

    def info(self):
        return {str(list(s)): t[0].info for s, t in self._tiles.items()}

    def _smallest_input(self):
        raise NotImplementedError

    def conductances(self, t_s=0.0):
        """The programmed blocks' conductances (uS) t_s after programming
        (AnalogLayer.conductances). They do not depend on the input shape, so
        before any read the tiles are programmed for the smallest input."""
        if self._seed is None:
            raise RuntimeError(f"{self.name}: call program() before reading conductances")
        if self._tiles:
            shape = next(iter(self._tiles))
        else:
            shape = self._smallest_input()
        return self._tile(shape, self._trial).conductances(t_s)


class AnalogLinear(_AnalogBase):
    def _layer(self):
        return {"type": "linear", "out_features": self.source.out_features,
                "bias": self.source.bias is not None}

    def _unrolled(self, weight):
        return weight.double().numpy().T  # (in, out)

    def _float(self, x, weight, bias):
        return F.linear(x, weight, bias)

    def _smallest_input(self):
        return (self.source.in_features,)


class AnalogConv2d(_AnalogBase):
    def __init__(self, source, name, index, config):
        super().__init__(source, name, index, config)
        if source.padding_mode != "zeros":
            raise ValueError(f"{name}: padding_mode {source.padding_mode!r}; xbarsim maps "
                             "zero-padded convolutions (exclude it to keep it digital)")

    def _pads(self):
        s = self.source
        if s.padding == "valid":
            return [0, 0, 0, 0]
        if s.padding == "same":  # torch's split: the extra pixel at the end
            total = [d * (k - 1) for d, k in zip(s.dilation, s.kernel_size)]
            return [total[0] // 2, total[1] // 2, total[0] - total[0] // 2,
                    total[1] - total[1] // 2]
        return [s.padding[0], s.padding[1], s.padding[0], s.padding[1]]

    def _layer(self):
        s = self.source
        return {"type": "conv2d", "out_channels": s.out_channels,
                "kernel_shape": list(s.kernel_size), "strides": list(s.stride),
                "pads": self._pads(), "dilations": list(s.dilation), "groups": s.groups,
                "bias": s.bias is not None}

    def _unrolled(self, weight):
        return weight.double().numpy().reshape(weight.shape[0], -1).T  # im2col rows x out

    def _float(self, x, weight, bias):
        s = self.source
        return F.conv2d(x, weight, bias, s.stride, s.padding, s.dilation, s.groups)

    def _smallest_input(self):
        s = self.source
        return (s.in_channels,) + tuple(d * (k - 1) + 1 for d, k in zip(s.dilation, s.kernel_size))


class AnalogModel(nn.Module):
    """A converted model: `model` with its Linear/Conv2d layers on tiles."""

    def __init__(self, model, layers=None, exclude=()):
        super().__init__()
        self.model = model
        # What convert() was given, so ppa() prices the same per-layer hardware.
        self.layer_overrides = dict(layers or {})
        self.excluded = tuple(exclude)

    def forward(self, *args, **kwargs):
        return self.model(*args, **kwargs)

    def analog_layers(self):
        return {m.name: m for m in self.model.modules() if isinstance(m, _AnalogBase)}

    def program(self, seed=0, trial=0):
        """Program every analog layer (on its next forward) with the draws of
        (seed, layer, trial): trials are independent device draws."""
        for m in self.analog_layers().values():
            m.program(seed, trial)
        return self

    def read_time(self, t_s, compensate=True):
        """Read t_s seconds after programming (drift), with or without the
        configured drift compensation."""
        if not (math.isfinite(t_s) and t_s >= 0):
            raise ValueError(f"t_s {t_s}: expected a finite time >= 0 s after programming")
        for m in self.analog_layers().values():
            m.t_s, m.compensate = float(t_s), compensate
        return self

    @torch.no_grad()
    def calibrate(self, data, samples=256):
        """Set every layer's DAC/ADC ranges from inputs (a tensor, or a loader
        of (inputs, labels)), layer by layer on what the tiles before it give,
        read right after programming."""
        x = _first_samples(data, samples)
        layers = self.analog_layers().values()
        t = {m: (m.t_s, m.compensate) for m in layers}
        was = self.training
        self.eval()
        try:
            for m in layers:
                m.calibrating, m.t_s = True, 0.0
            self.model(x)
        finally:
            for m in layers:
                m.calibrating = False
                m.t_s, m.compensate = t[m]
            self.train(was)
        return self

    def hardware_aware(self, clip_sigma=None, ramp_steps=0, weight_noise=0.0):
        """Options for training in train() mode (hardware-aware training).
        clip_sigma: before each step's read, clamp every analog layer's float
        weights to +-clip_sigma standard deviations of that layer's weights
        (aihwkit's LAYER_GAUSSIAN clip; its examples use 2.5), so no outlier
        sets the layer's conductance scale. ramp_steps: over a layer's first
        ramp_steps training reads its output moves linearly from the float
        layer's to the hardware's (y_float + min(1, step / ramp_steps) *
        (y_hw - y_float)), so training starts from the float solution.
        weight_noise: each training read programs the tiles with the weights
        plus Gaussian noise of std weight_noise * max|w| of the layer (drawn
        afresh per read, on top of the device's own programming error), so
        training sees more deviation than the hardware gives (aihwkit's
        ADD_NORMAL weight modifier, relative to the actual maximum)."""
        if clip_sigma is not None and not (math.isfinite(clip_sigma) and clip_sigma > 0):
            raise ValueError(f"clip_sigma {clip_sigma}: expected a finite number > 0 "
                             "(standard deviations), or None for no clipping")
        if int(ramp_steps) != ramp_steps or ramp_steps < 0:
            raise ValueError(f"ramp_steps {ramp_steps}: expected an integer >= 0")
        if not (math.isfinite(weight_noise) and weight_noise >= 0):
            raise ValueError(f"weight_noise {weight_noise}: expected a finite number >= 0 "
                             "(a fraction of the layer's largest |weight|)")
        for m in self.analog_layers().values():
            m.clip_sigma, m.ramp_steps = clip_sigma, int(ramp_steps)
            m.weight_noise = float(weight_noise)
        return self

    def conductances(self, t_s=0.0):
        """Every analog layer's programmed conductances (uS) t_s after
        programming: {layer name: [one dict per block: group, rows and cols
        (the unrolled weight's [start, stop) it holds: rows in im2col order,
        columns the outputs), and its crossbars g_pos/g_neg (differential),
        or g/g_ref (offset), _s<k> per slice]}."""
        if not (math.isfinite(t_s) and t_s >= 0):
            raise ValueError(f"t_s {t_s}: expected a finite time >= 0 s after programming")
        return {n: m.conductances(t_s) for n, m in self.analog_layers().items()}

    def digital(self, on=True):
        """Run every analog layer as its float layer (on=True) or on tiles."""
        for m in self.analog_layers().values():
            m.digital = on
        return self

    def actions(self):
        """Each analog layer's tile actions (counts, energy_pj, latency_ns)."""
        return {n: m.actions() for n, m in self.analog_layers().items()}


def _first_samples(data, n):
    if isinstance(data, torch.Tensor):
        return data[:n]
    parts, have = [], 0
    for batch in data:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        parts.append(x)
        have += x.shape[0]
        if have >= n:
            break
    if not parts:
        raise ValueError("calibration data is empty")
    return torch.cat(parts)[:n]


def convert(model, config=None, layers=None, exclude=()):
    """A copy of model whose nn.Linear and nn.Conv2d run on xbarsim tiles.

    config: a tile config (dict or JSON path; a full xbarsim config works too:
    its tile keys are used). layers: per-layer overrides by module name, e.g.
    {"fc": {"adc": {"bits": 10}}}. exclude: module names kept digital."""
    base = _load_config(config)
    for key in ("network", "evaluation"):  # the model is the network
        base.pop(key, None)
    layers = dict(layers or {})
    model = copy.deepcopy(model)
    names = dict(model.named_modules())
    unknown = sorted(set(layers) - set(names)) + sorted(set(exclude) - set(names))
    if unknown:
        raise ValueError(f"no module named {', '.join(unknown)}; modules: "
                         f"{', '.join(n for n in names if n)}")
    not_matrix = [f"{n} ({type(names[n]).__name__})" for n in layers
                  if not isinstance(names[n], (nn.Linear, nn.Conv2d)) or n in exclude]
    if not_matrix:
        raise ValueError(f"layers: overrides apply to the nn.Linear and nn.Conv2d modules on "
                         f"tiles, not {', '.join(not_matrix)}")
    unmapped = [f"{n} ({type(m).__name__})" for n, m in names.items()
                if isinstance(m, _UNMAPPED) and n not in exclude]
    if unmapped:
        raise ValueError(f"xbarsim maps nn.Linear and nn.Conv2d; these layers have no crossbar "
                         f"mapping: {', '.join(unmapped)} (exclude=[...] keeps them digital)")
    index = 0
    for name, m in list(names.items()):
        if name in exclude or not isinstance(m, (nn.Linear, nn.Conv2d)):
            continue
        if index >= _MAX_MODULES:
            raise ValueError(f"more than {_MAX_MODULES} layers to map")
        cfg = _merge(base, layers.get(name, {}))
        cls = AnalogLinear if isinstance(m, nn.Linear) else AnalogConv2d
        analog = cls(m, name, index, cfg).train(m.training)
        index += 1
        parent, _, attr = name.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, attr, analog)
    if index == 0:
        raise ValueError("the model has no nn.Linear or nn.Conv2d to map (or all are excluded)")
    # Validate every layer's config now (a bad key fails here, not mid-run).
    for m in model.modules():
        if isinstance(m, _AnalogBase):
            _xbarsim.check_config(m.config)
    return AnalogModel(model, layers, exclude).train(model.training)


def _accuracy(model, loader):
    right = total = 0
    with torch.no_grad():
        for x, y in loader:
            right += int((model(x).argmax(1) == y).sum())
            total += int(y.shape[0])
    return right / total if total else float("nan")


def evaluate(analog, loader, times_s=(1.0,), trials=1, seed=0, calibration=None,
             calibration_samples=256):
    """Accuracy of the converted model over loader's (inputs, labels): float,
    then for every trial (independent device draws) programmed, calibrated
    (on `calibration`, else the loader's first samples) and read at each time.
    The same block as the CLI report's accuracy: float, nonideal [{t_s, mean,
    std, sem, trials}] (fractions of 1)."""
    if trials < 1 or not times_s:
        raise ValueError("evaluate needs trials >= 1 and at least one time")
    was = analog.training
    analog.eval()
    try:
        analog.digital(True)
        acc_float = _accuracy(analog, loader)
        analog.digital(False)
        per_time = [[] for _ in times_s]
        for trial in range(trials):
            analog.program(seed, trial)
            analog.calibrate(calibration if calibration is not None else loader,
                             calibration_samples)
            for k, t in enumerate(times_s):
                analog.read_time(t)
                per_time[k].append(_accuracy(analog, loader))
    finally:
        analog.digital(False)
        analog.train(was)
    rows = []
    for t, v in zip(times_s, per_time):
        a = np.asarray(v)
        std = float(a.std(ddof=1)) if a.size > 1 else 0.0
        rows.append({"t_s": float(t), "mean": float(a.mean()), "std": std,
                     "sem": std / math.sqrt(a.size), "trials": [float(x) for x in a]})
    return {"float": acc_float, "nonideal": rows}


def _float_copy(analog):
    """The float model inside a converted one (each analog layer's source)."""
    tiles = {m: m._tiles for m in analog.analog_layers().values()}  # compiled: not copyable
    try:
        for m in tiles:
            m._tiles = {}
        model = copy.deepcopy(analog.model)
    finally:
        for m, t in tiles.items():
            m._tiles = t
    for name, m in list(model.named_modules()):
        if isinstance(m, _AnalogBase):
            parent, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, attr, m.source)
    return model


def _onnx_layers(path, modules, what):
    """The exported graph's matrix-layer name of each torch module name: the
    importer names a node /a/b/Conv "a_b_Conv" (Gemm or MatMul for Linear)."""
    matrix = [l["name"] for l in _xbarsim.Network({"onnx": path}).layers
              if l["type"] in ("conv2d", "linear")]
    out = {}
    for name in modules:
        prefix = name.replace(".", "_")
        hits = [l for l in matrix if l in (f"{prefix}_Conv", f"{prefix}_Gemm", f"{prefix}_MatMul")]
        if len(hits) != 1:
            raise ValueError(f"{what} {name!r}: no single layer of the exported graph comes from "
                             f"it (looked for {prefix}_Conv/_Gemm/_MatMul); its matrix layers: "
                             f"{', '.join(matrix)}")
        out[name] = hits[0]
    return out


def ppa(model, example_input, config=None, opset=13, layers=None, exclude=()):
    """The PPA report `xbarsim run` gives for model (a torch model, or a
    converted one's float layers): exported to ONNX by torch's exporter as
    {"onnx": ..., "name": the model's class name}, imported by the C++ engine
    and priced with config's chip. layers and exclude are convert()'s (by
    module name): per-layer tile overrides, and layers priced on the digital
    units; a converted model brings its own."""
    cfg = _load_config(config)
    if isinstance(model, AnalogModel):
        layers = {**model.layer_overrides, **dict(layers or {})}
        exclude = tuple(model.excluded) + tuple(exclude)
        source = _float_copy(model)
    else:
        layers, source = dict(layers or {}), model
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        was = source.training
        source.eval()
        try:
            torch.onnx.export(source, example_input, path, opset_version=opset)
        finally:
            source.train(was)
        names = dict(source.named_modules())
        exclude = [n for n in exclude if isinstance(names.get(n), (nn.Linear, nn.Conv2d))]
        onnx_name = _onnx_layers(path, list(layers) + exclude, "layer")
        overrides = dict(cfg.get("layers") or {})
        for n, over in layers.items():
            overrides[onnx_name[n]] = _merge(overrides.get(onnx_name[n], {}), over)
        for n in exclude:
            overrides[onnx_name[n]] = {"digital": True}
        if overrides:
            cfg["layers"] = overrides
        cfg["network"] = {"onnx": path, "name": type(source).__name__}
        cfg["evaluation"] = None
        return _xbarsim.run(cfg)["ppa"]
