#!/usr/bin/env bash
# The README's two commands: set everything up, build, then run the main job or the tests.
#
#   tools/quickstart.sh run     RL training on CartPole-v1 with the default simulated optical units
#   tools/quickstart.sh test    every test (the learning tests included)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-run}
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPIB_BUILD_TESTS=ON -DPIB_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)"
case "$what" in
  run) exec build/apps/pib env random --env CartPole-v1 --episodes 20 --seed 0 ;;
  test) exec ctest --test-dir build --output-on-failure -j"$(nproc)" ;;
  *) echo "usage: tools/quickstart.sh run|test" >&2; exit 2 ;;
esac
