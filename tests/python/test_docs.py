"""Every command and code snippet in README.md and docs/*.md works as shown.

What is taken from the documents (in document order):
- fenced ```sh blocks: every line is a command (a trailing backslash joins
  lines; `#` comments are dropped). A comment `# exits N` or `# exits N: TEXT`
  says the command fails on purpose: it must exit with N and print TEXT on
  stderr;
- inline code spans that are commands: `xbarsim ...`, `./run ...`,
  `python3 -m xbarsim.plot ...`, `python3 -c ...` (optionally after NAME=value
  environment settings), and `./test`, `cmake ...`, `mpirun ...`,
  `ngspice ...` (skip-listed below);
- fenced ```python blocks, executed in a fresh namespace;
- fenced ```json blocks: a config must pass `xbarsim config check` without a
  warning; a sweep spec (with "base") is run.

How a command runs (cwd = the repository root, never through a shell):
- `xbarsim` (and `build/core/cli/xbarsim`) is $XBARSIM_CLI. `./run ARGS` is
  `$XBARSIM_CLI ARGS` and `./run` alone is `$XBARSIM_CLI run`: ./run itself
  builds, so it is never invoked. `python3` and `/usr/bin/python3` are this
  interpreter, with the xbarsim package pytest imported on PYTHONPATH
  (`PYTHONPATH=build/python` maps to it) and MPLBACKEND=Agg.
- Files live in a temporary directory, one per document and shared by its
  commands in order (so `-o adc.csv` is there for the plot command after it):
  the values of output options (-o/--output, --report, --jsonl, --dump-*) go
  there, and so does any bare file name (no `/`) that is not in the repository
  root. The placeholders are generated there first: C, CONFIG and FILE (a
  32x16 tile config, exact solver with 1-ohm wires), W.npy, X.npy, XC.npy
  (weights and inputs for that tile), G.npy, V.npy (its conductances in S and
  one row-voltage vector in V), SWEEP.json (a two-point sweep of that tile),
  report.json (its report), model.onnx (a small CNN for 28x28 images, also as
  `network=model.onnx`); NAME is the preset pcm_ibm, COMPONENT is device.
- A synopsis (a command with [optional] parts or `...`): every option it
  names must be in the command's --help, and the command runs with its
  required parts only. `a|b` outside brackets runs once with each.
- A command named without arguments that exits 2 saying an argument "is
  required" is a mention of the command (`xbarsim circuit`): its --help must
  work instead.
- A command exits 0 unless its `# exits N` comment says otherwise.

Slow commands run reduced unless XBARSIM_DOCS_FULL=1 is set:
- a `run` or `sensitivity` whose config (checked first with `xbarsim config check` of the same
  config and --set overrides, which must pass) has a network and an
  evaluation, i.e. the accuracy job (30 s and more: the default run, VGG-8 or
  the MLP on the digits), runs with REDUCED appended: 100 test digits, 32
  calibration digits, 1 trial at 1 s, weights trained for 1 epoch into a
  temporary cache (never data/weights);
- a sweep whose base is such a job runs a copy of its spec with the same
  settings merged into the base's evaluation, each grid and zip list cut to
  its first and last values and a random sweep to 2 points;
- a `train` (in-situ training) runs with REDUCED_IN_SITU appended: 1 epoch
  of 300 training images, 200 test images;
- in Python blocks, xbarsim.run and xbarsim.sweep apply the same reduction to
  such configs.
With XBARSIM_DOCS_FULL=1 everything runs as written (several minutes; the
accuracy jobs train LeNet-5 once into data/weights if it is not cached).

Not run: SKIP lists the commands that are not meant to run as they stand,
each with its reason; SKIP_PYTHON the same for Python blocks. A command that
is neither runnable nor listed fails the test.
"""
import copy
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import xbarsim

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))
FULL = os.environ.get("XBARSIM_DOCS_FULL") == "1"
PACKAGE_DIR = str(Path(xbarsim.__file__).resolve().parent.parent)

# Not meant to run as they stand: (pattern on the command, reason).
SKIP = [
    (r"^\./test\b", "builds build/, build-isa/ and build-asan/ and runs every test, this one included"),
    (r"^(\w+=\S+\s+)*cmake(\s|$)", "configures, builds or installs; these tests use an existing build"),
    (r"^mkdir -p /tmp/fuzz-corpus$", "part of the fuzzing recipe (needs the clang libFuzzer build)"),
    (r"^build-fuzz/", "the fuzzer: needs the clang libFuzzer build in build-fuzz/ and runs for 60 s"),
    (r"^mpirun\b", "needs K MPI ranks (K is a placeholder); ctest's 'mpi:' case runs a sweep over 2"),
    (r"^ngspice\b", "runs ngspice on a deck; test_circuit_ngspice.py checks xbarsim's decks against it"),
]
SKIP_PYTHON = [
    ("layer.weight.detach()", "PyTorch export recipe: needs torch and the caller's trained layers"),
    ("torch.onnx.export(model", "PyTorch export recipe: the caller's model; tests/python/test_onnx.py "
     "exports and imports torch models"),
]

OUTPUT_OPTIONS = {"-o", "--output", "--report", "--jsonl", "--dump-conductances", "--dump-nodes"}
FILE_EXTS = {".npy", ".npz", ".csv", ".json", ".jsonl", ".cir", ".png", ".pdf", ".svg"}
WORD_PLACEHOLDERS = {"NAME": "pcm_ibm", "COMPONENT": "device", "T": "3600", "B": "8", "N": "2"}
FILE_PLACEHOLDERS = {"C": "tile.json", "CONFIG": "tile.json", "FILE": "tile.json"}
REDUCED_EVALUATION = {"test_samples": 100, "calibration_samples": 32, "trials": 1,
                      "times_s": [1]}
TILE = {"array": {"rows": 32, "cols": 16, "r_wire_row_ohm": 1.0, "r_wire_col_ohm": 1.0},
        "solver": {"impl": "exact"}, "evaluation": {"trials": 1, "times_s": [1]}}


# ---------------------------------------------------------------- extraction

def fenced_blocks(text):
    """(line, language, body) of every fenced block, and the text with them blanked."""
    blocks, lines, out = [], text.split("\n"), []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent, lang, start = len(m.group(1)), m.group(2), i + 1
        j = start
        while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
            j += 1
        body = "\n".join(l[indent:] if l[:indent].strip() == "" else l for l in lines[start:j])
        blocks.append((start, lang, body))
        out.extend([""] * (j + 1 - i))
        i = j + 1
    return blocks, "\n".join(out)


COMMAND_START = re.compile(
    r"^(\w+=\S+\s+)*(xbarsim(\s|$)|\./run\b|\./test\b|(/usr/bin/)?python3 (-m xbarsim\.plot|-c)\b"
    r"|cmake(\s|$)|mpirun(\s|$)|ngspice(\s|$)|build/core/cli/xbarsim(\s|$))")


def inline_commands(text):
    """(line, command) of every inline code span that is a command."""
    found = []
    for paragraph in re.finditer(r"(?:[^\n]|\n(?!\s*\n))+", text):
        for m in re.finditer(r"`([^`]+)`", paragraph.group(0)):
            cmd = " ".join(m.group(1).replace("\\|", "|").split())
            if COMMAND_START.match(cmd):
                line = text.count("\n", 0, paragraph.start() + m.start()) + 1
                found.append((line, cmd))
    return found


def sh_commands(start, body):
    """(line, command, expected exit code, expected stderr text) of a sh block."""
    found, pending, first = [], "", None
    for k, raw in enumerate(body.split("\n")):
        if first is None:
            first = start + k + 1
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line, pending = pending + raw, ""
        code, text = 0, None
        m = re.search(r"#\s*exits (\d+)(?::\s*(.*))?$", line)
        if m:
            code, text = int(m.group(1)), m.group(2)
        cmd = strip_comment(line)
        if cmd:
            found.append((first, cmd, code, text))
        first = None
    return found


def strip_comment(line):
    """The line without its shell comment (a # at a word start outside quotes)."""
    quote = None
    for k, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or line[k - 1].isspace()):
            return " ".join(line[:k].split())
    return " ".join(line.split())


def doc_items(doc):
    """Everything runnable in one document, in order, without repeats."""
    text = (ROOT / doc).read_text()
    blocks, prose = fenced_blocks(text)
    commands, python, jsons, seen = [], [], [], set()
    for line, lang, body in blocks:
        if lang in ("sh", "bash", "shell"):
            for cline, cmd, code, stderr in sh_commands(line, body):
                commands.append((cline, cmd, code, stderr))
        elif lang == "python":
            python.append((line, body))
        elif lang == "json":
            jsons.append((line, body))
    for line, cmd in inline_commands(prose):
        commands.append((line, cmd, 0, None))
    commands.sort(key=lambda c: c[0])
    unique = []
    for c in commands:
        if c[1] not in seen:
            seen.add(c[1])
            unique.append(c)
    return unique, python, jsons


ITEMS = {doc: doc_items(doc) for doc in DOCS}
COMMANDS = [(doc, *c) for doc in DOCS for c in ITEMS[doc][0]]
PYTHON = [(doc, *b) for doc in DOCS for b in ITEMS[doc][1]]
JSONS = [(doc, *b) for doc in DOCS for b in ITEMS[doc][2]]


# ---------------------------------------------------------------- running

def cli_path():
    exe = os.environ.get("XBARSIM_CLI")
    if not exe:
        pytest.skip("XBARSIM_CLI not set (run through ctest)")
    return exe


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([PACKAGE_DIR] + [p for p in [e.get("PYTHONPATH")] if p])
    e["MPLBACKEND"] = "Agg"
    return e


def call(argv, timeout=None, extra_env=None):
    e = env()
    e.update(extra_env or {})
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=e,
                          timeout=timeout or (1800 if FULL else 180))


def skip_reason(cmd):
    for pattern, reason in SKIP:
        if re.search(pattern, cmd):
            return reason
    return None


@pytest.fixture(autouse=True)
def at_the_repository_root(monkeypatch):
    """The docs' relative paths (configs/, data/mnist/) are from the repository root,
    for the commands and for the checks this test makes in-process."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def train_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("weights")


REDUCED_IN_SITU = ["in_situ.epochs=1", "in_situ.samples_per_epoch=300",
                   "evaluation.test_samples=200"]


def reduced_sets(train_cache):
    sets = [f"evaluation.{k}={json.dumps(v)}" for k, v in REDUCED_EVALUATION.items()]
    sets += ["evaluation.train.epochs=1", f"evaluation.train.cache={train_cache}"]
    return [a for s in sets for a in ("--set", s)]


def reduced_evaluation(evaluation, train_cache):
    e = copy.deepcopy(evaluation) if isinstance(evaluation, dict) else {}
    e.update(copy.deepcopy(REDUCED_EVALUATION))
    e.setdefault("train", {})
    e["train"] = dict(e["train"], epochs=1, cache=str(train_cache))
    return e


def is_accuracy_job(resolved):
    return bool(resolved.get("network")) and bool(resolved.get("evaluation"))


def load_config(c, base_dir=ROOT):
    if isinstance(c, (str, os.PathLike)):
        p = Path(c)
        return json.loads((p if p.is_absolute() else base_dir / p).read_text())
    return copy.deepcopy(c)


def reduced_sweep_spec(spec, base_dir, train_cache):
    """The spec with its base reduced, or None when the base is not an accuracy job."""
    spec = load_config(spec, ROOT)
    base = spec.get("base", {})
    if isinstance(base, str):
        base = load_config(base, base_dir)
    if not is_accuracy_job(xbarsim.check_config(base)):
        return None
    base["evaluation"] = reduced_evaluation(base.get("evaluation"), train_cache)
    spec["base"] = base
    for axes in (spec.get("grid", {}), spec.get("zip", {})):
        for path, values in axes.items():
            axes[path] = [values[0], values[-1]] if len(values) > 1 else values
    if "random" in spec:
        spec["random"]["n"] = min(spec["random"].get("n", 1), 2)
    return spec


def write_onnx_model(path):
    """model.onnx: a small CNN for [1, 28, 28] images (conv, relu, max pool,
    linear), random weights, built with onnx.helper."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(2)
    inits = {"w": rng.normal(0, 0.3, (4, 1, 3, 3)), "b": np.zeros(4),
             "fc": rng.normal(0, 0.05, (4 * 14 * 14, 10)), "fb": np.zeros(10)}
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("Gemm", ["f", "fc", "fb"], ["y"])]
    graph = helper.make_graph(
        nodes, "doc_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 28, 28])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(v.astype(np.float32), k) for k, v in inits.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))


class Workspace:
    """One document's temporary directory: placeholders, outputs, their producers."""

    def __init__(self, tmp, cli, train_cache):
        self.tmp, self.cli, self.train_cache = tmp, cli, train_cache
        self.produced = {}  # file name -> the command that writes it
        rng = np.random.default_rng(1)
        (tmp / "tile.json").write_text(json.dumps(TILE))
        np.save(tmp / "W.npy", rng.standard_normal((32, 16)))
        np.save(tmp / "X.npy", rng.random((8, 32)))
        np.save(tmp / "XC.npy", rng.random((64, 32)))
        np.save(tmp / "G.npy", rng.uniform(1e-6, 40e-6, (32, 16)))
        np.save(tmp / "V.npy", rng.uniform(0, 0.2, (1, 32)))
        write_onnx_model(tmp / "model.onnx")
        (tmp / "SWEEP.json").write_text(json.dumps(
            {"base": TILE, "grid": {"seed": [1, 2]}, "metrics": ["vmm.0.rel_rms_error.mean"]}))
        r = call([cli, "run", str(tmp / "tile.json"), "-q", "-o", str(tmp / "report.json")])
        assert r.returncode == 0, r.stderr

    def file(self, name):
        return str(self.tmp / FILE_PLACEHOLDERS.get(name, name))


def is_file_token(tok):
    return tok in FILE_PLACEHOLDERS or ("/" not in tok and "=" not in tok
                                        and Path(tok).suffix in FILE_EXTS)


def expand_synopsis(cmd):
    """(is_synopsis, the options it names, the commands to run: required parts only)."""
    quoted = []

    def mask(m):
        quoted.append(m.group(0))
        return f"\0{len(quoted) - 1}\0"

    masked = re.sub(r"'[^']*'|\"[^\"]*\"", mask, cmd)
    synopsis = bool(re.search(r"(^|\s)\[|\.\.\.", masked))
    options = re.findall(r"(?:^|[\s\[])(--?[A-Za-z][\w-]*)", masked) if synopsis else []
    required = masked
    while True:
        shorter = re.sub(r"\[[^\[\]]*\](\.\.\.)?", "", required)
        if shorter == required:
            break
        required = shorter
    required = required.replace("...", "")
    variants = [[]]
    for tok in required.split():
        alts = tok.split("|") if "|" in tok and "\0" not in tok else [tok]
        variants = [v + [a] for v in variants for a in alts]
    unmask = lambda s: re.sub(r"\0(\d+)\0", lambda m: quoted[int(m.group(1))], s)
    return synopsis, options, [unmask(" ".join(v)) for v in variants]


def to_argv(cmd, ws):
    """The argv and environment of one document command, files mapped to ws."""
    toks = shlex.split(cmd)
    extra = {}
    while toks and re.match(r"^\w+=", toks[0]):
        k, v = toks.pop(0).split("=", 1)
        extra[k] = PACKAGE_DIR if (k, v) == ("PYTHONPATH", "build/python") else v
    prog, args = toks[0], toks[1:]
    if prog in ("xbarsim", "build/core/cli/xbarsim"):
        argv = [ws.cli]
    elif prog == "./run":
        argv = [ws.cli] + ([] if args else ["run"])
    elif prog in ("python3", "/usr/bin/python3"):
        argv = [sys.executable]
    else:
        raise AssertionError(f"{cmd!r}: not a command these tests know how to run; "
                             "map it in to_argv or add it to SKIP with a reason")
    if argv[0] == ws.cli and args[:1] == ["sweep"] and not OUTPUT_OPTIONS & set(args):
        args = args + ["-o", "sweep.csv"]  # its default output, in the working directory
    out_next = False
    for a in args:
        if out_next:
            argv.append(a if a == "-" else ws.file(Path(a).name))
            out_next = False
            continue
        if a in OUTPUT_OPTIONS:
            out_next = True
            argv.append(a)
        elif a == "build/core/cli/xbarsim":
            argv.append(ws.cli)
        elif a in WORD_PLACEHOLDERS:
            argv.append(WORD_PLACEHOLDERS[a])
        elif is_file_token(a) and not (ROOT / a).exists():
            argv.append(ws.file(a))
        elif re.fullmatch(r"network=[\w.-]+\.onnx", a):  # the placeholder model
            argv.append("network=" + ws.file(a.split("=", 1)[1]))
        else:
            argv.append(a)
    return argv, extra


def outputs_of(argv):
    return [Path(argv[k + 1]).name for k, a in enumerate(argv[:-1])
            if a in OUTPUT_OPTIONS and argv[k + 1] != "-"]


def subcommand(argv):
    """The CLI's subcommand words at the start of argv[1:]."""
    words = []
    for a in argv[1:]:
        if not re.fullmatch(r"[a-z]+", a) or len(words) == 2 or (
                words and words[0] not in ("config", "device")):
            break
        words.append(a)
    return words


def reduce_argv(argv, ws):
    """argv reduced as the module docstring says (unless FULL), after checking its config."""
    if FULL or argv[0] != ws.cli or len(argv) < 2 or argv[1] not in ("run", "sweep", "sensitivity",
                                                                     "train"):
        return argv
    if argv[1] == "train":  # (`xbarsim train` alone is a mention: left as it is)
        return argv + [a for s in REDUCED_IN_SITU for a in ("--set", s)] if argv[2:] else argv
    args = argv[2:]
    positional, sets, k = [], [], 0
    while k < len(args):
        if args[k] == "--set" and k + 1 < len(args):
            sets += ["--set", args[k + 1]]
            k += 2
        elif args[k] in ("-o", "--output", "--jsonl", "-j", "--jobs", "--effects", "--adc-bits",
                         "--max-drop"):
            k += 2
        elif args[k].startswith("-"):
            k += 1
        else:
            positional.append(args[k])
            k += 1
    if argv[1] in ("run", "sensitivity"):
        config = positional[0] if positional else "configs/default.json"
        check = call([ws.cli, "config", "check", config, *sets])
        assert check.returncode == 0, f"config check of {config} {sets}: {check.stderr}"
        if is_accuracy_job(json.loads(check.stdout)):
            return argv + reduced_sets(ws.train_cache)
        return argv
    spec_path = Path(positional[0]) if positional else None
    if spec_path is None:
        return argv
    spec_path = spec_path if spec_path.is_absolute() else ROOT / spec_path
    spec = reduced_sweep_spec(spec_path, spec_path.parent, ws.train_cache)
    if spec is None:
        return argv
    reduced = ws.tmp / ("reduced-" + spec_path.name)
    reduced.write_text(json.dumps(spec))
    return [str(reduced) if a == positional[0] else a for a in argv]


def command_words(argv, ws):
    """The program and subcommand words of argv."""
    if argv[0] == ws.cli:
        return argv[:1] + subcommand(argv)
    return argv[:3] if argv[1:2] == ["-m"] else argv[:1]


def is_mention(argv, ws):
    """A command's name, at most with one of its options: `xbarsim vmm --calibration X.npy`."""
    rest = argv[len(command_words(argv, ws)):]
    return not rest or (len(rest) <= 2 and rest[0].startswith("-"))


def check_help(argv, ws, extra):
    """The command's --help works and lists every option argv names."""
    words = command_words(argv, ws)
    h = call(words + ["--help"], extra_env=extra)
    if h.returncode != 0:
        return [f"{' '.join(words)} --help exited {h.returncode}"]
    return [f"option {opt} is not in `{' '.join(words[1:])} --help`"
            for opt in argv[len(words):] if re.fullmatch(r"--?[A-Za-z][\w-]*", opt)
            and not re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", h.stdout)]


RESULTS = {}  # argv without output files -> (returncode, stdout, stderr), across documents


def run_command(ws, cmd, done):
    """Runs one document command (or checks its synopsis); returns failures as text."""
    failures = []
    done.add(cmd)
    synopsis, options, required = expand_synopsis(cmd)
    for variant in required:
        argv, extra = to_argv(variant, ws)
        if synopsis:
            failures += check_help(command_words(argv, ws) + options, ws, extra)
        # Inputs that an earlier command of the document writes: run it first.
        for a in argv[1:]:
            name = Path(a).name
            if (a.startswith(str(ws.tmp)) and not Path(a).exists() and name in ws.produced
                    and ws.produced[name] not in done):
                failures += run_command(ws, ws.produced[name], done)
        argv = reduce_argv(argv, ws)
        key = tuple(argv) if not outputs_of(argv) else None
        if key in RESULTS:
            r = RESULTS[key]
        else:
            p = call(argv, extra_env=extra)
            r = (p.returncode, p.stdout, p.stderr)
            if key:
                RESULTS[key] = r
        code, _, stderr = r
        if code == 2 and not synopsis and "required" in stderr and is_mention(argv, ws):
            failures += check_help(argv, ws, extra)  # `xbarsim circuit`, `xbarsim vmm --ideal`
            continue
        if code != 0:
            failures.append(f"{' '.join(argv)} exited {code}: {stderr.strip()[-2000:]}")
    return failures


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory, train_cache):
    cli = cli_path()
    cache = {}

    def get(doc):
        if doc not in cache:
            ws = Workspace(tmp_path_factory.mktemp(re.sub(r"\W", "_", doc)), cli, train_cache)
            for _, cmd, _, _ in ITEMS[doc][0]:
                if skip_reason(cmd):
                    continue
                for variant in expand_synopsis(cmd)[2]:
                    try:
                        argv, _ = to_argv(variant, ws)
                    except AssertionError:
                        continue
                    for name in outputs_of(argv):
                        ws.produced.setdefault(name, cmd)
            cache[doc] = (ws, set())
        return cache[doc]

    return get


# ---------------------------------------------------------------- the tests

@pytest.mark.parametrize("doc,line,cmd,code,stderr_text", COMMANDS,
                         ids=[f"{d}:{l}:{c[:48]}" for d, l, c, *_ in COMMANDS])
def test_command(workspaces, doc, line, cmd, code, stderr_text):
    reason = skip_reason(cmd)
    if reason:
        pytest.skip(f"{cmd}: {reason}")
    ws, done = workspaces(doc)
    if code == 0:
        failures = run_command(ws, cmd, done)
        assert not failures, f"{doc}:{line}: `{cmd}`\n" + "\n".join(failures)
        return
    argv, extra = to_argv(cmd, ws)
    p = call(argv, extra_env=extra)
    assert p.returncode == code, f"{doc}:{line}: `{cmd}` exited {p.returncode}, not {code}"
    if stderr_text:
        assert stderr_text.strip() in p.stderr, f"{doc}:{line}: stderr was {p.stderr!r}"


@pytest.mark.parametrize("doc,line,source", PYTHON, ids=[f"{d}:{l}" for d, l, _ in PYTHON])
def test_python_block(doc, line, source, monkeypatch, tmp_path, train_cache):
    for marker, reason in SKIP_PYTHON:
        if marker in source:
            pytest.skip(reason)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if not FULL:
        run, sweep = xbarsim.run, xbarsim.sweep

        def reduced_run(config):
            c = load_config(config)
            if is_accuracy_job(xbarsim.check_config(c)):
                c["evaluation"] = reduced_evaluation(c.get("evaluation"), train_cache)
            return run(c)

        def reduced_sweep(spec, *args, **kwargs):
            base_dir = kwargs.get("base_dir") or (
                str((ROOT / spec).parent) if isinstance(spec, str) else str(ROOT))
            r = reduced_sweep_spec(spec, Path(base_dir), train_cache)
            if r is not None:
                spec, kwargs["base_dir"] = r, base_dir
            return sweep(spec, *args, **kwargs)

        monkeypatch.setattr(xbarsim, "run", reduced_run)
        monkeypatch.setattr(xbarsim, "sweep", reduced_sweep)
    exec(compile(source, f"{doc}:{line}", "exec"), {"__name__": "__doc_snippet__"})


@pytest.mark.parametrize("doc,line,source", JSONS, ids=[f"{d}:{l}" for d, l, _ in JSONS])
def test_json_block(doc, line, source, tmp_path, train_cache):
    cli = cli_path()
    doc_json = json.loads(source)
    if "base" in doc_json:
        spec = reduced_sweep_spec(doc_json, ROOT, train_cache) if not FULL else None
        rows = xbarsim.sweep(spec or doc_json, base_dir=str(ROOT))
        assert rows and all(r["status"] == "ok" for r in rows), rows
        return
    path = tmp_path / "config.json"
    path.write_text(source)
    p = call([cli, "config", "check", str(path)])
    assert p.returncode == 0, f"{doc}:{line}: {p.stderr}"
    assert "warning" not in p.stderr, f"{doc}:{line}: the example warns: {p.stderr}"


# ---------------------------------------------------------------- the extractor itself

def test_the_documents_have_commands_and_snippets():
    assert len(COMMANDS) >= 30 and len(PYTHON) >= 2 and len(JSONS) >= 2
    for doc in ("README.md", "docs/accuracy.md", "docs/architecture.md", "docs/circuit.md"):
        assert ITEMS[doc][0], f"no commands found in {doc}"


def test_extraction_rules():
    sample = "\n".join([
        "Run `./run run --set a=1",
        "--set b=2` or `xbarsim presets [NAME]`; not `xbarsim.run(c)` nor `xbarsim: error`.",
        "",
        "- item:",
        "  ```sh",
        "  xbarsim config check FILE   # checks it",
        "  xbarsim run --set x.rowz=1  # exits 2: unknown key",
        "  ```",
        "",
        "`xbarsim config schema tile|chip` and `xbarsim circuit [--solver ideal\\|exact]`",
    ])
    blocks, prose = fenced_blocks(sample)
    assert [(l, lang) for l, lang, _ in blocks] == [(5, "sh")]
    assert sh_commands(*blocks[0][::2]) == [
        (6, "xbarsim config check FILE", 0, None),
        (7, "xbarsim run --set x.rowz=1", 2, "unknown key")]
    assert inline_commands(prose) == [
        (1, "./run run --set a=1 --set b=2"), (2, "xbarsim presets [NAME]"),
        (10, "xbarsim config schema tile|chip"), (10, "xbarsim circuit [--solver ideal|exact]")]
    assert expand_synopsis("xbarsim presets [NAME]") == (True, [], ["xbarsim presets"])
    assert expand_synopsis("xbarsim config schema tile|chip") == (
        False, [], ["xbarsim config schema tile", "xbarsim config schema chip"])
    assert expand_synopsis("xbarsim run --set 'e.t=[1, 2]' [-o r.json] [--set p=v]...") == (
        True, ["--set", "-o", "--set"], ["xbarsim run --set 'e.t=[1, 2]'"])
