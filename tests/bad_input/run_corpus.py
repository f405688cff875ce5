#!/usr/bin/env python3
"""Bad-input corpus for the xbarsim CLI (standard library only).

Usage:  run_corpus.py XBARSIM [CASE_NAME ...]     run all (or the named) cases
        run_corpus.py --list                      print case names

Each case comes from cases.json. A bad-input case passes when the binary
exits with code 2, prints nothing on stdout, prints exactly one
newline-terminated line on stderr that starts with "xbarsim: error: " and
contains every string in "expect" and at least one in "expect_any"
(case-insensitive), and (vmm) leaves no output file. Cases with "ok": true
are controls: they must exit 0 (and vmm must write its output).

Every case runs in its own fresh directory with fixed relative file names
(tile.json, weights.npy, inputs.npy, out.npy; absent.json / absent.npy for
files that do not exist), so no keyword can leak in through a path.
Inputs named "@gen" are built here; other config names are files in configs/.
Kind "config" runs `config check CONFIG`, "vmm" a vmm on the inputs, and "cli"
the case's "args" ({config} is the placed config; "setup": "fifo" makes a
FIFO named fifo.json first).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "xbarsim: error: "
TIMEOUT_S = 30
TINY = '{"array": {"rows": 4, "cols": 3}}\n'  # the valid tile used by vmm cases

# ---------------------------------------------------------------- .npy bytes


def npy(descr, shape, data, fortran=False, version=b"\x01\x00", magic=b"\x93NUMPY",
        header=None):
    """Bytes of an .npy file; `header` overrides the dict text entirely."""
    if header is None:
        dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
            descr, "True" if fortran else "False", dims)
    pad = 64 - (len(magic) + 4 + len(header) + 1) % 64
    text = (header + " " * (pad % 64) + "\n").encode("latin-1")
    return magic + version + struct.pack("<H", len(text)) + text + data


def f8(shape, values=None):
    n = 1
    for d in shape:
        n *= d
    if values is None:
        values = [((i * 7) % 11 - 5) / 5.0 for i in range(n)]
    return npy("<f8", shape, struct.pack("<%dd" % n, *values))


def poisoned(shape, index, value):
    n = shape[0] * shape[1]
    vals = [0.25] * n
    vals[index] = value
    return f8(shape, vals)


NPY_GEN = {
    "w_good": lambda: f8((4, 3)),
    "x_good": lambda: f8((2, 4)),
    "w_complex": lambda: npy("<c8", (4, 3), b"\0" * 8 * 12),
    "x_unicode": lambda: npy("<U3", (2, 4), "abc".encode("utf-32-le") * 8),
    "w_object": lambda: npy("|O", (4, 3), b"\0" * 8 * 12),
    "w_fortran": lambda: npy("<f8", (4, 3), f8((4, 3))[-96:], fortran=True),
    "w_truncated_data": lambda: f8((4, 3))[:-56],
    "w_truncated_header": lambda: f8((4, 3))[:40],
    "w_bad_magic": lambda: npy("<f8", (4, 3), b"\0" * 96, magic=b"\x93NUMPX"),
    "w_bad_version": lambda: npy("<f8", (4, 3), b"\0" * 96, version=b"\x09\x00"),
    "w_header_no_shape": lambda: npy("<f8", (), b"\0" * 96,
                                     header="{'descr': '<f8', 'fortran_order': False, }"),
    "x_huge_shape": lambda: npy("<f8", (10 ** 12, 4), b"\0" * 64),
    "x_cols_mismatch": lambda: f8((2, 3)),
    "x_tall": lambda: f8((2, 5)),
    "w_tall": lambda: f8((5, 3)),
    "w_wide": lambda: f8((4, 5)),
    "w_3d": lambda: f8((2, 2, 3)),
    "x_3d": lambda: f8((1, 2, 4)),
    "w_nan": lambda: poisoned((4, 3), 7, float("nan")),
    "x_inf": lambda: poisoned((2, 4), 5, float("inf")),
    "w_huge": lambda: poisoned((4, 3), 4, 1e300),
    "w_shape_list": lambda: npy("<f8", (4, 3), f8((4, 3))[-96:],
                                header="{'descr': '<f8', 'fortran_order': False, 'shape': [4, 3], }"),
    "w_descr_junk": lambda: npy("<f8", (4, 3), f8((4, 3))[-96:],
                                header="{'descr': '<f8junk', 'fortran_order': False, "
                                       "'shape': (4, 3), }"),
    "x_float32_overflow": lambda: poisoned((2, 4), 3, 3.5e38),
    "empty": lambda: b"",
}

# -------------------------------------------------------------- config bytes


def tower(open_only=False, objects=False, depth=100000):
    if objects:
        body = '{"a": ' * depth + "1" + "}" * depth
    else:
        body = "[" * depth + ("" if open_only else "]" * depth)
    return ('{"array": ' + body + ("" if open_only else "}") + "\n").encode()


CONFIG_GEN = {
    "tiny": lambda: TINY.encode(),
    "non_utf8": lambda: b'{"array": {"cell": "1T1R\xff\xfe"}}\n',
    "non_utf8_key": lambda: b'{"arr\xc3\x28y": {"rows": 4}}\n',
    "tower_closed": lambda: tower(),
    "tower_open": lambda: tower(open_only=True),
    "tower_objects": lambda: tower(objects=True),
}

# ---------------------------------------------------------------- the runner


def place(spec, role, workdir):
    """Create the file for one input; return the name passed to the CLI."""
    ext = ".json" if role == "config" else ".npy"
    fixed = {"config": "tile.json", "weights": "weights.npy", "inputs": "inputs.npy"}[role]
    path = os.path.join(workdir, fixed)
    if spec == "@absent":
        return "absent" + ext
    if spec == "@directory":
        os.mkdir(path)
        return fixed
    if spec.startswith("@"):
        table = CONFIG_GEN if role == "config" else NPY_GEN
        with open(path, "wb") as f:
            f.write(table[spec[1:]]())
    else:
        shutil.copyfile(os.path.join(HERE, "configs", spec), path)
    return fixed


def run_case(binary, case, workdir):
    """Return None on pass, else a short reason."""
    cfg = place(case.get("config", "@tiny"), "config", workdir)
    if case.get("setup") == "fifo":
        os.mkfifo(os.path.join(workdir, "fifo.json"))
    if case["kind"] == "config":
        argv = [binary, "config", "check", cfg]
    elif case["kind"] == "cli":
        argv = [binary] + [a.replace("{config}", cfg) for a in case["args"]]
    else:
        w = place(case.get("weights", "@w_good"), "weights", workdir)
        x = place(case.get("inputs", "@x_good"), "inputs", workdir)
        argv = [binary, "vmm", "--config", cfg, "--weights", w, "--inputs", x, "-o", "out.npy"]
    try:
        p = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "timed out after %d s" % TIMEOUT_S
    out_exists = os.path.exists(os.path.join(workdir, "out.npy"))
    err = p.stderr.decode("utf-8", "replace")
    first = err.splitlines()[0][:160] if err.strip() else ""
    if p.returncode < 0:
        return "killed by signal %d; stderr: %r" % (-p.returncode, first)
    if case.get("ok"):
        if p.returncode != 0:
            return "control case: exit %d (want 0); stderr: %r" % (p.returncode, first)
        if case["kind"] == "vmm" and not out_exists:
            return "control case: out.npy not written"
        return None
    if p.returncode != 2:
        return "exit code %d (want 2); stderr: %r" % (p.returncode, first)
    if p.stdout:
        return "stdout not empty: %r" % p.stdout[:80]
    if case["kind"] == "vmm" and out_exists:
        return "output file out.npy was written"
    if not err.endswith("\n") or err.count("\n") != 1 or not err.strip():
        return "stderr is not exactly one line: %r" % err[:200]
    line = err.rstrip("\n")
    if not line.startswith(PREFIX):
        return "stderr does not start with %r: %r" % (PREFIX, line[:160])
    low = line.lower()
    missing = [s for s in case.get("expect", []) if s.lower() not in low]
    if missing:
        return "missing %s in %r" % (missing, line[:200])
    anyof = case.get("expect_any")
    if anyof and not any(s.lower() in low for s in anyof):
        return "none of %s in %r" % (anyof, line[:200])
    return None


def main(argv):
    with open(os.path.join(HERE, "cases.json")) as f:
        cases = json.load(f)
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), "duplicate case names"
    if "--list" in argv:
        print("\n".join(names))
        return 0
    if not argv or argv[0].startswith("-"):
        print("usage: run_corpus.py XBARSIM [CASE ...] | --list", file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[0])
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("not an executable file: %s" % binary, file=sys.stderr)
        return 2
    wanted = set(argv[1:])
    unknown = wanted - set(names)
    if unknown:
        print("unknown case(s): %s" % ", ".join(sorted(unknown)), file=sys.stderr)
        return 2
    selected = [c for c in cases if not wanted or c["name"] in wanted]
    failed = []
    root = tempfile.mkdtemp(prefix="xbarsim_corpus_")
    try:
        for i, case in enumerate(selected):
            workdir = os.path.join(root, "c%03d" % i)
            os.mkdir(workdir)
            reason = run_case(binary, case, workdir)
            if reason is None:
                print("PASS  %s" % case["name"])
            else:
                print("FAIL  %s: %s" % (case["name"], reason))
                failed.append(case["name"])
            sys.stdout.flush()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("%d/%d passed" % (len(selected) - len(failed), len(selected)))
    if failed:
        print("failed: " + " ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
