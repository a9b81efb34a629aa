"""Python environments that break Gymnasium's API in one way each, for the bridge's error tests."""
import numpy as np

from cartpole_env import Box, Discrete, PyCartPole


class RaisesInStep(PyCartPole):
    """Raises from step() on the `at`-th step of its 60th episode (after the agent's calibration episodes,
    which run on a copy of their own)."""

    def __init__(self, at=7):
        super().__init__()
        self.at, self.episodes = at, 0

    def reset(self, *, seed=None, options=None):
        self.episodes += 1
        return super().reset(seed=seed)

    def step(self, action):
        if self.episodes == 60 and self.steps + 1 == self.at:
            self.explode()
        return super().step(action)

    def explode(self):
        raise ZeroDivisionError("the pole fell off the simulator")


class WrongShape(PyCartPole):
    def step(self, action):
        obs, r, term, trunc, info = super().step(action)
        return obs[:3], r, term, trunc, info


class WrongDtype(PyCartPole):
    def step(self, action):
        obs, r, term, trunc, info = super().step(action)
        return np.array(["a", "b", "c", "d"]), r, term, trunc, info


class NanObservation(PyCartPole):
    def step(self, action):
        obs, r, term, trunc, info = super().step(action)
        if self.steps == 5:
            obs[2] = np.nan
        return obs, r, term, trunc, info


class ContinuousActions(PyCartPole):
    def __init__(self):
        super().__init__()
        self.action_space = Box([-1.0], [1.0])


class OldApi(PyCartPole):
    """Gym's old 4-tuple step."""

    def step(self, action):
        obs, r, term, trunc, info = super().step(action)
        return obs, r, term or trunc, info
