"""pib.rl.Trainer against the pib program: the same config gives the same run and the same run directory;
errors as Python exceptions; and the Python CartPole learned through the bridge."""
import json
import subprocess

import numpy as np
import pytest

import pib
from cartpole_env import PyCartPole
from conftest import PROGRAM, SOURCE, program_env, small_config


def episodes(run_dir):
    return [json.loads(l)["return"] for l in (run_dir / "metrics.jsonl").read_text().splitlines()
            if json.loads(l)["type"] == "episode"]


def test_trainer_writes_the_run_directory_pib_rl_writes(tmp_path):
    cfg = small_config(seed=5, checkpoint_every=1000)
    path = tmp_path / "small.json"
    path.write_text(json.dumps(cfg))
    summary = pib.rl.Trainer(str(path), out=str(tmp_path / "py"), progress=False).run(eval_episodes=3)
    r = subprocess.run([str(PROGRAM), "rl", "--config", str(path), "--out", str(tmp_path / "cli"),
                        "--eval-episodes", "3"], capture_output=True, text=True, env=program_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    cli = json.loads(r.stdout.splitlines()[-1])
    for key in ("env_steps", "updates", "episodes", "best_mean_return_100", "eval", "solved_at_step"):
        assert summary[key] == cli[key], key
    assert episodes(tmp_path / "py") == episodes(tmp_path / "cli")
    names = lambda d: sorted(p.name for p in d.iterdir() if p.name != ".lock")
    assert names(tmp_path / "py") == names(tmp_path / "cli")
    assert json.loads((tmp_path / "py" / "config.json").read_text()) == \
        json.loads((tmp_path / "cli" / "config.json").read_text())
    # a dict gives the same run as the file
    again = pib.rl.Trainer(cfg, out=str(tmp_path / "dict"), progress=False).run(eval_episodes=0)
    assert episodes(tmp_path / "dict") == episodes(tmp_path / "py") and again["updates"] == summary["updates"]


def test_evaluate_and_save_agree_with_rl_eval(tmp_path):
    t = pib.rl.Trainer(small_config(seed=2), out=str(tmp_path / "run"), progress=False)
    t.run(eval_episodes=0)
    returns = t.evaluate(4, seed=99)
    assert returns == t.evaluate(4, seed=99) and len(returns) == 4
    t.save(tmp_path / "mine.pib")
    r = subprocess.run([str(PROGRAM), "rl-eval", "--checkpoint", str(tmp_path / "mine.pib"), "--episodes", "4",
                        "--seed", "99"], capture_output=True, text=True, env=program_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    cli = [json.loads(l)["return"] for l in r.stdout.splitlines()[:-1]]
    assert cli == returns
    assert t.config["seed"] == 2 and t.env_steps == 3000 and t.run_dir == tmp_path / "run"


def test_callbacks_get_the_metrics_records(tmp_path):
    intervals, eps = [], []
    pib.rl.Trainer(small_config(), out=str(tmp_path / "r"), progress=False).run(
        on_episode=eps.append, on_interval=intervals.append, eval_episodes=0)
    assert [i["step"] for i in intervals] == [1000, 2000, 3000]
    assert intervals[0]["type"] == "interval" and len(intervals[-1]["units"]) == 2
    assert [e["return"] for e in eps] == episodes(tmp_path / "r")


def test_progress_goes_to_pythons_stderr(tmp_path, capsys):
    """Through sys.stderr (so that a notebook shows it), not the process's file descriptor 2."""
    pib.rl.Trainer(small_config(), out=str(tmp_path / "r")).run(eval_episodes=0)
    err = capsys.readouterr().err
    assert "pib.rl: step 3000/3000" in err and "pib.rl: finished at step 3000" in err


def test_an_exception_in_a_callback_crosses_back(tmp_path):
    def boom(e):
        raise KeyError("from the callback")
    with pytest.raises(KeyError, match="from the callback"):
        pib.rl.Trainer(small_config(), out=str(tmp_path / "r"), progress=False).run(on_episode=boom)


def test_config_errors(tmp_path):
    with pytest.raises(ValueError, match="no_such_key"):
        pib.rl.Trainer(small_config(no_such_key=1), out=str(tmp_path / "a"), progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        pib.rl.Trainer(small_config(batch_size=0), out=str(tmp_path / "b"), progress=False)
    with pytest.raises(OSError, match="missing.json"):
        pib.rl.Trainer(str(tmp_path / "missing.json"), progress=False)
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    with pytest.raises(OSError, match="not valid JSON"):
        pib.rl.Trainer(str(bad), progress=False)
    with pytest.raises(ValueError, match="cannot go into a JSON config"):
        pib.rl.Trainer(small_config(seed=object()), progress=False)
    with pytest.raises(ValueError, match="neither an environment"):
        pib.rl.Trainer(small_config(env=42), progress=False)
    with pytest.raises(OSError, match="no checkpoint"):
        (tmp_path / "empty").mkdir()
        pib.rl.Trainer.resume(tmp_path / "empty")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_python_cartpole_learns_through_the_bridge(tmp_path):
    """The default optical config on the Python CartPole: a 100-episode mean of 300 within 150,000 steps
    (seed 1: at 69,476 steps, as the native CartPole-v1 with this seed)."""
    cfg = json.loads((SOURCE / "configs" / "cartpole_optical.json").read_text())
    cfg.update(env=PyCartPole, seed=1, total_steps=150000)
    t = pib.rl.Trainer(cfg, out=str(tmp_path / "run"), progress=False)
    returns = []

    def on_episode(e):
        returns.append(e["return"])
        if len(returns) >= 100 and np.mean(returns[-100:]) >= 300:
            t.stop()

    summary = t.run(on_episode=on_episode, eval_episodes=0)
    best = max(np.mean(returns[i - 100:i]) for i in range(100, len(returns) + 1))
    assert best >= 300, f"best 100-episode mean {best:.1f} after {summary['env_steps']} steps"
    assert summary["env_steps"] <= 150000
