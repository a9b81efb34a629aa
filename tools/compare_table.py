#!/usr/bin/python3
"""The table of several `pib compare` runs (seeds) of one config: mean and spread per method and test.

    tools/compare_table.py RUN_DIR [RUN_DIR ...] [--out table.md] [--plot figure.png]

Each cell is "mean ± sd" over the runs (sd: sample standard deviation; one run: the value alone), in %:
clean accuracy, accuracy at each input-noise level and data fraction, the OOD AUROCs; then the means of the
devices' measure calls, deploys, simulated device seconds and training wall seconds. Runs must share their
methods, levels and fractions. --plot draws accuracy against noise and against the data fraction (needs
matplotlib, Debian's python3-matplotlib).
"""
import argparse
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


def plot(runs, names, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
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
    for ax in axes:
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].legend()
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
