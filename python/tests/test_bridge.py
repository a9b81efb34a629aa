"""Python environments in the agent: the same returns as the native environment, errors that name the
environment, episode and step, checkpoints that survive them, Ctrl-C, and the pib program's
--set env=python:MODULE:FACTORY."""
import json
import signal
import subprocess
import sys
import textwrap

import pytest

import pib
import broken_envs
from cartpole_env import PyCartPole
from conftest import PROGRAM, SOURCE, program_env, small_config


def episode_returns(config, out):
    returns = []
    summary = pib.rl.Trainer(config, out=str(out), progress=False).run(
        on_episode=lambda e: returns.append(e["return"]), eval_episodes=0)
    return returns, summary


def test_python_cartpole_gives_the_native_returns(tmp_path):
    native, s1 = episode_returns(small_config(seed=4), tmp_path / "native")
    bridged, s2 = episode_returns(small_config(seed=4, env=PyCartPole), tmp_path / "python")
    assert len(native) > 20
    assert bridged == native
    assert s1["updates"] == s2["updates"] and s1["best_mean_return_100"] == s2["best_mean_return_100"]
    # an environment object (deep-copied for each copy the agent makes) does the same
    obj, _ = episode_returns(small_config(seed=4, env=PyCartPole()), tmp_path / "object")
    assert obj == native


def test_async_schedule_with_a_python_environment(tmp_path):
    returns, summary = episode_returns(small_config(seed=2, schedule="async", env=PyCartPole), tmp_path / "a")
    assert summary["env_steps"] == 3000 and len(returns) == summary["episodes"] > 0


def test_distributed_actor_threads_step_python_environments(tmp_path):
    cfg = small_config(env=PyCartPole, total_steps=4000, distributed={"actors": 2, "envs_per_actor": 2})
    summary = pib.rl.Trainer(cfg, out=str(tmp_path / "d"), progress=False).run(eval_episodes=2)
    assert summary["schedule"] == "distributed" and summary["env_steps"] >= 4000 and summary["episodes"] > 0


def test_exception_in_step_names_environment_episode_step_and_keeps_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    cfg = small_config(env=broken_envs.RaisesInStep, total_steps=5000, checkpoint_every=200)
    t = pib.rl.Trainer(cfg, out=str(out), progress=False)
    with pytest.raises(RuntimeError) as err:
        t.run(eval_episodes=0)
    message = str(err.value)
    assert "RaisesInStep" in message and "episode 59, step 6:" in message
    assert "ZeroDivisionError: the pole fell off the simulator" in message
    assert "in explode" in message  # the Python traceback
    checkpoints = sorted(out.glob("checkpoint_*.pib"))
    assert checkpoints
    del t
    # the last checkpoint is whole: the run resumes from it (the id names the class registered in this process)
    assert json.loads((out / "config.json").read_text())["env"].startswith("python-object:RaisesInStep")
    last = max(int(p.stem.split("_")[1]) for p in checkpoints)
    assert pib.rl.Trainer.resume(out, progress=False).env_steps == last > 0


@pytest.mark.parametrize("env, match", [
    (broken_envs.WrongShape, r"shape \(3\); the observation space has 4 values"),
    (broken_envs.WrongDtype, r"dtype <U1; pib needs numbers"),
    (broken_envs.OldApi, r"not \(observation, reward, terminated, truncated, info\)"),
])
def test_contract_breaches_are_errors_naming_the_step(tmp_path, env, match):
    with pytest.raises(RuntimeError, match=match) as err:
        pib.rl.Trainer(small_config(env=env), out=str(tmp_path / "r"), progress=False).run(eval_episodes=0)
    assert "episode 0, step 1" in str(err.value)


def test_nan_observation_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"non-finite observation \(value 2 = nan\) at step 5"):
        pib.rl.Trainer(small_config(env=broken_envs.NanObservation), out=str(tmp_path / "r"),
                       progress=False).run(eval_episodes=0)


def test_an_action_space_that_is_not_discrete_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="is not discrete"):
        pib.rl.Trainer(small_config(env=broken_envs.ContinuousActions), out=str(tmp_path / "r"), progress=False)
    assert not (tmp_path / "r").exists()  # a config that fails leaves no run directory


def test_stop_writes_a_checkpoint_and_resume_goes_on(tmp_path):
    out = tmp_path / "run"
    t = pib.rl.Trainer(small_config(env="python:cartpole_env:make_env", total_steps=6000), out=str(out),
                       progress=False)
    episodes = []

    def on_episode(e):
        episodes.append(e)
        if len(episodes) == 30:
            t.stop()

    summary = t.run(on_episode=on_episode, eval_episodes=0)
    assert summary["interrupted"] and summary["env_steps"] < 6000
    assert (out / f"checkpoint_{summary['env_steps']}.pib").exists()
    del t
    resumed = pib.rl.Trainer.resume(out, progress=False)
    assert resumed.env_steps == summary["env_steps"]
    final = resumed.run(eval_episodes=2)
    assert final["env_steps"] == 6000 and not final["interrupted"] and final["eval"]["episodes"] == 2


def test_ctrl_c_in_python_stops_with_a_checkpoint(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(SOURCE / 'python' / 'tests')!r})
        import pib
        from conftest import small_config
        t = pib.rl.Trainer(small_config(env="python:cartpole_env:make_env", total_steps=100000),
                           out={str(tmp_path / 'run')!r}, progress=False)
        n = [0]
        def on_episode(e):
            n[0] += 1
            if n[0] == 20:
                os.kill(os.getpid(), signal.SIGINT)
        try:
            t.run(on_episode=on_episode)
        except KeyboardInterrupt as e:
            print("interrupted:", e)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=program_env(),
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert "interrupted:" in r.stdout and "Trainer.resume" in r.stdout
    assert list((tmp_path / "run").glob("checkpoint_*.pib"))


def test_pib_rl_runs_a_python_environment_like_the_native_one(tmp_path):
    def run(env, out):
        r = subprocess.run([str(PROGRAM), "rl", "--config", str(SOURCE / "configs" / "cartpole_optical.json"),
                            "--set", f"env={env}", "--set", "total_steps=2500", "--set", "learning_starts=500",
                            "--seed", "3", "--eval-episodes", "0", "--out", str(out)],
                           capture_output=True, text=True, env=program_env(), timeout=300)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout.splitlines()[-1])

    native = run("CartPole-v1", tmp_path / "n")
    bridged = run("python:cartpole_env:make_env", tmp_path / "p")
    assert bridged["env"] == "python:cartpole_env:make_env"
    assert (bridged["episodes"], bridged["best_mean_return_100"]) == (native["episodes"], native["best_mean_return_100"])
    read = lambda d: [json.loads(l)["return"] for l in (d / "metrics.jsonl").read_text().splitlines()
                      if json.loads(l)["type"] == "episode"]
    assert read(tmp_path / "p") == read(tmp_path / "n")


def test_pib_rl_errors_on_a_python_environment(tmp_path):
    r = subprocess.run([str(PROGRAM), "rl", "--config", str(SOURCE / "configs" / "cartpole_optical.json"),
                        "--set", "env=python:no_such_module:make", "--out", str(tmp_path / "r")],
                       capture_output=True, text=True, env=program_env(), timeout=120)
    assert r.returncode == 2
    assert "No module named 'no_such_module'" in r.stderr and "PYTHONPATH" in r.stderr
    r = subprocess.run([str(PROGRAM), "rl", "--config", str(SOURCE / "configs" / "cartpole_optical.json"),
                        "--set", "env=python:broken_envs:RaisesInStep", "--set", "total_steps=5000",
                        "--set", "checkpoint_every=100", "--out", str(tmp_path / "b")],
                       capture_output=True, text=True, env=program_env(), timeout=300)
    assert r.returncode != 0
    assert "ZeroDivisionError" in r.stderr and "episode 59, step 6" in r.stderr
    assert list((tmp_path / "b").glob("checkpoint_*.pib"))


def test_ctrl_c_stops_pib_rl_with_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    p = subprocess.Popen([str(PROGRAM), "rl", "--config", str(SOURCE / "configs" / "cartpole_optical.json"),
                          "--set", "env=python:cartpole_env:make_env", "--set", "metrics_every=500",
                          "--out", str(out)], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env=program_env())
    for line in p.stderr:  # the first progress line: training is under way
        if line.startswith("pib rl: step"):
            break
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "interrupted" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] and (out / f"checkpoint_{summary['env_steps']}.pib").exists()
