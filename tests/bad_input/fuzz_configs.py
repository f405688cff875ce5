#!/usr/bin/env python3
"""Seeded generative fuzzer for the xbarsim CLI's config handling (standard library only).

Usage:  fuzz_configs.py XBARSIM [--cases N] [--seed S] [--keep DIR] [--jobs J]
                        [--run-fraction F] [--only K [K ...]] [--sanitized]

Every case is a seed config with a few random mutations, written to a file and
given to `xbarsim config check FILE` (timeout 20 s). Seeds are the JSON files under
configs/ (top-level and chips/ files as they are, sweeps/' "base" objects,
networks/ wrapped as {"network": ...}, devices/ as {"device": ...}) and the tile
configs in tests/bad_input/configs/ that parse as JSON objects.

Mutations: delete a key; add an unknown or near-typo key; change a value's type;
edge numbers (0, -1, 1e308, 5e-324, 2^53+1, 2^64, raw 1e999, huge ints as strings);
edge strings ("", unknown words, 5,000 characters, embedded NUL, non-ASCII, lone
surrogates); edge lists ([], 10^4 numbers); a component's "impl" set to another
valid variant (from `xbarsim config schema --json`) or a bogus one; "network" set
to a zoo name or a mangled layer list; duplicated nesting; deep nesting (< 2,000
levels).

A case fails when the process dies by a signal or times out; exits with anything
but 0 or 2 (exit 1 is a failure too: config check does no work); on exit 2 prints
anything on stdout or anything but exactly one line starting "xbarsim: error: " on
stderr; on exit 0 prints stdout that is not one JSON object (finite numbers only),
or stderr lines other than "xbarsim: warning: ...".

Some accepted cases without a network are also run: the array cut to at most
32 x 32, evaluation {"batch": 4, "trials": 1, "times_s": [0, 1]}, `xbarsim run FILE
-q -o report.json` (timeout 30 s). That must exit 0 with a report free of NaN and
infinities (nan, inf, and null outside the report's "config" echo, since nlohmann::json
writes non-finite numbers as null), or 2 with the one-line error, or 1 with a one-line "did not converge".

The cases depend on the seed alone (the same cases on every run, any --jobs).
Children run under a 6 GB address-space limit (with --sanitized, for an ASan build:
a 6 GB resident-set limit), so a runaway allocation shows up as
a failure instead of taking the machine. Every failing config is saved under
--keep (default: a new directory in the system temp dir, printed). Exit status:
0 no failure, 1 failures, 2 usage error.
"""
import argparse
import copy
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # the source tree: relative data paths resolve here
ERROR = "xbarsim: error: "
WARNING = "xbarsim: warning: "
CHECK_TIMEOUT_S = 20
RUN_TIMEOUT_S = 30
DEFAULT_CASES = 600
DEFAULT_SEED = 1
RUN_FRACTION = 0.5
MEM_LIMIT_BYTES = 6 << 30
MAX_TIMEOUTS = 6  # stop launching cases after this many time-outs (bounded time)
MAX_DEPTH = 1990  # total nesting depth of a generated config stays below this
ZOO = ["lenet5", "mlp_mnist", "vgg8", "resnet18"]
RUN_EVALUATION = {"batch": 4, "trials": 1, "times_s": [0, 1]}
LAYER_TYPES = ["conv2d", "linear", "relu", "maxpool", "avgpool", "flatten", "batchnorm",
               "add", "tanh", "sigmoid", "gelu"]
LAYER_INT_KEYS = ["out_channels", "out_features", "kernel", "stride", "padding"]
RAW_MARK = "@@xbarsim-fuzz-raw-%d@@"

# ------------------------------------------------------------------ values

EDGE_NUMBERS = [0, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 2 ** 64, 1e-300, -0.0, 0.5, 1.5,
                2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, 16777216, 3]
HUGE_INT_STRINGS = ["18446744073709551617", "9007199254740993", "99999999999999999999999999",
                    "-9223372036854775809", "1e308", "1e999", "0x10", "8", "-1", " 8", "NaN",
                    "Infinity"]
RAW_NUMBERS = ["1e999", "-1e999", "1e-999", "1E+400", "123456789012345678901234567890",
               "-0", "0e0", "9223372036854775807", "9223372036854775808",
               "-9223372036854775809", "18446744073709551616", "2.4703282292062327e-324",
               "4.9e-324", "1.7976931348623158e308", "1.7976931348623159e308",
               "0.000000000000000000000000000000000000000000000001e40"]
RAW_STRINGS = ['"\\ud800"', '"x\\udc00y"', '"\\ud83d\\ude00"', '"\\u0000"', '"a\\u0000b"',
               '"\\uFFFF"', '"\\u00e9"']
ODD_STRINGS = ["", " ", "\u00b5S", "\u03a9", "\u65e5\u672c\u8a9e", "\U0001f600", "\u202eevil",
               "\uff11\uff12\uff18", "caf\u00e9", "\ufeffsar", "true", "null", "0", "1e3",
               "../../../etc/passwd", "two\nlines", "cr\rhere", "tab\there", "/dev/zero", "/dev/stdin", "%s%n%x", "{}", "[]"]


def rand_word(rng):
    n = rng.randint(1, 12)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(n))


def near_typo(rng, word):
    """A one-edit (or case/space) variant of word that differs from it."""
    for _ in range(10):
        w = word
        op = rng.randrange(8)
        i = rng.randrange(len(w)) if w else 0
        if op == 0 and len(w) > 1:
            w = w[:i] + w[i + 1:]
        elif op == 1:
            w = w[:i] + rng.choice("aeiorstnl_") + w[i:]
        elif op == 2 and len(w) > 1:
            j = min(i + 1, len(w) - 1)
            w = w[:i] + w[j] + w[i] + w[j + 1:] if i != j else w[:-2] + w[-1] + w[-2]
        elif op == 3:
            w = w.upper() if rng.random() < 0.5 else w.capitalize()
        elif op == 4:
            w = w + rng.choice([" ", "s", "_", "\t"])
        elif op == 5:
            w = w.replace("_", rng.choice(["-", "", " ", "__"]))
        elif op == 6 and w:
            w = w[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + w[i + 1:]
        else:
            w = w + "_" + rng.choice(["us", "ns", "ohm", "v", "x"])
        if w != word:
            return w
    return word + "x"


def random_object(rng, case):
    """(path, node) of a randomly chosen object inside the case's config, or None."""
    cands = [p for p in paths(case.config) if isinstance(get(case.config, p), dict)]
    if not cands:
        return None
    p = rng.choice(cands)
    return p, get(case.config, p)


class Case:
    def __init__(self, index, case_seed):
        self.index = index
        self.case_seed = case_seed
        self.seed_name = ""
        self.mutations = []
        self.config = None
        self.raw = {}  # marker number -> raw JSON text spliced in on writing
        self.do_run = False
        self.text = self.run_text = None  # the JSON written for config check / for run
        self.accepted = self.ran = False

    def raw_token(self, text):
        n = len(self.raw)
        self.raw[n] = text
        return RAW_MARK % n


def dump(case, obj, rng):
    text = json.dumps(obj, ensure_ascii=rng.random() < 0.5, allow_nan=False)
    for n, raw in case.raw.items():
        text = text.replace(json.dumps(RAW_MARK % n), raw)
    return text + "\n"


# ------------------------------------------------------------------ schema


class Schema:
    def __init__(self, data):
        self.variants = {}  # component -> [impl names]
        self.keys = set()
        self.choices = set()
        self.components = []
        self.ranges = {}  # key -> [(type, min, max, min_exclusive)] over every component
        self.key_choices = {}  # key -> its choices
        for comp, node in data.items():
            names = [v for v in node.get("variants", {}) if not v.startswith("(")]
            if not comp.startswith("("):
                self.components.append(comp)
            if names:
                self.variants[comp] = sorted(names)
            for var in node.get("variants", {}).values():
                for p in var.get("params", []):
                    self.keys.add(p["name"])
                    if p.get("type") in ("integer", "number"):
                        self.ranges.setdefault(p["name"], []).append(
                            (p["type"], p.get("min"), p.get("max"), p.get("min_exclusive", False)))
                    if p.get("choices"):
                        self.key_choices.setdefault(p["name"], set()).update(p["choices"])
                    for c in p.get("choices", []):
                        self.choices.add(c)
        self.keys = sorted(self.keys)
        self.choices = sorted(self.choices)
        self.components = sorted(set(self.components))


def load_schema(binary):
    p = run_process([binary, "config", "schema", "--json"], ROOT, CHECK_TIMEOUT_S)
    if p is None or p.returncode != 0:
        raise SystemExit("fuzz_configs.py: `xbarsim config schema --json` failed")
    return Schema(json.loads(p.stdout.decode("utf-8")))


# ------------------------------------------------------------------ seeds


def _reject_constant(name):
    raise ValueError("non-finite literal " + name)


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def read_json(path):
    with open(path, "rb") as f:
        data = f.read()
    return json.loads(data.decode("utf-8"), parse_constant=_reject_constant,
                      object_pairs_hook=_no_duplicates)


def json_files(d):
    d = os.path.join(ROOT, d)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".json"))


def load_seeds():
    seeds = []  # (name, config)

    def add(path, wrap=None, base=False):
        try:
            obj = read_json(path)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return
        if base:
            obj = obj.get("base") if isinstance(obj, dict) else None
        if wrap:
            obj = {wrap: obj}
        if isinstance(obj, dict):
            seeds.append((os.path.relpath(path, ROOT), obj))

    for path in json_files("configs") + json_files("configs/chips"):
        add(path)
    for path in json_files("configs/sweeps"):
        add(path, base=True)
    for path in json_files("configs/networks"):
        add(path, wrap="network")
    for path in json_files("configs/devices"):
        add(path, wrap="device")
    networks = [obj["network"] for name, obj in seeds if name.startswith("configs/networks")]
    for path in json_files("tests/bad_input/configs"):
        add(path)
    return seeds, networks


# ------------------------------------------------------------------ tree paths


def paths(node, prefix=(), out=None):
    """Every node's path (lists longer than 16: their first 4 and last element)."""
    if out is None:
        out = []
    out.append(prefix)
    if len(prefix) > 40:
        return out
    if isinstance(node, dict):
        for k in node:
            paths(node[k], prefix + (k,), out)
    elif isinstance(node, list):
        idx = range(len(node)) if len(node) <= 16 else list(range(4)) + [len(node) - 1]
        for i in idx:
            paths(node[i], prefix + (i,), out)
    return out


def get(node, path):
    for k in path:
        node = node[k]
    return node


def put(root, path, value):
    """Set the node at path; returns the new root (path () replaces it)."""
    if not path:
        return value
    get(root, path[:-1])[path[-1]] = value
    return root


def name(path):
    return ".".join(str(k) for k in path) if path else "(top level)"


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def short(v):
    if isinstance(v, str):
        if v.startswith("@@xbarsim-fuzz-raw-"):
            return "<raw>"
        return repr(v) if len(v) <= 24 else "<%d-char string>" % len(v)
    if isinstance(v, list) and len(v) > 6:
        return "<%d-element list>" % len(v)
    text = json.dumps(v, allow_nan=False) if not isinstance(v, float) else repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


# ------------------------------------------------------------------ mutations


class Mutator:
    def __init__(self, schema, networks, presets):
        self.schema = schema
        self.networks = networks
        self.presets = presets

    def other_value(self, rng, case, old):
        """A value of a different JSON type than old."""
        kinds = ["string", "list", "null", "object", "bool", "nested", "number", "raw"]
        for _ in range(10):
            k = rng.choice(kinds)
            if k == "string" and not isinstance(old, str):
                return rng.choice([rand_word(rng), str(old)[:20], "1", ""])
            if k == "list" and not isinstance(old, list):
                return rng.choice([[], [old], [1, 2, 3], ["a"]])
            if k == "null" and old is not None:
                return None
            if k == "object" and not isinstance(old, dict):
                return rng.choice([{}, {"value": old}, {"impl": rand_word(rng)}])
            if k == "bool" and not isinstance(old, bool):
                return rng.choice([True, False])
            if k == "nested":
                return [[1, [2, [3]]], [[]]] if rng.random() < 0.5 else [[old]]
            if k == "number" and not is_number(old):
                return rng.choice(EDGE_NUMBERS)
            if k == "raw":
                return case.raw_token(rng.choice(RAW_NUMBERS + RAW_STRINGS))
        return None

    # Each returns a description or None (not applicable).

    def delete_key(self, rng, case):
        cands = [p for p in paths(case.config) if p and isinstance(get(case.config, p[:-1]), dict)]
        if not cands:
            return None
        p = rng.choice(cands)
        del get(case.config, p[:-1])[p[-1]]
        return "delete %s" % name(p)

    def add_key(self, rng, case):
        picked = random_object(rng, case)
        if picked is None:
            return None
        p, node = picked
        r = rng.random()
        if r < 0.45 and node:
            key = near_typo(rng, rng.choice(sorted(node)))
        elif r < 0.7:
            key = near_typo(rng, rng.choice(self.schema.keys))
        elif r < 0.8:
            key = rng.choice(self.schema.keys + self.schema.components)  # real key, wrong place
        elif r < 0.9:
            key = rng.choice(["", " ", "\u0000", "a\u0000b", "\u00b5", "x" * 5000, "impl ", "new\nline", "\r",
                              "__proto__", "$ref", "."])
        else:
            key = rand_word(rng)
        if key in node:
            key = key + "_"
        node[key] = rng.choice([1, "x", None, True, [], {}, 0.5, rand_word(rng)])
        return "add key %s.%r" % (name(p), key if len(key) < 30 else "<%d chars>" % len(key))

    def retype(self, rng, case):
        cands = [p for p in paths(case.config) if p]
        if not cands:
            return None
        p = rng.choice(cands)
        old = get(case.config, p)
        new = self.other_value(rng, case, old)
        case.config = put(case.config, p, new)
        return "retype %s: %s -> %s" % (name(p), short(old), short(new))

    def number(self, rng, case):
        cands = [p for p in paths(case.config) if p and is_number(get(case.config, p))]
        if not cands:
            return None
        p = rng.choice(cands)
        r = rng.random()
        if r < 0.65:
            new = rng.choice(EDGE_NUMBERS)
        elif r < 0.85:
            new = rng.choice(HUGE_INT_STRINGS)
        else:
            new = case.raw_token(rng.choice(RAW_NUMBERS))
        old = get(case.config, p)
        put(case.config, p, new)
        shown = case.raw[len(case.raw) - 1] if isinstance(new, str) and new.startswith("@@") \
            else short(new)
        return "number %s: %s -> %s" % (name(p), short(old), shown)

    def string(self, rng, case):
        cands = [p for p in paths(case.config) if p and isinstance(get(case.config, p), str)]
        if not cands:
            return None
        p = rng.choice(cands)
        old = get(case.config, p)
        r = rng.random()
        if r < 0.15:
            new = ""
        elif r < 0.3:
            new = rand_word(rng)
        elif r < 0.4:
            new = "".join(rng.choice("abcdefghij \u00e9") for _ in range(5000))
        elif r < 0.5:
            new = old + "\u0000" + rand_word(rng)
        elif r < 0.6:
            new = rng.choice(ODD_STRINGS)
        elif r < 0.72 and old:
            new = near_typo(rng, old)
        elif r < 0.85 and self.schema.choices:
            new = rng.choice(self.schema.choices)  # a valid choice of some other key
        else:
            new = case.raw_token(rng.choice(RAW_STRINGS))
            put(case.config, p, new)
            return "string %s: %s -> raw %s" % (name(p), short(old), case.raw[len(case.raw) - 1])
        put(case.config, p, new)
        return "string %s: %s -> %s" % (name(p), short(old), short(new))

    def list_(self, rng, case):
        cands = [p for p in paths(case.config) if p and isinstance(get(case.config, p), list)]
        if not cands or rng.random() < 0.25:
            # a scalar becomes a list
            cands2 = [p for p in paths(case.config)
                      if p and not isinstance(get(case.config, p), (dict, list))]
            if not cands2:
                return None
            p = rng.choice(cands2)
        else:
            p = rng.choice(cands)
        r = rng.random()
        if r < 0.3:
            new, what = [], "[]"
        elif r < 0.7:
            new = [round(rng.uniform(-1e6, 1e6), 3) for _ in range(10000)]
            what = "10^4 numbers"
        elif r < 0.85:
            new, what = [rng.randint(0, 3)] * 10000, "10^4 equal ints"
        else:
            old = get(case.config, p)
            new = [old] * rng.randint(2, 5)
            what = "repeated"
        put(case.config, p, new)
        return "list %s -> %s" % (name(p), what)

    def impl(self, rng, case):
        if not isinstance(case.config, dict):
            return None
        comps = ["device", "mapping", "dac", "adc", "solver", "read_noise", "shift_add", "array"]
        comp = rng.choice(comps)
        node = case.config.get(comp)
        if not isinstance(node, dict):
            node = {}
            case.config[comp] = node
        variants = self.schema.variants.get(comp, [])
        r = rng.random()
        if comp == "device" and r < 0.2:
            new = rng.choice(self.presets + [rand_word(rng), ""])
            node["preset"] = new
            return "device.preset = %r" % new
        if variants and r < 0.75:
            others = [v for v in variants if v != node.get("impl")] or variants
            new = rng.choice(others)
        elif r < 0.85:
            pool = [v for vs in self.schema.variants.values() for v in vs]
            new = rng.choice(pool) if pool else rand_word(rng)  # another component's variant
        else:
            new = rng.choice([rand_word(rng), "", "SAR", "ideal ", 7, None, ["sar"]])
        node["impl"] = new
        return "%s.impl = %s" % (comp, short(new))

    def mangle_layers(self, rng, net, log):
        layers = net.get("layers")
        if not isinstance(layers, list):
            return
        for _ in range(rng.randint(1, 3)):
            r = rng.random()
            layer_idx = [i for i, l in enumerate(layers) if isinstance(l, dict)]
            if r < 0.3 and layer_idx:
                i = rng.choice(layer_idx)
                key = rng.choice(LAYER_INT_KEYS)
                v = rng.choice([16777216, 0, -1, 2 ** 31, 2 ** 40, 1.5, "3", 65536, 2 ** 63])
                layers[i][key] = v
                log.append("layer %d.%s = %s" % (i, key, short(v)))
            elif r < 0.45:
                v = rng.choice([[16777216], [0, 28, 28], [1, 2, 2], [], [1, 28], [3, 16777216,
                                16777216], [1, 65536, 65536], [-1, 28, 28], [1, 1, 1],
                                [2 ** 31, 1, 1], [1, 28, 28, 28]])
                net["input"] = v
                log.append("input = %s" % short(v))
            elif r < 0.55:
                convs = [i for i in layer_idx if layers[i].get("type") in ("conv2d", "maxpool",
                                                                           "avgpool")]
                if convs:
                    i = rng.choice(convs)
                    layers[i]["kernel"] = rng.choice([29, 225, 1000, 2 ** 31])
                    layers[i].pop("padding", None)
                    log.append("layer %d.kernel larger than input" % i)
            elif r < 0.62:
                n = len(layers)
                layers[:] = [l for l in layers if not (isinstance(l, dict)
                                                       and l.get("type") == "flatten")]
                log.append("drop flatten (%d layers removed)" % (n - len(layers)))
            elif r < 0.72:
                i = rng.randrange(len(layers) + 1)
                new = rng.choice([
                    {"type": "add", "from": "nope"},
                    {"type": rand_word(rng)},
                    {"type": "linear", "out_features": 0},
                    {"type": "linear", "out_features": 16777216},
                    {"type": "conv2d", "out_channels": 16777216, "kernel": 1},
                    {"type": "relu", "input": "self_ref", "name": "self_ref"},
                    {"type": "add", "name": "loop", "input": "loop", "from": "loop"},
                    {"type": rng.choice(LAYER_TYPES)},
                    {"type": "maxpool", "kernel": 0},
                    {"type": "avgpool", "kernel": 2, "stride": 0},
                    "relu", None, 3, [],
                ])
                layers.insert(i, new)
                log.append("insert layer %d: %s" % (i, short(new)))
            elif r < 0.8 and layer_idx:
                i = rng.choice(layer_idx)
                j = rng.randrange(len(layers))
                layers[i]["input"] = rng.choice(["nowhere", "", str(j)] +
                                                [l.get("name") for l in layers
                                                 if isinstance(l, dict) and l.get("name")])
                log.append("layer %d.input = %s" % (i, short(layers[i]["input"])))
            elif r < 0.86:
                named = [l for l in layers if isinstance(l, dict) and l.get("name")]
                if named and layer_idx:
                    layers[rng.choice(layer_idx)]["name"] = rng.choice(named)["name"]
                    log.append("duplicate layer name")
            elif r < 0.9:
                n = rng.choice([0, 2000])
                layers[:] = [{"type": "relu"}] * n if n else []
                log.append("layers = %d relus" % n)
            elif r < 0.95 and layer_idx:
                i = rng.choice(layer_idx)
                layers[i]["type"] = rng.choice(LAYER_TYPES + [near_typo(rng, "conv2d")])
                log.append("layer %d.type = %s" % (i, layers[i]["type"]))
            else:
                v = rng.choice([2, "yes", None, 1])
                if layer_idx:
                    layers[rng.choice(layer_idx)]["bias"] = v
                    log.append("bias = %s" % short(v))

    def network(self, rng, case):
        if not isinstance(case.config, dict):
            return None
        r = rng.random()
        if r < 0.25:
            v = rng.choice(ZOO)
            case.config["network"] = v
            return "network = %r" % v
        if r < 0.35:
            v = rng.choice(ZOO + [near_typo(rng, rng.choice(ZOO))])
            case.config["network"] = {"preset": v}
            return "network = {preset: %r}" % v
        if r < 0.4:
            v = rng.choice([near_typo(rng, rng.choice(ZOO)), "", ["lenet5"], 5, {}])
            case.config["network"] = v
            return "network = %s" % short(v)
        cur = case.config.get("network")
        if isinstance(cur, dict) and isinstance(cur.get("layers"), list) and rng.random() < 0.5:
            net = cur
        elif self.networks:
            net = copy.deepcopy(rng.choice(self.networks))
            case.config["network"] = net
        else:
            return None
        log = []
        self.mangle_layers(rng, net, log)
        return "network %s: %s" % (net.get("name", "layers"), "; ".join(log) or "as is")

    def dup_nest(self, rng, case):
        picked = random_object(rng, case)
        if picked is None:
            return None
        p, node = picked
        r = rng.random()
        if r < 0.4 and p:
            case.config = put(case.config, p, {p[-1]: node})  # {"adc": {"adc": {...}}}
            return "nest %s inside itself" % name(p)
        if r < 0.7:
            key = p[-1] if p and isinstance(p[-1], str) else "config"
            node[key] = copy.deepcopy(node)
            return "copy %s into %s.%s" % (name(p), name(p), key)
        comps = [k for k in case.config if isinstance(case.config.get(k), dict)] \
            if isinstance(case.config, dict) else []
        if comps and isinstance(node, dict):
            k = rng.choice(comps)
            node[k] = copy.deepcopy(case.config[k])
            return "copy %s into %s" % (k, name(p))
        return None

    def deep_nest(self, rng, case):
        cands = [p for p in paths(case.config) if p]
        if not cands:
            return None
        p = rng.choice(cands)
        limit = MAX_DEPTH - 8 * (len(p) + 1)  # room for later nest mutations
        edge = 64 - len(p) + rng.choice([-1, 0, 1])  # the reader's limit is 64 levels
        depth = rng.choice([rng.randint(2, 64), edge, edge, rng.randint(100, limit), limit])
        key = p[-1] if isinstance(p[-1], str) else "a"
        kind = rng.randrange(4)
        if kind == 0:
            text = "[" * depth + "1" + "]" * depth
        elif kind == 1:
            text = ('{"a": ' * depth) + "1" + "}" * depth
        elif kind == 2:
            text = (json.dumps({key: 0})[:-2] * depth) + "1" + "}" * depth
        else:
            text = '[{"a": ' * (depth // 2) + "[]" + "}]" * (depth // 2)
        put(case.config, p, case.raw_token(text))
        return "deep nesting at %s: %d levels (kind %d)" % (name(p), depth, kind)

    def plausible(self, rng, case):
        """A schema key set to a boundary of its range or to another of its choices."""
        cands = [p for p in paths(case.config) if p and isinstance(p[-1], str)
                 and (p[-1] in self.schema.ranges or p[-1] in self.schema.key_choices)
                 and not isinstance(get(case.config, p), (dict, list))]
        if not cands:
            return None
        p = rng.choice(cands)
        old = get(case.config, p)
        if p[-1] in self.schema.key_choices:
            new = rng.choice(sorted(self.schema.key_choices[p[-1]]))
        else:
            kind, lo, hi, excl = rng.choice(self.schema.ranges[p[-1]])
            pool = []
            if lo is not None:
                pool += [lo, lo + 1 if kind == "integer" else lo * (1 + 1e-12) + 1e-300,
                         lo - 1 if kind == "integer" else lo - 1e-9]
            if hi is not None:
                pool += [hi, hi - 1 if kind == "integer" else hi * (1 - 1e-12),
                         hi + 1 if kind == "integer" else hi * (1 + 1e-9)]
            if lo is not None and hi is not None:
                pool.append(rng.uniform(lo, hi))
            if is_number(old):
                pool += [old * 10, old / 10.0, old * 1e6]
            pool = [v for v in pool if math.isfinite(v)] or [0, 1, 1e6]
            new = rng.choice(pool)
            if kind == "integer" and isinstance(new, float) and new.is_integer() \
                    and abs(new) < 2 ** 63:
                new = int(new)
            if kind == "integer" and isinstance(new, float) and rng.random() < 0.8:
                new = int(max(min(new, 2 ** 62), -2 ** 62))
        put(case.config, p, new)
        return "boundary %s: %s -> %s" % (name(p), short(old), short(new))

    def mutate(self, rng, case):
        ops = [(self.delete_key, 3), (self.add_key, 3), (self.retype, 3), (self.number, 4),
               (self.string, 2), (self.list_, 1), (self.impl, 4), (self.network, 2),
               (self.dup_nest, 1), (self.deep_nest, 1), (self.plausible, 8)]
        total = sum(w for _, w in ops)
        if isinstance(case.config, dict) and "network" in case.config and rng.random() < 0.3:
            for k in ("network", "chip", "pe", "tile", "evaluation"):
                case.config.pop(k, None)
            case.mutations.append("tile only: drop network, chip, pe, tile, evaluation")
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4, 5])):
            for _attempt in range(5):
                x = rng.uniform(0, total)
                for op, w in ops:
                    x -= w
                    if x <= 0:
                        break
                desc = op(rng, case)
                if desc is not None:
                    case.mutations.append(desc)
                    break


def nesting_depth(text):
    """Deepest bracket nesting of JSON text (brackets inside strings not counted)."""
    depth = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


def make_cases(seed, count, seeds, mutator):
    master = random.Random(seed)
    good = [s for s in seeds if not s[0].startswith("tests/")]
    bad = [s for s in seeds if s[0].startswith("tests/")]
    cases = []
    for i in range(count):
        case = Case(i, master.getrandbits(64))
        rng = random.Random(case.case_seed)
        while True:  # a case nested 2,000 deep or more is drawn again
            # configs/ seeds (valid) 70 % of the time, the bad-input tiles 30 %
            case.seed_name, base = rng.choice(good if rng.random() < 0.7 or not bad else bad)
            case.config, case.raw, case.mutations = copy.deepcopy(base), {}, []
            mutator.mutate(rng, case)
            case.text = dump(case, case.config, rng)
            if nesting_depth(case.text) < 2000:
                break
        case.do_run = rng.random() < RUN_FRACTION
        case.run_text = None
        if case.do_run and isinstance(case.config, dict) and "network" not in case.config:
            cfg = copy.deepcopy(case.config)
            arr = cfg.get("array")
            if not isinstance(arr, dict):
                arr = {}
                cfg["array"] = arr
            for k in ("rows", "cols"):
                v = arr.get(k)
                if not (isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 32):
                    arr[k] = rng.choice([4, 16, 32])
            ev = cfg.get("evaluation")
            cfg["evaluation"] = dict(ev, **RUN_EVALUATION) if isinstance(ev, dict) \
                else dict(RUN_EVALUATION)
            case.run_text = dump(case, cfg, rng)
        cases.append(case)
    return cases


# ------------------------------------------------------------------ running

_wait_lock = threading.Lock()


def run_process(argv, cwd, timeout):
    """subprocess.run with retries while the binary is being relinked; None on time-out."""
    for attempt in range(4):
        if not os.path.exists(argv[0]):
            with _wait_lock:
                for _ in range(60):
                    if os.path.exists(argv[0]):
                        break
                    time.sleep(1)
        try:
            return subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        except OSError:  # ENOENT / ETXTBSY during a relink
            if attempt == 3:
                raise
            time.sleep(10)


def first_line(err):
    text = err.decode("utf-8", "replace")
    return text.splitlines()[0][:300] if text.strip() else ""


def check_error_output(p):
    """None if exit-2/1 output is one clean line, else the reason."""
    if p.stdout:
        return "stdout not empty on exit %d: %r" % (p.returncode, p.stdout[:80])
    err = p.stderr.decode("utf-8", "replace")
    if not err.endswith("\n") or err.count("\n") != 1 or not err.strip():
        return "stderr is not exactly one line on exit %d: %r" % (p.returncode, err[:300])
    if not err.startswith(ERROR):
        return "stderr does not start with %r: %r" % (ERROR, err[:200])
    return None


def non_finite(obj, path="report", nulls=False):
    """Path of the first non-finite number (or "nan"/"inf" string) in obj, else None.

    With nulls, a null counts too: nlohmann::json writes NaN and infinities as null,
    and a tile report has no null of its own (its "config" echo is not searched)."""
    if obj is None:
        return path + " (null: NaN or infinity written as null?)" if nulls else None
    if isinstance(obj, float):
        return path if not math.isfinite(obj) else None
    if isinstance(obj, str):
        return path if obj.strip().lower().lstrip("+-") in ("nan", "inf", "infinity") else None
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list):
        items = enumerate(obj)
    else:
        return None
    for k, v in items:
        if nulls and path == "report" and k == "config":
            continue
        r = non_finite(v, "%s.%s" % (path, k), nulls)
        if r:
            return r
    return None


def parse_finite(text):
    """json.loads that refuses NaN/Infinity literals (ValueError)."""
    return json.loads(text, parse_constant=_reject_constant)


def oom_note(p):
    low = p.stderr.decode("utf-8", "replace").lower()
    if "bad_alloc" in low or "bad alloc" in low or "memory" in low:
        return " (under the fuzzer's %d GB memory limit)" % (MEM_LIMIT_BYTES >> 30)
    return ""


def check_case(binary, case, root):
    """Returns a list of (command kind, reason, stderr first line)."""
    workdir = os.path.join(root, "c%05d" % case.index)
    os.mkdir(workdir)
    path = os.path.join(workdir, "case.json")
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
        f.write(case.text)
    failures = []
    p = run_process([binary, "config", "check", path], ROOT, CHECK_TIMEOUT_S)
    accepted = False
    if p is None:
        failures.append(("check", "timed out after %d s" % CHECK_TIMEOUT_S, ""))
    elif p.returncode < 0:
        failures.append(("check", "killed by signal %d" % -p.returncode, first_line(p.stderr)))
    elif p.returncode == 2:
        why = check_error_output(p)
        if why:
            failures.append(("check", why, first_line(p.stderr)))
    elif p.returncode == 1:
        failures.append(("check", "exit 1 (runtime failure) from config check" + oom_note(p),
                         first_line(p.stderr)))
    elif p.returncode != 0:
        failures.append(("check", "exit code %d (want 0 or 2)" % p.returncode,
                         first_line(p.stderr)))
    else:
        try:
            out = parse_finite(p.stdout.decode("utf-8"))
            if not isinstance(out, dict):
                failures.append(("check", "exit 0 but stdout is a JSON %s, not an object"
                                 % type(out).__name__, first_line(p.stderr)))
            else:
                accepted = True
                bad = non_finite(out, "resolved")
                if bad:
                    failures.append(("check", "exit 0 but the resolved config has a "
                                     "non-finite value at %s" % bad, first_line(p.stderr)))
        except (ValueError, UnicodeDecodeError) as e:
            failures.append(("check", "exit 0 but stdout is not JSON (%s): %r"
                             % (str(e)[:80], p.stdout[:80]), first_line(p.stderr)))
        others = [l for l in p.stderr.decode("utf-8", "replace").splitlines()
                  if not l.startswith(WARNING)]
        if others:
            failures.append(("check", "exit 0 with stderr lines that are not warnings: %r"
                             % others[0][:200], others[0][:300]))
    case.accepted = accepted
    if accepted and case.run_text is not None:
        failures += run_tile(binary, case, workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    return failures


def run_tile(binary, case, workdir):
    path = os.path.join(workdir, "run.json")
    report = os.path.join(workdir, "report.json")
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
        f.write(case.run_text)
    case.ran = True
    p = run_process([binary, "run", path, "-q", "-o", report], workdir, RUN_TIMEOUT_S)
    if p is None:
        return [("run", "timed out after %d s" % RUN_TIMEOUT_S, "")]
    if p.returncode < 0:
        return [("run", "killed by signal %d" % -p.returncode, first_line(p.stderr))]
    if p.returncode == 2:
        why = check_error_output(p)
        return [("run", why, first_line(p.stderr))] if why else []
    if p.returncode == 1:
        why = check_error_output(p)
        if why:
            return [("run", why, first_line(p.stderr))]
        if "did not converge" in p.stderr.decode("utf-8", "replace"):
            return []
        return [("run", "exit 1 (runtime failure) not about convergence" + oom_note(p),
                 first_line(p.stderr))]
    if p.returncode != 0:
        return [("run", "exit code %d (want 0, 1 or 2)" % p.returncode, first_line(p.stderr))]
    try:
        with open(report, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        return [("run", "exit 0 but no report: %s" % e, first_line(p.stderr))]
    except UnicodeDecodeError:
        return [("run", "exit 0 but the report is not UTF-8", first_line(p.stderr))]
    try:
        rep = json.loads(text, parse_constant=lambda c: float(c.replace("Infinity", "inf")))
    except ValueError as e:
        return [("run", "exit 0 but the report is not JSON: %s" % str(e)[:100],
                 first_line(p.stderr))]
    bad = non_finite(rep, nulls=True)
    if bad:
        return [("run", "exit 0 but the report has a non-finite value at %s" % bad,
                 first_line(p.stderr))]
    return []


# ------------------------------------------------------------------ main


def limit_memory(sanitized):
    """Caps the children's memory: an address-space limit, or under ASan (whose shadow
    memory reserves terabytes of address space) ASan's own resident-set limit."""
    if sanitized:
        opts = os.environ.get("ASAN_OPTIONS", "")
        os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + \
            "hard_rss_limit_mb=%d" % (MEM_LIMIT_BYTES >> 20)
        return
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        want = MEM_LIMIT_BYTES if hard == resource.RLIM_INFINITY else min(MEM_LIMIT_BYTES, hard)
        if soft == resource.RLIM_INFINITY or soft > want:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ImportError, ValueError, OSError):
        pass


def main(argv):
    ap = argparse.ArgumentParser(description="Seeded generative fuzzer of `xbarsim config check`.")
    ap.add_argument("xbarsim")
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--keep", default=None, help="directory for failing configs")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--sanitized", action="store_true",
                    help="the binary is built with ASan: limit its resident set, not its "
                         "address space")
    ap.add_argument("--only", type=int, nargs="+", default=None,
                    help="run only these case numbers (same cases as the full run)")
    ap.add_argument("--print", dest="show", action="store_true",
                    help="print the selected cases' configs instead of running them")
    args = ap.parse_args(argv)
    binary = os.path.abspath(args.xbarsim)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("not an executable file: %s" % binary, file=sys.stderr)
        return 2
    if args.cases < 0 or args.jobs < 1:
        print("--cases must be >= 0 and --jobs >= 1", file=sys.stderr)
        return 2
    limit_memory(args.sanitized)
    t0 = time.time()
    schema = load_schema(binary)
    seeds, networks = load_seeds()
    if not seeds:
        print("no seed configs found under %s" % ROOT, file=sys.stderr)
        return 2
    presets = [os.path.basename(p)[:-5] for p in json_files("configs/devices")]
    cases = make_cases(args.seed, args.cases, seeds, Mutator(schema, networks, presets))
    if args.only is not None:
        cases = [c for c in cases if c.index in set(args.only)]
    if args.show:
        for c in cases:
            print("# case %d (%s): %s" % (c.index, c.seed_name, "; ".join(c.mutations)))
            sys.stdout.write(c.text)
        return 0

    root = tempfile.mkdtemp(prefix="xbarsim_fuzz_work_")
    results = {}
    timeouts = [0]
    lock = threading.Lock()

    def work(case):
        with lock:
            if timeouts[0] >= MAX_TIMEOUTS:
                return
        case.accepted = case.ran = False
        res = check_case(binary, case, root)
        with lock:
            results[case.index] = res
            timeouts[0] += sum(1 for _, why, _ in res if why.startswith("timed out"))

    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(work, cases))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    elapsed = time.time() - t0

    done = [c for c in cases if c.index in results]
    failing = [c for c in done if results[c.index]]
    nfail = sum(len(results[c.index]) for c in done)
    keep = args.keep
    if failing:
        if keep is None:
            keep = tempfile.mkdtemp(prefix="xbarsim_fuzz_seed%d_" % args.seed)
        os.makedirs(keep, exist_ok=True)
    print("%d cases, %d failures" % (len(done), nfail))
    print("seed %d, %d accepted by config check, %d run, %.1f s, %d seed configs"
          % (args.seed, sum(1 for c in done if c.accepted), sum(1 for c in done if c.ran),
             elapsed, len(seeds)))
    if len(done) < len(cases):
        print("stopped after %d time-outs: %d cases not run" % (MAX_TIMEOUTS,
                                                                len(cases) - len(done)))
    classes = {}
    for c in failing:
        files = {}
        for kind, text in (("check", c.text), ("run", c.run_text)):
            if text is not None and (kind == "check" or any(k == "run" for k, _, _ in
                                                            results[c.index])):
                fn = os.path.join(keep, "seed%d_case%05d%s.json"
                                  % (args.seed, c.index, "" if kind == "check" else ".run"))
                with open(fn, "w", encoding="utf-8", errors="surrogatepass") as f:
                    f.write(text)
                files[kind] = fn
        for kind, why, err in results[c.index]:
            cmd = ([binary, "config", "check", files["check"]] if kind == "check" else
                   [binary, "run", files["run"], "-q", "-o", "report.json"])
            print("\nFAIL case %d (%s): %s" % (c.index, c.seed_name, why))
            print("  mutations: %s" % ("; ".join(c.mutations) or "(none)"))
            print("  command:   (cd %s && %s)" % (ROOT if kind == "check" else "$TMP",
                                                  " ".join(cmd)))
            print("  stderr:    %s" % (err or "(empty)"))
            key = (kind, why.split(":")[0][:60])
            classes.setdefault(key, []).append(c.index)
    if classes:
        print("\nfailure classes:")
        for (kind, why), idx in sorted(classes.items(), key=lambda kv: kv[1][0]):
            print("  %-5s %-60s %d case(s): %s" % (kind, why, len(idx),
                                                   " ".join(map(str, idx[:12]))))
        print("failing configs saved in %s" % keep)
    return 1 if nfail or len(done) < len(cases) else 0


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    sys.exit(main(sys.argv[1:]))
