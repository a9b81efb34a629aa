"""pib's native environments in Gymnasium's registry: ``pib.gymnasium.register()`` makes
``gymnasium.make("pib/CartPole-v1")`` (and every other id pib.envs.registered_ids() lists) work."""
import numpy as np

from . import envs as _envs


def register():
    """Registers every native pib environment with Gymnasium as pib/<id>; returns the ids registered."""
    import gymnasium
    from gymnasium import spaces

    class PibEnv(gymnasium.Env):
        metadata = {"render_modes": []}

        def __init__(self, id):
            self._env = _envs.make(id)
            box = self._env.observation_space
            self.observation_space = spaces.Box(box.low, box.high, shape=box.shape, dtype=np.float32)
            self.action_space = spaces.Discrete(self._env.action_space.n)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            return self._env.reset(seed=seed)

        def step(self, action):
            return self._env.step(int(action))

    ids = []
    for id in _envs.registered_ids():
        env = _envs.make(id)
        name = "pib/" + id
        if name not in gymnasium.registry:
            gymnasium.register(id=name, entry_point=lambda id=id, **kw: PibEnv(id, **kw),
                               max_episode_steps=None, reward_threshold=env.reward_threshold)
        ids.append(name)
    return ids
