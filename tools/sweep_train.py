#!/usr/bin/python3
"""A small hyperparameter sweep over `pib train` (issue 7): one run per (setting, seed), one table row per
setting with the mean over seeds of the summary keys.

    /usr/bin/python3 tools/sweep_train.py SWEEP.json [--pib BUILD/apps/pib] [--out DIR] [--only NAME]

SWEEP.json (see configs/calibration/mnist_pib_sweep.json):
  {"config": "configs/mnist_memristor_mlp.json",
   "seeds": [0],
   "base_sets": ["backprop.enabled=false"],          # --set applied to every run
   "keys": ["pib_deployed", "unit_readout_accuracy"], # summary keys to tabulate (lists: one column each)
   "settings": [{"name": "...", "sets": ["pib.beta=0.1", ...]}, ...]}
Prints a markdown table (accuracies in percent, wall time in s) and writes DIR/sweep.json.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def run(pib, config, seed, sets, out_dir):
    cmd = [pib, "train", "--config", config, "--seed", str(seed), "--out", out_dir]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out_dir, "summary.json")) as f:
        return json.load(f)


def flatten(summary, keys):
    row = {}
    for k in keys:
        v = summary.get(k)
        if isinstance(v, list):
            for i, x in enumerate(v):
                row[f"{k}[{i}]"] = 100 * x
        elif v is not None:
            row[k] = 100 * v
    row["wall_s"] = summary["wall_s"]
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep")
    ap.add_argument("--pib", default="build-train/apps/pib")
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    with open(args.sweep) as f:
        sweep = json.load(f)
    out = args.out or tempfile.mkdtemp(prefix="pib-sweep-")
    os.makedirs(out, exist_ok=True)
    keys = sweep.get("keys", ["pib_deployed", "pib_ideal", "unit_readout_accuracy"])
    seeds = sweep.get("seeds", [0])
    results, header = [], None
    for setting in sweep["settings"]:
        if args.only and setting["name"] != args.only:
            continue
        per_seed = []
        for seed in seeds:
            run_dir = os.path.join(out, f"{setting['name'].replace(' ', '_')}-seed{seed}")
            s = run(args.pib, sweep["config"], seed, sweep.get("base_sets", []) + setting.get("sets", []), run_dir)
            per_seed.append(flatten(s, keys))
        cols = list(per_seed[0])
        mean = {c: sum(p[c] for p in per_seed) / len(per_seed) for c in cols}
        if header is None:
            header = cols
            print("| setting | " + " | ".join(header) + " |")
            print("|---|" + "---|" * len(header))
        print(f"| {setting['name']} | " + " | ".join(f"{mean.get(c, float('nan')):.2f}" for c in header) + " |",
              flush=True)
        results.append({"name": setting["name"], "sets": setting.get("sets", []), "seeds": seeds,
                        "per_seed": per_seed, "mean": mean})
    with open(os.path.join(out, "sweep.json"), "w") as f:
        json.dump({"sweep": sweep, "results": results}, f, indent=1)
    print(f"wrote {os.path.join(out, 'sweep.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
