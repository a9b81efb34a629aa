#!/usr/bin/env python3
"""Peer figure for bench_envs: Gymnasium's own CartPole-v1 stepping speed on this machine.

Gymnasium is not a Debian package, so it is imported from a source checkout given by --gymnasium-path or the
GYMNASIUM_PATH environment variable (the directory that contains the `gymnasium` package). Needs numpy
(Debian: python3-numpy). Steps one environment with uniformly random actions (drawn up front, so the figure
is the environment's cost alone) and resets when an episode ends, like bench_envs' env_step/CartPole-v1.

Prints one JSON object: steps/s through gymnasium.make("CartPole-v1") (with its default wrappers: time
limit, order enforcing, env checker) and through the bare CartPoleEnv class, per CPU second (as Google
Benchmark counts items_per_second).

    GYMNASIUM_PATH=/tmp/gymnasium-src python3 bench/peers/gymnasium_cartpole.py --steps 300000
"""

import argparse
import json
import os
import platform
import sys
import time


def steps_per_second(env, actions, seed):
    env.reset(seed=seed)
    step = env.step
    reset = env.reset
    start = time.process_time()  # CPU time, as Google Benchmark's items_per_second
    for a in actions:
        _, _, terminated, truncated, _ = step(a)
        if terminated or truncated:
            reset()
    return len(actions) / (time.process_time() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gymnasium-path", default=os.environ.get("GYMNASIUM_PATH"),
                        help="directory containing the gymnasium package (default: $GYMNASIUM_PATH)")
    parser.add_argument("--steps", type=int, default=300_000, help="steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per variant; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.gymnasium_path:
        sys.path.insert(0, args.gymnasium_path)
    try:
        import numpy as np
        import gymnasium
        from gymnasium.envs.classic_control.cartpole import CartPoleEnv
    except ImportError as e:
        sys.exit(f"gymnasium_cartpole.py: cannot import gymnasium/numpy ({e}); pass --gymnasium-path or set "
                 "GYMNASIUM_PATH to a Gymnasium source checkout")

    rng = np.random.default_rng(args.seed)
    actions = [int(a) for a in rng.integers(0, 2, size=args.steps)]
    wrapped = max(steps_per_second(gymnasium.make("CartPole-v1"), actions, args.seed) for _ in range(args.repeats))
    bare = max(steps_per_second(CartPoleEnv(), actions, args.seed) for _ in range(args.repeats))
    print(json.dumps({
        "peer": "gymnasium CartPole-v1",
        "gymnasium_version": gymnasium.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "steps": args.steps,
        "make_steps_per_s": round(wrapped),
        "bare_env_steps_per_s": round(bare),
    }))


if __name__ == "__main__":
    main()
