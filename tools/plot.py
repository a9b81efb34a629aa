#!/usr/bin/python3
"""Plots a pib run directory as PNG files next to its metrics.

    tools/plot.py RUN_DIR

* RL runs (metrics.jsonl with "episode" lines): learning_curve.png (return per episode and its 100-episode
  mean, with the environment's threshold from summary.json if solved) and info_plane.png (I(X;Z_l) against
  I(Y;Z_l) per unit over the run, coloured by step).
* Latency runs (summary.json with "points"): latency.png (async speedup against deploy latency, with the
  ideal overlap bound).
* Training runs (pib train) are drawn by tools/plot_train.py, which this script calls when it finds one.

Reads only the project's own outputs; needs matplotlib (Debian's python3-matplotlib).
"""
import json
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def plot_rl(run, lines, summary):
    episodes = [l for l in lines if l.get("type") == "episode"]
    intervals = [l for l in lines if l.get("type") == "interval"]
    if episodes:
        steps = [e["step"] for e in episodes]
        returns = [e["return"] for e in episodes]
        mean100 = [sum(returns[max(0, i - 99):i + 1]) / len(returns[max(0, i - 99):i + 1]) for i in range(len(returns))]
        fig, ax = plt.subplots(figsize=(8, 4.5))
        ax.plot(steps, returns, ".", ms=2, alpha=0.4, label="episode return")
        ax.plot(steps, mean100, "-", lw=2, label="mean of last 100")
        solved = summary.get("solved_at_step") if summary else None
        if solved:
            ax.axvline(solved, color="k", ls="--", lw=1, label=f"solved at {solved}")
        for k, fault in enumerate(l for l in lines if l.get("type") == "fault"):
            ax.axvline(fault["step"], color="r", ls=":", lw=1.5,
                       label="fault injected" if k == 0 else None)
        ax.set_xlabel("environment step")
        ax.set_ylabel("return")
        ax.set_title(f"{summary.get('env', '') if summary else ''} (simulated devices)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(run, "learning_curve.png"), dpi=120)
        print(os.path.join(run, "learning_curve.png"))
    if intervals and intervals[0].get("units"):
        n_units = len(intervals[0]["units"])
        fig, axes = plt.subplots(1, n_units, figsize=(4.5 * n_units, 4), squeeze=False)
        for l in range(n_units):
            ax = axes[0][l]
            x = [i["units"][l]["I_xz"] for i in intervals]
            y = [i["units"][l]["I_yz"] for i in intervals]
            s = [i["step"] for i in intervals]
            ax.plot(x, y, "-", color="0.7", lw=1)
            sc = ax.scatter(x, y, c=s, cmap="viridis", s=14)
            ax.set_xlabel("I(X; Z) [bits]")
            ax.set_ylabel("I(Y; Z) [bits]")
            ax.set_title(f"unit {l + 1}")
        fig.colorbar(sc, ax=axes[0][-1], label="step")
        fig.tight_layout()
        fig.savefig(os.path.join(run, "info_plane.png"), dpi=120)
        print(os.path.join(run, "info_plane.png"))


def plot_latency(run, summary):
    pts = summary["points"]
    forwards = sorted({p["forward_us_per_sample"] for p in pts})
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for f in forwards:
        ps = sorted((p for p in pts if p["forward_us_per_sample"] == f), key=lambda p: p["deploy_us"])
        d = [p["deploy_us"] for p in ps]
        ax.plot(d, [p["async_speedup"] for p in ps], "o-", label=f"async speedup (forward {f} us/sample)")
        ax.plot(d, [p["ideal_speedup"] for p in ps], "k--", lw=1, label="ideal overlap bound" if f == forwards[0] else None)
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set_xlabel("deploy latency per unit [device us]")
    ax.set_ylabel("sync time / async time per update")
    ax.set_title("Latency mismatch (simulated devices)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(run, "latency.png"), dpi=120)
    print(os.path.join(run, "latency.png"))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tools/plot.py RUN_DIR")
    run = sys.argv[1]
    summary_path = os.path.join(run, "summary.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else {}
    if "points" in summary:
        plot_latency(run, summary)
        return
    metrics = os.path.join(run, "metrics.jsonl")
    if not os.path.exists(metrics):
        sys.exit(f"{run}: no metrics.jsonl or latency summary.json")
    lines = read_jsonl(metrics)
    if any(l.get("type") == "episode" for l in lines):
        plot_rl(run, lines, summary)
    else:
        other = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot_train.py")
        if not os.path.exists(other):
            sys.exit(f"{run}: not an RL run and tools/plot_train.py is missing")
        sys.exit(subprocess.call([sys.executable, other, run]))


if __name__ == "__main__":
    main()
