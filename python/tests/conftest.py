import json
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # cartpole_env, for python:cartpole_env:make_env

import pib  # noqa: E402

SOURCE = pathlib.Path(os.environ.get("PIB_SOURCE_DIR", HERE.parents[1]))
BUILD = pathlib.Path(pib.__file__).resolve().parents[2]
PROGRAM = BUILD / "apps" / "pib"


def small_config(**overrides):
    """The default optical config (configs/cartpole_optical.json), shortened for a test."""
    cfg = json.loads((SOURCE / "configs" / "cartpole_optical.json").read_text())
    cfg.update({"total_steps": 3000, "metrics_every": 1000, "checkpoint_every": 0, "learning_starts": 500})
    cfg.update(overrides)
    return cfg


def program_env():
    """The environment for running the pib program on python:cartpole_env:make_env."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(BUILD / "python"), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path / "run"
