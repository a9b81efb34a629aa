"""pib: deep physical neural networks trained with the physical information bottleneck.

Submodules: pib.envs (environments with Gymnasium's API), pib.rl (the RL agent), pib.units (simulated
physical units), pib.info (matrix-based Renyi information and the PIB loss), pib.gymnasium (registers pib's
environments with Gymnasium, when it is installed).
"""
import sys as _sys

from . import _core

envs = _core.envs
rl = _core.rl
units = _core.units
info = _core.info
for _name in ("envs", "rl", "units", "info"):
    _sys.modules[__name__ + "." + _name] = getattr(_core, _name)

__all__ = ["envs", "rl", "units", "info"]
