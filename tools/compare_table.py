#!/usr/bin/python3
"""The table of several `pib compare` runs (seeds) of one config: mean and spread per method and test.

    tools/compare_table.py RUN_DIR [RUN_DIR ...] [--out table.md] [--plot figure.png]

Each cell is "mean ± sd" over the runs (sd: sample standard deviation; one run: the value alone), in %:
clean accuracy, accuracy at each input-noise level and data fraction, the OOD AUROCs; then the means of the
devices' measure calls, deploys, simulated device seconds and training wall seconds. Runs must share their
methods, levels and fractions. --plot draws accuracy against noise and against the data fraction and, when the
runs carry them (`ood_roc` in summary.json), each method's ROC curve of the held-out classes by maximum
softmax probability, averaged over runs (needs matplotlib, Debian's python3-matplotlib).
"""
import argparse
import bisect
import json
import math
import pathlib
import sys


def spread(values, scale=100.0):
    v = [x * scale for x in values]
    mean = sum(v) / len(v)
    if len(v) == 1:
        return f"{mean:.2f}"
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1))
    return f"{mean:.2f} ± {sd:.2f}"


def load(dirs):
    runs = []
    for d in dirs:
        path = pathlib.Path(d) / "summary.json"
        if not path.is_file():
            sys.exit(f"compare_table: {path}: no summary.json (is {d} a finished pib compare run?)")
        s = json.loads(path.read_text())
        if "methods" not in s:
            sys.exit(f"compare_table: {path}: not a pib compare summary (no 'methods')")
        runs.append(s)
    order = lambda s: s.get("method_order", sorted(s["methods"]))
    names = order(runs[0])
    for s, d in zip(runs, dirs):
        if order(s) != names:
            sys.exit(f"compare_table: {d} has methods {order(s)}, the first run {names}")
    return runs, names


def columns(method):
    cols = [("clean", lambda m: m["accuracy"])]
    for i, p in enumerate(method.get("input_noise", [])):
        cols.append((f"noise {100 * p['level']:g} %", lambda m, i=i: m["input_noise"][i]["accuracy"]))
    for i, p in enumerate(method.get("data_fraction", [])):
        cols.append((f"data {100 * p['fraction']:g} %", lambda m, i=i: m["data_fraction"][i]["accuracy"]))
    if "ood_auroc" in method:
        cols.append(("OOD AUROC (MSP)", lambda m: m["ood_auroc"]["msp"]))
        cols.append(("OOD AUROC (energy)", lambda m: m["ood_auroc"]["energy"]))
    return cols


def table(runs, names):
    cols = columns(runs[0]["methods"][names[0]])
    costs = [("measure calls", "measures", 1), ("deploys", "deploys", 1), ("device s", "device_busy_s", 1),
             ("train wall s", "train_wall_s", 1)]
    head = ["method"] + [c for c, _ in cols] + [c for c, _, _ in costs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        cells = [name]
        for _, get in cols:
            cells.append(spread([get(s["methods"][name]) for s in runs]))
        for _, key, _ in costs:
            values = [s["methods"][name][key] for s in runs]
            cells.append(f"{sum(values) / len(values):.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    seeds = ", ".join(str(s.get("seed", "?")) for s in runs)
    lines.append("")
    lines.append(f"Accuracies and AUROCs in %, mean ± sd over {len(runs)} run(s) (seeds {seeds}); "
                 "simulated devices.")
    return "\n".join(lines) + "\n"


def tpr_at(fpr, tpr, x):
    """A ROC curve's true positive rate at false positive rate x in [0, 1]: linear between its points (fpr
    never falls, from 0 to 1), and where the curve rises at one fpr (tied scores), the top of the rise."""
    i = bisect.bisect_right(fpr, x) - 1
    if fpr[i] == x:
        return tpr[i]
    return tpr[i] + (tpr[i + 1] - tpr[i]) * (x - fpr[i]) / (fpr[i + 1] - fpr[i])


def mean_roc(curves, grid):
    """The mean over curves ({"fpr": [...], "tpr": [...]}, as in summary.json) of tpr_at at each grid fpr."""
    return [sum(tpr_at(c["fpr"], c["tpr"], x) for c in curves) / len(curves) for x in grid]


def roc_panel(runs, names, score="msp", points=201):
    """{method: (fpr grid, mean tpr, mean AUROC)} over the runs that carry the method's ROC curve."""
    grid = [i / (points - 1) for i in range(points)]
    out = {}
    for name in names:
        have = [s["methods"][name] for s in runs if "ood_roc" in s["methods"][name]]
        if have:
            auroc = sum(m["ood_auroc"][score] for m in have) / len(have)
            out[name] = (grid, mean_roc([m["ood_roc"][score] for m in have], grid), auroc)
    return out


def plot(runs, names, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    roc = roc_panel(runs, names)
    fig, axes = plt.subplots(1, 3 if roc else 2, figsize=(16 if roc else 11, 4.5))
    for name in names:
        for ax, key, x_key in ((axes[0], "input_noise", "level"), (axes[1], "data_fraction", "fraction")):
            points = runs[0]["methods"][name].get(key, [])
            if not points:
                continue
            xs = [100 * p[x_key] for p in points]
            ys = [[100 * s["methods"][name][key][i]["accuracy"] for s in runs] for i in range(len(points))]
            means = [sum(y) / len(y) for y in ys]
            ax.plot(xs, means, "o-", label=name)
    axes[0].set_xlabel("input noise (% of the input range)")
    axes[1].set_xlabel("training data (%)")
    axes[1].set_xscale("log")
    for ax in axes[:2]:
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].legend()
    if roc:
        ax = axes[2]
        for name, (grid, tpr, auroc) in roc.items():  # from (0, 0): the mean may rise at fpr 0
            ax.plot([0.0] + grid, [0.0] + tpr, label=f"{name} (AUROC {auroc:.3f})")
        ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="chance")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title("held-out classes by max softmax probability", fontsize=10)
        ax.set_aspect("equal")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("pib compare (simulated devices), mean over runs")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out")
    ap.add_argument("--plot")
    a = ap.parse_args()
    runs, names = load(a.runs)
    text = table(runs, names)
    if a.out:
        pathlib.Path(a.out).write_text(text)
    sys.stdout.write(text)
    if a.plot:
        plot(runs, names, a.plot)


if __name__ == "__main__":
    main()
