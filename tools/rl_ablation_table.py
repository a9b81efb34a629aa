#!/usr/bin/python3
"""Markdown table of an RL ablation (tools/rl_ablation.sh OUT): per variant, the fraction of seeds that solved
the environment, the median environment steps to solve (an unsolved seed counts as never solving), and the
mean best 100-episode mean return.

    tools/rl_ablation_table.py OUT [VARIANT ...]
"""
import json
import math
import statistics
import sys
from pathlib import Path

DESCRIPTIONS = {
    "pib_td": "local PIB + TD (default: sync, camera noise)",
    "td_alone": "local TD alone",
    "async": "PIB + TD, async, deploy latency ~ one update",
    "ideal": "PIB + TD, ideal cameras (no noise, 16 bit)",
    "drift": "PIB + TD, medium drift",
    "td_drift": "TD alone, medium drift",
    "fault": "PIB + TD, 1/4 of unit 0's camera readouts break at step 60k",
    "td_fault": "TD alone, same fault",
    "pib_heavy": "PIB weighted up: lambda_td 0.01",
    "pib_heavy_fault": "lambda_td 0.01, same fault",
}


def median_steps(steps):
    """Median with unsolved runs (None) as +inf; None if the median run did not solve."""
    values = sorted(math.inf if s is None else s for s in steps)
    m = statistics.median(values)
    return None if math.isinf(m) else m


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    variants = sys.argv[2:] or [v for v in DESCRIPTIONS if (out / v).is_dir()]
    print("| variant | seeds | solved | median steps to solve | mean best 100-ep. mean | limit |")
    print("|---|---|---|---|---|---|")
    for v in variants:
        runs = sorted((out / v).glob("seed*/summary.json"))
        if not runs:
            continue
        summaries = [json.loads(r.read_text()) for r in runs]
        config = json.loads((runs[0].parent / "config.json").read_text())
        solved = [s["solved_at_step"] for s in summaries]
        n_solved = sum(s is not None for s in solved)
        med = median_steps(solved)
        best = statistics.mean(s["best_mean_return_100"] or 0.0 for s in summaries)
        med_text = f"{med:,.0f}" if med is not None else "not solved"
        seeds = ",".join(r.parent.name.removeprefix("seed") for r in runs)
        print(f"| {DESCRIPTIONS.get(v, v)} | {seeds} | {n_solved}/{len(runs)} | {med_text} | {best:.1f} "
              f"| {config['total_steps']:,} |")


if __name__ == "__main__":
    main()
