#!/usr/bin/python3
"""Plots of a `pib train` run directory (issue 7).

    python3 tools/plot_train.py RUN_DIR [--embedding FEATURES.csv]

Writes into RUN_DIR:
  accuracy.png        readout accuracy against PIB epochs per unit (supervised, when tracked), backprop test
                      accuracy per epoch, or the linear-probe accuracy against PIB iterations (self-supervised)
  info_plane.png      I(X;Z) against I(Y;Z) per unit, one point per epoch (supervised) or per probe interval
                      (self-supervised, I(Z1;Z2) on the y axis)
  ranks.png           a decentralised run (schedule decentralised): each rank's PIB loss against epochs and its
                      information-plane path, one column per rank (the paper's Fig. 4C, right)
  embedding.png       a t-SNE (scikit-learn) of the last unit's measured test features coloured by class, from
                      RUN_DIR/features_test.csv (or --embedding CSV; last column = label)
Reads only metrics.jsonl (and, of a run under mpirun, rank<r>/metrics.jsonl) and summary.json.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_metrics(run_dir):
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.exists(path):
        sys.exit(f"plot_train: {path}: missing (is this a pib train run directory?)")
    records = []
    # Under mpirun, rank r > 0 writes rank<r>/metrics.jsonl; in one process every rank writes metrics.jsonl.
    paths = [path] + sorted(os.path.join(run_dir, d, "metrics.jsonl") for d in os.listdir(run_dir)
                            if d.startswith("rank") and os.path.exists(os.path.join(run_dir, d, "metrics.jsonl")))
    for p in paths:
        with open(p) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def plot_ranks(records, out):
    epochs = [r for r in records if r.get("type") == "epoch" and "rank" in r]
    if not epochs:
        return False
    ranks = sorted({r["rank"] for r in epochs})
    fig, axes = plt.subplots(2, len(ranks), figsize=(3.6 * len(ranks), 6), squeeze=False)
    for col, rank in enumerate(ranks):
        mine = {r["epoch"]: r for r in epochs if r["rank"] == rank}  # a resumed run repeats no epoch
        pts = [mine[e] for e in sorted(mine)]
        ax = axes[0][col]
        ax.plot([r["epoch"] for r in pts], [r["loss"] for r in pts], "o-")
        ax.set_title(f"rank {rank} (unit {pts[0].get('unit', rank)})")
        ax.set_xlabel("epoch")
        ax.set_ylabel("PIB loss")
        ax = axes[1][col]
        xs, ys = [r["I_xz"] for r in pts], [r["I_yz"] for r in pts]
        ax.plot(xs, ys, "o-", ms=3)
        ax.plot(xs[-1], ys[-1], "*", ms=10)
        ax.set_xlabel("I(X;Z) (bits)")
        ax.set_ylabel("I(Y;Z) (bits)")
    fig.suptitle("decentralised PIB, simulated devices")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def plot_accuracy(records, summary, out):
    fig, ax = plt.subplots(figsize=(6, 4))
    drawn = False
    by_epochs = summary.get("accuracy_by_pib_epochs") or []
    for unit, accs in enumerate(by_epochs):
        if accs:
            ax.plot(range(len(accs)), [100 * a for a in accs], "o-", label=f"unit {unit} readout")
            drawn = True
    bp = [r for r in records if r.get("type") == "bp_epoch"]
    if bp:
        ax.plot([r["epoch"] for r in bp], [100 * r["test_accuracy"] for r in bp], "s--", label="backprop in silico")
        drawn = True
    probes = [r for r in records if r.get("type") == "probe"]
    if probes:
        ax.plot([r["iteration"] for r in probes], [100 * r["accuracy"] for r in probes], "o-", label="linear probe")
        if "probe_accuracy_raw_pixels" in summary:
            ax.axhline(100 * summary["probe_accuracy_raw_pixels"], color="gray", ls=":", label="raw pixels")
        ax.set_xlabel("PIB iterations")
        drawn = True
    else:
        ax.set_xlabel("epochs")
    if not drawn:
        plt.close(fig)
        return False
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("simulated devices")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def plot_info_plane(records, out):
    fig, ax = plt.subplots(figsize=(5, 4))
    series = {}
    for r in records:
        if r.get("type") in ("epoch", "probe") and "I_xz" in r:
            key = (r.get("stage", "ssl"), r["unit"])
            y = r.get("I_z1z2", r.get("I_yz"))
            series.setdefault(key, []).append((r["I_xz"], y))
    if not series:
        plt.close(fig)
        return False
    for (stage, unit), pts in sorted(series.items()):
        xs, ys = zip(*pts)
        line = ax.plot(xs, ys, "o-", ms=3, label=f"{stage} unit {unit}")[0]
        ax.plot(xs[-1], ys[-1], "*", ms=10, color=line.get_color())
    ax.set_xlabel("I(X;Z) (bits)")
    ax.set_ylabel("I(Y;Z) or I(Z1;Z2) (bits)")
    ax.set_title("information plane")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def plot_embedding(csv_path, out):
    import numpy as np
    from sklearn.manifold import TSNE

    data = np.loadtxt(csv_path, delimiter=",")
    x, y = data[:, :-1], data[:, -1].astype(int)
    if len(x) > 3000:
        idx = np.random.default_rng(0).choice(len(x), 3000, replace=False)
        x, y = x[idx], y[idx]
    emb = TSNE(n_components=2, init="pca", random_state=0).fit_transform(x)
    fig, ax = plt.subplots(figsize=(5, 5))
    sc = ax.scatter(emb[:, 0], emb[:, 1], c=y, cmap="tab10", s=3)
    ax.legend(*sc.legend_elements(), fontsize=6, loc="best")
    ax.set_title("t-SNE of last-unit features")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir")
    p.add_argument("--embedding", help="CSV of features with the label as last column")
    a = p.parse_args()
    records = read_metrics(a.run_dir)
    summary_path = os.path.join(a.run_dir, "summary.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else {}
    for name, ok in (("accuracy.png", plot_accuracy(records, summary, os.path.join(a.run_dir, "accuracy.png"))),
                     ("info_plane.png", plot_info_plane(records, os.path.join(a.run_dir, "info_plane.png"))),
                     ("ranks.png", plot_ranks(records, os.path.join(a.run_dir, "ranks.png")))):
        print(f"{'wrote' if ok else 'skipped (no data)'} {os.path.join(a.run_dir, name)}")
    if not a.embedding and os.path.exists(os.path.join(a.run_dir, "features_test.csv")):
        a.embedding = os.path.join(a.run_dir, "features_test.csv")
    if a.embedding:
        plot_embedding(a.embedding, os.path.join(a.run_dir, "embedding.png"))
        print(f"wrote {os.path.join(a.run_dir, 'embedding.png')}")


if __name__ == "__main__":
    main()
