"""tools/rl_table.py: runs pib rl over configs and seeds, resumes, and counts a seed solved only when its run
stopped at a passed greedy check."""
import json
import subprocess
import sys

from conftest import PROGRAM, SOURCE

TOOL = SOURCE / "tools" / "rl_table.py"


def fake_run(d, env, kinds, summary, config=None):
    d.mkdir(parents=True)
    (d / "config.json").write_text(json.dumps(dict({"env": env, "units": [{"kind": k} for k in kinds]}, **(config or {}))))
    (d / "summary.json").write_text(json.dumps(summary))


def test_counts_medians_and_writes_the_table(tmp_path):
    out = tmp_path / "table"
    passed = lambda step: {"solve_checks": [{"step": step, "passed": False}, {"step": step + 5000, "passed": True}],
                           "env_steps": step + 5000, "wall_s": 10.0, "eval": {"mean_return": 500.0},
                           "best_mean_return_100": 475.0 + step / 100000}
    fake_run(out / "a" / "seed0", "CartPole-v1", ["optical", "optical"], passed(100000))
    fake_run(out / "a" / "seed1", "CartPole-v1", ["optical", "optical"], passed(200000))
    # the training mean reached the threshold, but no greedy check passed: not solved
    fake_run(out / "a" / "seed2", "CartPole-v1", ["optical", "optical"],
             {"solve_checks": [{"step": 150000, "passed": False}], "solved_at_step": 150000, "env_steps": 300000,
              "wall_s": 40.0, "eval": {"mean_return": 300.0}, "best_mean_return_100": 480.0})
    # solve checks off: the training mean decides
    fake_run(out / "b" / "seed0", "Acrobot-v1", ["digital_dense"],
             {"solve_checks": [], "solved_at_step": 80000, "env_steps": 80000, "wall_s": 5.0,
              "eval": {"mean_return": -90.0}}, {"solve_check_episodes": 0})
    r = subprocess.run([sys.executable, str(TOOL), "--out", str(out), "--summarize"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = {row["config"]: row for row in json.loads((out / "table.json").read_text())}
    assert rows["a"]["solved"] == 2 and rows["a"]["runs"] == 3
    assert rows["a"]["steps_to_solve"] == [105000, 205000, None]
    assert rows["a"]["median_steps_to_solve"] == 205000  # the unsolved seed counts as never solving
    assert rows["a"]["median_greedy_eval"] == 500.0 and rows["a"]["mean_wall_s"] == 20.0
    assert rows["a"]["median_best_mean_100"] == 477.0  # of 476, 477 and 480
    assert rows["b"]["median_best_mean_100"] is None  # no run recorded one
    assert rows["b"]["solved"] == 1 and rows["b"]["median_steps_to_solve"] == 80000
    assert "| a (seeds 0-2) | CartPole-v1 | optical+optical | 2/3 | 205,000 | 477.0 | 500.0 | 20 |" in r.stdout
    assert (out / "table.md").read_text() == r.stdout


def test_runs_pib_and_goes_on_where_it_stopped(tmp_path):
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({
        "total_steps": 1500, "learning_starts": 200, "batch_size": 32, "buffer_size": 5000, "metrics_every": 500,
        "checkpoint_every": 0, "obs_scale": [2.4, 3.0, 0.21, 3.0],
        "units": [{"kind": "digital_dense", "output_dim": 8, "activation": "relu"}]}))
    out = tmp_path / "table"
    cmd = [sys.executable, str(TOOL), "--configs", str(config), "--seeds", "0,1", "--out", str(out), "--jobs", "2",
           "--pib", str(PROGRAM)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count(": ran") == 2 and "| tiny (seeds 0-1) | CartPole-v1 | digital_dense | 0/2 |" in r.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.stderr.count("done before") == 2 and again.stdout == r.stdout
    bad = subprocess.run(cmd[:2] + ["--configs", str(tmp_path / "missing.json"), "--out", str(out)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "missing.json is not a file" in bad.stderr
