"""CartPole-v1 written in Python with Gymnasium's API (no Gymnasium needed): the same dynamics as pib's native
CartPole-v1 operation for operation, and the same reset draws (pib.envs.Rng), so that the bridge can be checked
against the native environment step for step. `make_env` is the factory `python:cartpole_env:make_env` names."""
import math

import numpy as np

import pib


class Discrete:
    def __init__(self, n):
        self.n = n


class Box:
    def __init__(self, low, high):
        self.low = np.asarray(low, dtype=np.float32)
        self.high = np.asarray(high, dtype=np.float32)
        self.shape = self.low.shape
        self.dtype = np.float32


class PyCartPole:
    max_episode_steps = 500
    reward_threshold = 475.0

    def __init__(self):
        self.gravity, self.masscart, self.masspole, self.length = 9.8, 1.0, 0.1, 0.5
        self.total_mass = self.masspole + self.masscart
        self.polemass_length = self.masspole * self.length
        self.force_mag, self.tau = 10.0, 0.02
        self.theta_threshold_radians = 12 * 2 * math.pi / 360
        self.x_threshold = 2.4
        high = [self.x_threshold * 2, np.inf, self.theta_threshold_radians * 2, np.inf]
        self.observation_space = Box([-h for h in high], high)
        self.action_space = Discrete(2)
        self._rng = pib.envs.Rng(0)
        self.state = None
        self.steps = 0

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._rng.reseed(seed)
        self.state = [self._rng.uniform(-0.05, 0.05) for _ in range(4)]
        self.steps = 0
        return np.array(self.state, dtype=np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + self.polemass_length * (theta_dot * theta_dot) * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * (costheta * costheta) / self.total_mass))
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        self.steps += 1
        terminated = bool(x < -self.x_threshold or x > self.x_threshold
                          or theta < -self.theta_threshold_radians or theta > self.theta_threshold_radians)
        truncated = self.steps >= self.max_episode_steps
        return np.array(self.state, dtype=np.float32), 1.0, terminated, truncated, {}


def make_env():
    return PyCartPole()
