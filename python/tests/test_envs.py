"""pib.envs against the pib program's own rollouts, the bridge against the native environment step for step,
and VectorEnv's arrays as views."""
import json
import subprocess

import numpy as np
import pytest

import pib
from conftest import PROGRAM, program_env
from cartpole_env import PyCartPole


def cli_rollout(env_id, seed, actions):
    out = subprocess.run([str(PROGRAM), "env", "rollout", "--env", env_id, "--seed", str(seed), "--actions",
                          ",".join(map(str, actions))], capture_output=True, text=True, check=True, env=program_env())
    return [json.loads(line) for line in out.stdout.splitlines()]


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"])
def test_make_steps_as_the_program_does(env_id):
    env = pib.envs.make(env_id)
    n = env.action_space.n
    actions = [(3 * t + 1) % n for t in range(40)]
    obs, info = env.reset(seed=7)
    assert obs.dtype == np.float32 and obs.shape == env.observation_space.shape and info == {}
    for t, (a, ref) in enumerate(zip(actions, cli_rollout(env_id, 7, actions))):
        obs, reward, terminated, truncated, info = env.step(a)
        np.testing.assert_array_equal(obs, np.array(ref["observation"], dtype=np.float32))
        assert (reward, terminated, truncated) == (ref["reward"], ref["terminated"], ref["truncated"])
        if terminated or truncated:
            break


def test_spaces_and_limits():
    env = pib.envs.make("CartPole-v1")
    assert env.action_space.n == 2 and env.observation_space.shape == (4,)
    assert env.observation_space.high[0] == pytest.approx(4.8) and np.isinf(env.observation_space.high[1])
    assert env.max_episode_steps == 500 and env.reward_threshold == 475.0
    assert set(pib.envs.registered_ids()) >= {"CartPole-v1", "Acrobot-v1", "MountainCar-v0"}


def test_errors_are_python_exceptions():
    with pytest.raises(ValueError, match="unknown environment id 'Nope'"):
        pib.envs.make("Nope")
    env = pib.envs.make("CartPole-v1")
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(0)
    env.reset(seed=1)
    with pytest.raises(ValueError, match="action 5"):
        env.step(5)


def test_python_environment_through_the_bridge_equals_the_native_one():
    native = pib.envs.make("CartPole-v1")
    bridged = pib.envs.make("python:cartpole_env:make_env")
    assert bridged.id == "python:cartpole_env:make_env"
    assert bridged.max_episode_steps == 500 and bridged.reward_threshold == 475.0
    rng = np.random.default_rng(0)
    steps = 0
    for episode in range(30):
        o1, _ = native.reset(seed=100 + episode)
        o2, _ = bridged.reset(seed=100 + episode)
        np.testing.assert_array_equal(o1, o2)
        done = False
        while not done:  # a balancing policy with 10 % random actions: long episodes
            a = int(o1[2] + 0.3 * o1[3] > 0) if rng.random() > 0.1 else int(rng.integers(2))
            steps += 1
            r1, r2 = native.step(a), bridged.step(a)
            np.testing.assert_array_equal(r1[0], r2[0])
            assert r1[1:4] == r2[1:4]
            done = r1[2] or r1[3]
            o1 = r1[0]
    assert steps > 5000


def test_register_a_python_environment_by_id():
    pib.envs.register("PyCartPole-test-v0", PyCartPole)
    assert "PyCartPole-test-v0" in pib.envs.registered_ids()
    env = pib.envs.make("PyCartPole-test-v0")
    obs, _ = env.reset(seed=3)
    np.testing.assert_array_equal(obs, pib.envs.make("CartPole-v1").reset(seed=3)[0])
    with pytest.raises(ValueError, match="already registered"):
        pib.envs.register("PyCartPole-test-v0", PyCartPole)


def test_vector_env_returns_views_that_step_overwrites():
    v = pib.envs.VectorEnv("CartPole-v1", 3, seed=5)
    assert v.num_envs == 3 and v.single_action_space.n == 2
    obs0, _ = v.reset()
    first = obs0.copy()
    assert obs0.shape == (3, 4) and obs0.dtype == np.float32 and not obs0.flags.writeable
    obs, rewards, terminated, truncated, _ = v.step(np.ones(3, dtype=np.int64))
    assert np.shares_memory(obs, obs0)  # no copy: the same buffer, overwritten by the step
    assert not np.array_equal(obs, first)
    assert rewards.dtype == np.float64 and terminated.dtype == np.bool_ and truncated.shape == (3,)
    # the same seed gives the same batch
    w = pib.envs.VectorEnv("CartPole-v1", 3, seed=5)
    np.testing.assert_array_equal(w.reset()[0], first)
    # next-step auto-reset: push right until copy 0 ends, then it restarts with reward 0
    for _ in range(200):
        obs, rewards, terminated, truncated, _ = v.step(np.ones(3, dtype=np.int64))
        if terminated[0]:
            break
    assert terminated[0]
    obs, rewards, terminated, truncated, _ = v.step(np.ones(3, dtype=np.int64))
    assert rewards[0] == 0.0 and not terminated[0] and abs(obs[0]).max() <= 0.05
    with pytest.raises(ValueError):
        v.step(np.ones(2, dtype=np.int64))


def test_gymnasium_registration():
    gymnasium = pytest.importorskip("gymnasium")
    import pib.gymnasium
    ids = pib.gymnasium.register()
    assert "pib/CartPole-v1" in ids
    env = gymnasium.make("pib/CartPole-v1")
    obs, _ = env.reset(seed=3)
    np.testing.assert_array_equal(obs, pib.envs.make("CartPole-v1").reset(seed=3)[0])
