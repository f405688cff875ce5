"""Golden reports: the default run's performance estimate (its accuracy part is
held by the [mnist] Catch2 cases, with statistical tolerances, since trained
weights differ in the last bits between CPUs), the tile demo, the two
measured-chip configs and the config schema, field by field against tests/golden/, so a change of behaviour is a
decision and not an accident. Closed-form numbers (counts, energies,
latencies, areas) must match to 1e-9 relative; simulated errors (programming
draws, noise) to 1e-6 relative, which still catches any changed draw.

After a change that is meant to move a number, regenerate and review the diff:
    XBARSIM_GOLDEN_UPDATE=1 ctest -R pytest   (or pytest with XBARSIM_CLI set)
"""
import json
import math
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("XBARSIM_GOLDEN_UPDATE") == "1"

CASES = {
    "default_ppa": ["run", "configs/default.json", "--set", "evaluation=null", "-q", "-o", "-"],
    "tile_demo": ["run", "configs/tile_demo.json", "-q", "-o", "-"],
    "neurram": ["run", "configs/chips/neurram.json", "-q", "-o", "-"],
    "neurosim_vgg8": ["run", "configs/chips/neurosim_vgg8.json", "-q", "-o", "-"],
    "schema": ["config", "schema", "--json"],
}
# Keys whose values are simulated (random draws through float32 products, and
# the array energy summed over the programmed conductances): equal on one
# machine, within float32 rounding across CPUs (AVX2 and AVX-512 reduce in
# different orders). A spread ("std") of quantities of order 1 carries their
# rounding as an absolute error: 1e-6 of the quantity, not of the spread.
LOOSE = ("rel_rms_error", "output_gain", "quantization_rel_rms_error", "std", "mean",
         "energy_pj.array", "energy_pj.total")


def differences(got, want, path="", rel=1e-9):
    """Every place got and want differ, as 'path: got vs want' lines."""
    abs_tol = 1e-300
    if any(part in path for part in LOOSE):
        rel = max(rel, 1e-6)
        if path.endswith(".std"):
            abs_tol = 1e-6
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path}: {type(got).__name__} vs an object"]
        out = [f"{path}.{k}: missing" for k in want if k not in got]
        out += [f"{path}.{k}: not in the golden report" for k in got if k not in want]
        for k in want:
            if k in got:
                out += differences(got[k], want[k], f"{path}.{k}", rel)
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: {len(got) if isinstance(got, list) else got!r} vs {len(want)} items"]
        out = []
        for i, (g, w) in enumerate(zip(got, want)):
            out += differences(g, w, f"{path}[{i}]", rel)
        return out
    if isinstance(want, (int, float)) and not isinstance(want, bool) and \
            isinstance(got, (int, float)) and not isinstance(got, bool):
        if math.isclose(got, want, rel_tol=rel, abs_tol=abs_tol):
            return []
        return [f"{path}: {got!r} vs {want!r}"]
    return [] if got == want else [f"{path}: {got!r} vs {want!r}"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_report_equals_the_golden_file(cli, name, monkeypatch):
    monkeypatch.chdir(ROOT)
    got = json.loads(cli(*CASES[name]).stdout)
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"wrote {path}")
    want = json.loads(path.read_text())
    diff = differences(got, want)
    assert not diff, f"{len(diff)} differences from {path}:\n" + "\n".join(diff[:40])


def test_the_comparison_catches_a_changed_number_a_missing_key_and_an_extra_one():
    want = {"a": {"b": [1.0, 2.0]}, "c": "x", "vmm": {"rel_rms_error": 0.1}}
    assert differences(want, want) == []
    assert differences({"a": {"b": [1.0, 2.0 * (1 + 1e-8)]}, "c": "x",
                        "vmm": {"rel_rms_error": 0.1}}, want) == [".a.b[1]: 2.00000002 vs 2.0"]
    assert differences({"a": {"b": [1.0, 2.0]}, "c": "x", "vmm": {"rel_rms_error": 0.1 * (1 + 1e-7)}},
                       want) == []
    # A spread takes its quantity's rounding: 5e-7 absolute passes, 5e-6 does not.
    spread = {"vmm": {"output_gain": {"std": 0.007}}}
    assert differences({"vmm": {"output_gain": {"std": 0.007 + 5e-7}}}, spread) == []
    assert len(differences({"vmm": {"output_gain": {"std": 0.007 + 5e-6}}}, spread)) == 1
    assert differences({"a": {"b": [1.0]}, "c": "x", "d": 1,
                        "vmm": {"rel_rms_error": 0.1}}, want) == \
        [".d: not in the golden report", ".a.b: 1 vs 2 items"]
