"""The usual xbarsim figures with matplotlib (Debian's python3-matplotlib).

Every function draws on `ax` (a new figure when None) and returns the axes;
save with ``ax.figure.savefig("fig.png")``. Sweep results are the rows of
``xbarsim.sweep`` or a CSV written by ``xbarsim sweep`` (see ``load_rows``).
"""
import csv
import math

import matplotlib


import matplotlib.pyplot as plt  # noqa: E402


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    return ax


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def load_rows(path):
    """Rows of a sweep CSV as dicts {column: value} (numbers as floats), ok rows only."""
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("status") == "ok"]
    return [{k: _number(v) for k, v in r.items()} for r in rows]


def _flat(rows):
    """Sweep rows from xbarsim.sweep ({params, metrics}) or load_rows, as flat dicts."""
    out = []
    for r in rows:
        if "params" in r and "metrics" in r:
            if r.get("status", "ok") != "ok":
                continue
            flat = dict(r["params"])
            flat.update(r["metrics"])
            out.append(flat)
        else:
            out.append(r)
    return out


def sweep_line(rows, x, y, group=None, ax=None, logx=False):
    """y against x, one line per value of `group` (e.g. accuracy vs ADC bits per array size)."""
    ax = _axes(ax)
    series = {}
    for r in _flat(rows):
        series.setdefault(r.get(group) if group else None, []).append((r[x], r[y]))
    def order(kv):  # numbers in numeric order, then the rest by name
        return (0, kv[0], "") if isinstance(kv[0], (int, float)) else (1, 0, str(kv[0]))

    for key, pts in sorted(series.items(), key=order):
        pts.sort(key=lambda p: p[0])
        text = f"{key:g}" if isinstance(key, float) else key
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                label=f"{group} = {text}" if group else None)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if logx:
        ax.set_xscale("log")
    if group:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def pareto(rows, x, y, maximize=(True, True), ax=None, label=None):
    """Scatter of every point and its Pareto front (e.g. accuracy vs TOPS/W)."""
    ax = _axes(ax)
    pts = [(r[x], r[y], r.get(label) if label else None) for r in _flat(rows)]
    ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, alpha=0.6)
    sx = 1 if maximize[0] else -1
    sy = 1 if maximize[1] else -1
    front, best = [], -math.inf
    for p in sorted(pts, key=lambda p: -sx * p[0]):
        if sy * p[1] > best:
            front.append(p)
            best = sy * p[1]
    ax.plot([p[0] for p in front], [p[1] for p in front], color="C3", marker="o", label="Pareto front")
    if label:
        for p in front:
            ax.annotate(str(p[2]), (p[0], p[1]), fontsize=7)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def energy_breakdown(report, ax=None):
    """Stacked energy (nJ per inference) of an architecture report (xbarsim.run(...)): one bar
    per matrix layer by component, one for the other (digital) layers and one for the chip's
    leakage, so the bars add up to ppa.totals.energy_pj.total."""
    ax = _axes(ax)
    ppa = report["ppa"] if "ppa" in report else report
    layers = [l for l in ppa["layers"] if "rows" in l]
    others = [l for l in ppa["layers"] if "rows" not in l]
    parts = [k for k in layers[0]["energy_pj"] if k != "total"]
    names = [l["name"] for l in layers] + ["other layers", "leakage"]
    bottom = [0.0] * len(names)
    for k in parts:
        vals = [l["energy_pj"][k] * 1e-3 for l in layers]
        vals += [sum(l["energy_pj"].get(k, 0.0) for l in others) * 1e-3, 0.0]
        if not any(vals):
            continue
        ax.bar(names, vals, bottom=bottom, label=k)
        bottom = [b + v for b, v in zip(bottom, vals)]
    leak = [0.0] * (len(names) - 1) + [ppa["totals"]["energy_pj"].get("leakage", 0.0) * 1e-3]
    ax.bar(names, leak, bottom=bottom, label="leakage")
    ax.set_ylabel("energy per inference (nJ)")
    ax.tick_params(axis="x", rotation=60)
    ax.legend(fontsize=7)
    return ax


def accuracy_vs_time(report, ax=None):
    """Accuracy (%) against read time after programming, from a run with an
    evaluation: the Monte Carlo mean with its standard deviation, with and
    without drift compensation, beside the float and quantized-only lines."""
    ax = _axes(ax)
    acc = report["accuracy"] if "accuracy" in report else report
    rows = acc["nonideal"]
    t = [max(r["t_s"], 1e-3) for r in rows]
    series = [("compensated" if acc["drift_compensation"] else "nonideal", rows)]
    if acc["drift_compensation"]:
        series.append(("uncompensated", [r["uncompensated"] for r in rows]))
    for label, stats in series:
        ax.errorbar(t, [100 * s["mean"] for s in stats], yerr=[100 * s["std"] for s in stats],
                    marker="o", capsize=3, label=label)
    ax.axhline(100 * acc["float"], color="k", lw=0.8, ls="--", label="float32")
    ax.axhline(100 * acc["quantized"], color="gray", lw=0.8, ls=":", label="quantized only")
    ax.set_xscale("log")
    ax.set_xlabel("time after programming (s)")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=7)
    return ax


def area_breakdown(report, ax=None):
    """Chip area (mm²) by component of an architecture report."""
    ax = _axes(ax)
    ppa = report["ppa"] if "ppa" in report else report
    area = {k: v for k, v in ppa["totals"]["area_mm2"].items() if k != "total" and v > 0}
    ax.barh(list(area), list(area.values()))
    ax.set_xlabel("area (mm²)")
    return ax


def sensitivity(report, ax=None):
    """A layer-sensitivity report (xbarsim.sensitivity or `xbarsim sensitivity -o`): per
    matrix layer, the accuracy points lost with only that layer nonideal (against every
    layer ideal) and gained with all but it nonideal (against the configured chip), beside
    its share of the chip's energy and area on a second axis."""
    ax = _axes(ax)
    rows = report["layers"]
    names = [r["name"] for r in rows]
    x = range(len(rows))
    w = 0.2
    ax.bar([i - 1.5 * w for i in x], [100 * r["drop_alone"] for r in rows], w,
           label="drop, only it nonideal")
    ax.bar([i - 0.5 * w for i in x], [100 * r["gain_if_ideal"] for r in rows], w,
           label="gain, all but it nonideal")
    ax.set_ylabel("accuracy (points)")
    ax.axhline(0, color="k", lw=0.6)
    share = ax.twinx()
    share.bar([i + 0.5 * w for i in x], [100 * r["energy_share"] for r in rows], w,
              color="tab:gray", label="energy share")
    share.bar([i + 1.5 * w for i in x], [100 * r["area_share"] for r in rows], w,
              color="tab:olive", label="area share")
    share.set_ylabel("share of the chip (%)")
    ax.set_xticks(list(x))
    ax.set_xticklabels(names, rotation=60)
    ax.set_title(f"{report['network']}: effects {', '.join(report['effects'])}", fontsize=9)
    handles = ax.get_legend_handles_labels()
    more = share.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], fontsize=7)
    return ax


def in_situ_accuracy(reports, ax=None):
    """Test accuracy against epoch of in-situ training runs (xbarsim.train_in_situ or
    `xbarsim train -o`): reports maps a label (a device, say) to its report."""
    ax = _axes(ax)
    for label, r in reports.items():
        e = r["in_situ"]["epochs"]
        ax.plot([x["epoch"] for x in e], [100 * x["test_accuracy"] for x in e], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=7)
    return ax


def in_situ_trajectories(report, layer=None, ax=None):
    """Conductance of the recorded devices of one layer (default: the first) after every
    epoch of an in-situ training run."""
    ax = _axes(ax)
    traj = report["in_situ"]["trajectories"]
    layer = layer or next(iter(traj))
    for d in traj[layer]:
        ax.plot(range(len(d["g_us"])), d["g_us"], marker=".", label=f"device {d['device']}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("conductance (µS)")
    ax.set_title(f"{layer}", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def in_situ_energy(report, ax=None):
    """Write energy of an in-situ training run per layer, potentiation (SET) and depression
    (RESET) pulses stacked; the bars add up to the run's total."""
    ax = _axes(ax)
    rows = report["in_situ"]["layers"]
    names = [r["name"] for r in rows]
    s = [r["set_energy_pj"] * 1e-6 for r in rows]
    d = [r["reset_energy_pj"] * 1e-6 for r in rows]
    ax.bar(names, s, label="SET pulses")
    ax.bar(names, d, bottom=s, label="RESET pulses")
    ax.set_ylabel("write energy (µJ)")
    ax.set_title(f"total {sum(s) + sum(d):.4g} µJ", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def _snn(report):
    acc = report["accuracy"] if "accuracy" in report else report
    return acc["snn"] if "snn" in acc else acc


def snn_accuracy(report, ax=None):
    """Accuracy (%) of a run's spiking evaluation (evaluation.snn) against the number of
    time steps T: float SNN, quantized-only tiles and every nonideality per read time (mean
    and std over trials), beside the ANN's nonideal accuracy on the same chip."""
    ax = _axes(ax)
    s = _snn(report)
    t = s["steps"]
    ax.plot(t, [100 * a for a in s["float"]], marker="o", label="SNN, float weights")
    ax.plot(t, [100 * a for a in s["quantized"]], marker="s", label="SNN, quantized tiles")
    for row in s["nonideal"]:
        ax.errorbar(t, [100 * m for m in row["mean"]], yerr=[100 * d for d in row["std"]],
                    marker="^", capsize=3, label=f"SNN, nonideal at {row['t_s']:g} s")
    ax.axhline(100 * s["ann"]["accuracy"], color="k", lw=0.8, ls="--", label="ANN, nonideal")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("time steps T")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=7)
    return ax


def snn_energy(report, ax=None):
    """Energy per inference (nJ) of a run's spiking evaluation against T, by part (array,
    DAC per pulse, ADC, shift-add, neurons; stacked, they add up to the total), with the
    ANN's on the same chip as a line: where the bars pass it, the SNN costs more."""
    ax = _axes(ax)
    s = _snn(report)
    t = [str(x) for x in s["steps"]]
    bottom = [0.0] * len(t)
    for part in ("array", "dac", "adc", "shift_add", "neurons"):
        v = [e[part] * 1e-3 for e in s["energy_pj"]]
        ax.bar(t, v, bottom=bottom, label=part)
        bottom = [b + x for b, x in zip(bottom, v)]
    ax.axhline(s["ann"]["energy_pj"]["total"] * 1e-3, color="k", lw=1, ls="--",
               label="ANN on the same chip")
    ax.set_xlabel("time steps T")
    ax.set_ylabel("energy per inference (nJ)")
    ax.legend(fontsize=7)
    return ax


def snn_spike_rates(report, ax=None):
    """Spikes per neuron per time step of each neuron layer (and per output of each max-pooling
    gate) of a run's spiking evaluation, at its last T."""
    ax = _axes(ax)
    layers = _snn(report)["spikes"]["layers"]
    ax.bar([l["layer"] for l in layers], [l["rate_per_step"] for l in layers])
    ax.set_ylabel("spikes per neuron (gate output) per step")
    ax.tick_params(axis="x", rotation=45)
    return ax


def ir_drop_map(nodes, vector=0, ax=None):
    """Row-wire voltages of one input vector from solve_circuit(..., nodes=True): the IR drop."""
    ax = _axes(ax)
    v = nodes["v_row"][vector]
    im = ax.imshow(v, aspect="auto", cmap="viridis")
    ax.figure.colorbar(im, ax=ax, label="row node voltage (V)")
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    return ax


def conductance_histogram(conductances, bins=80, ax=None):
    """Histogram of programmed conductances (µS) from Crossbar.conductances()."""
    ax = _axes(ax)
    for name, g in sorted(conductances.items()):
        ax.hist(g.ravel(), bins=bins, histtype="step", label=name)
    ax.set_xlabel("conductance (µS)")
    ax.set_ylabel("cells")
    ax.legend(fontsize=7)
    return ax
