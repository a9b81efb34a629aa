#!/usr/bin/python3
"""Calibration sweep of the systematic crossbar non-idealities against the deployment loss of backprop in
silico (DESIGN.md 3.2, issue 7).

    /usr/bin/python3 tools/calibrate_memristor.py SWEEP.json [--pib BUILD/apps/pib] [--out DIR] [--only NAME]

SWEEP.json (see configs/calibration/memristor.json):
  {"configs": {"mnist": "configs/mnist_memristor_mlp.json", ...},   # name -> pib train config
   "targets": {"mnist": 2.4, "mnist1d": 8.5},                        # wanted bp_ideal - bp_deployed (points)
   "seeds": [0],
   "base_sets": {"mnist": ["unit_epochs=[0,0]"], ...},               # extra --set per config
   "settings": [{"name": "...", "device": {"d2d_sigma_rel": 0.1, ...}}, ...]}

Every setting's "device" keys are applied to every unit of every config with --set units.I.KEY=VALUE; PIB is
switched off (0 epochs, no pib_ideal, no raw readout, a short readout), so a run is backprop in silico, its
deployment on the simulated chip, and a readout refit. Prints one table row per setting: the mean over seeds
of bp_ideal, bp_deployed and their gap per config, and writes all numbers to DIR/calibration.json.
"""
import argparse
import json
import os
import sys
import tempfile

from sweep_train import run  # one `pib train` run -> its summary.json

PIB_OFF = ["epochs_per_unit=0", "compare.pib_ideal=false", "compare.raw_readout=false", "readout.epochs=5"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep")
    ap.add_argument("--pib", default="build-train/apps/pib")
    ap.add_argument("--out", default=None, help="directory for calibration.json (default: a temporary one)")
    ap.add_argument("--only", default=None, help="run only the setting of this name")
    args = ap.parse_args()
    with open(args.sweep) as f:
        sweep = json.load(f)
    out = args.out or tempfile.mkdtemp(prefix="pib-calibration-")
    os.makedirs(out, exist_ok=True)
    configs, targets = sweep["configs"], sweep.get("targets", {})
    seeds = sweep.get("seeds", [0])
    results = []
    names = list(configs)
    print("| setting | " + " | ".join(f"{n} bp_ideal / deployed / gap (target {targets.get(n, '-')})"
                                       for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for setting in sweep["settings"]:
        if args.only and setting["name"] != args.only:
            continue
        row = {"name": setting["name"], "device": setting.get("device", {}), "configs": {}}
        cells = []
        for name in names:
            with open(configs[name]) as f:
                n_units = len(json.load(f)["units"])
            sets = PIB_OFF + [f"unit_epochs={json.dumps([0] * n_units)}"] + sweep.get("base_sets", {}).get(name, [])
            for key, value in setting.get("device", {}).items():
                sets += [f"units.{i}.{key}={json.dumps(value)}" for i in range(n_units)]
            per_seed = []
            for seed in seeds:
                run_dir = os.path.join(out, f"{setting['name']}-{name}-seed{seed}")
                s = run(args.pib, configs[name], seed, sets, run_dir)
                per_seed.append({k: s[k] for k in ("bp_ideal", "bp_deployed", "bp_deployed_readout_refit")})
            mean = {k: 100 * sum(p[k] for p in per_seed) / len(per_seed) for k in per_seed[0]}
            mean["gap"] = mean["bp_ideal"] - mean["bp_deployed"]
            row["configs"][name] = {"seeds": seeds, "per_seed": per_seed, "mean_percent": mean}
            cells.append(f"{mean['bp_ideal']:.2f} / {mean['bp_deployed']:.2f} / {mean['gap']:.2f}")
        results.append(row)
        print(f"| {setting['name']} | " + " | ".join(cells) + " |", flush=True)
    with open(os.path.join(out, "calibration.json"), "w") as f:
        json.dump({"sweep": sweep, "results": results}, f, indent=1)
    print(f"wrote {os.path.join(out, 'calibration.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
