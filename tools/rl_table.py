#!/usr/bin/python3
"""Runs RL configs over seeds and writes the table the README shows: per config, the environment, the unit
kinds, the seeds solved, the median environment steps to solve, the median best 100-episode training mean
(what an unsolved config reached), the median greedy evaluation and the mean wall time.

    tools/rl_table.py --configs configs/cartpole_optical.json configs/cartpole_memristor.json \\
                      --seeds 0-4 --out runs/table [--jobs 2] [--pib build/apps/pib] [--set key=value ...]
    tools/rl_table.py --out runs/table --summarize    # the table of the runs already in OUT

Each run is `pib rl --config C --seed S --out OUT/<config>/seed<S> [--set ...]`. A run whose summary.json exists
is not run again, so an interrupted table goes on where it stopped. A seed counts as solved when its run stopped
at a greedy check that passed (or, with solve_check_episodes 0, when the training mean reached the threshold);
its steps to solve are the steps it stopped at, and an unsolved seed counts as never solving in the median.
Writes OUT/table.md and OUT/table.json and prints the table.
"""
import argparse
import concurrent.futures
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path


def parse_seeds(text):
    """'0-4' or '0,2,5' or '3' -> [0, 1, 2, 3, 4] etc."""
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise argparse.ArgumentTypeError(f"--seeds: '{text}' is not a list like 0-4 or 0,2,5")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


def run_one(pib, config, seed, run_dir, sets):
    if (run_dir / "summary.json").exists():
        return f"{run_dir}: done before"
    cmd = [pib, "rl", "--config", str(config), "--seed", str(seed), "--out", str(run_dir)]
    for s in sets:
        cmd += ["--set", s]
    log = run_dir.with_suffix(".log")
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {rc}); see {log}")
    return f"{run_dir}: ran"


def solved_step(summary, config):
    """Steps at which the run was solved (greedy check passed), or None."""
    checks = summary.get("solve_checks") or []
    if checks:
        return summary["env_steps"] if checks[-1]["passed"] else None
    if config.get("solve_check_episodes", 20) == 0:
        return summary.get("solved_at_step")
    return None


def median_or_none(values):
    """Median with None as +inf; None if the median itself is not finite."""
    if not values:
        return None
    m = statistics.median(math.inf if v is None else v for v in values)
    return None if math.isinf(m) else m


def median_of_known(values):
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def summarize(out):
    rows = []
    for cdir in sorted(p for p in out.iterdir() if p.is_dir()):
        runs = sorted(cdir.glob("seed*/summary.json"), key=lambda p: int(p.parent.name[4:]))
        if not runs:
            continue
        steps, evals, walls, seeds, bests = [], [], [], [], []
        env, kinds = "?", "?"
        for summary_file in runs:
            summary = json.loads(summary_file.read_text())
            config = json.loads((summary_file.parent / "config.json").read_text())
            env = config["env"]
            kinds = "+".join(u.get("kind", "?") for u in config["units"])
            seeds.append(int(summary_file.parent.name[4:]))
            steps.append(solved_step(summary, config))
            evals.append(summary.get("eval", {}).get("mean_return"))
            bests.append(summary.get("best_mean_return_100"))
            walls.append(summary["wall_s"])
        rows.append({
            "config": cdir.name, "env": env, "units": kinds, "seeds": seeds,
            "solved": sum(s is not None for s in steps), "runs": len(steps),
            "median_steps_to_solve": median_or_none(steps),
            "median_best_mean_100": median_of_known(bests),
            "median_greedy_eval": median_of_known(evals),
            "mean_wall_s": statistics.mean(walls),
            "steps_to_solve": steps})
    return rows


def markdown(rows):
    lines = ["| config | environment | units | solved | median steps to solve | median best 100-ep. mean "
             "| median greedy eval | mean wall s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        med = "not reached" if r["median_steps_to_solve"] is None else f"{r['median_steps_to_solve']:,.0f}"
        ev = "-" if r["median_greedy_eval"] is None else f"{r['median_greedy_eval']:.1f}"
        best = "-" if r["median_best_mean_100"] is None else f"{r['median_best_mean_100']:.1f}"
        seeds = f"{min(r['seeds'])}-{max(r['seeds'])}" if r["seeds"] == list(
            range(min(r["seeds"]), max(r["seeds"]) + 1)) else ",".join(map(str, r["seeds"]))
        lines.append(f"| {r['config']} (seeds {seeds}) | {r['env']} | {r['units']} | {r['solved']}/{r['runs']} "
                     f"| {med} | {best} | {ev} | {r['mean_wall_s']:.0f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="*", default=[], help="pib rl configs (JSON files)")
    ap.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2, 3, 4], help="e.g. 0-4 or 0,2,5")
    ap.add_argument("--out", required=True, type=Path, help="the table's directory")
    ap.add_argument("--pib", default=str(Path(__file__).resolve().parents[1] / "build" / "apps" / "pib"))
    ap.add_argument("--jobs", type=int, default=1, help="runs at once")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="key=value for every run")
    ap.add_argument("--summarize", action="store_true", help="only write the table of the runs in OUT")
    a = ap.parse_args()
    if a.jobs < 1:
        ap.error("--jobs must be >= 1")
    if not a.summarize:
        if not a.configs:
            ap.error("--configs: name at least one config (or use --summarize)")
        for c in a.configs:
            if not Path(c).is_file():
                ap.error(f"--configs: {c} is not a file")
        if not Path(a.pib).is_file():
            ap.error(f"--pib: {a.pib} does not exist (build pib first)")
        jobs = [(c, s, a.out / Path(c).stem / f"seed{s}") for c in a.configs for s in a.seeds]
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
            futures = [pool.submit(run_one, a.pib, c, s, d, a.sets) for c, s, d in jobs]
            for f in concurrent.futures.as_completed(futures):
                print(f.result(), file=sys.stderr, flush=True)
    if not a.out.is_dir():
        ap.error(f"--out: {a.out} holds no runs")
    rows = summarize(a.out)
    table = markdown(rows)
    (a.out / "table.md").write_text(table)
    (a.out / "table.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(table, end="")


if __name__ == "__main__":
    main()
