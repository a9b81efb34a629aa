#!/usr/bin/env bash
# The README's two commands: set everything up, build, then run the main job or the tests.
#
#   tools/quickstart.sh run     RL training on CartPole-v1 with the default simulated optical units
#   tools/quickstart.sh test    every test (the learning tests included)
#
# Extra arguments after `run` go to `pib rl` (e.g. --seed 3 --set schedule=async).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-run}
shift || true
tools/install-deps.sh
arch=""
# This build is for this machine: use AVX2/FMA when the CPU has them (PIB_ARCH applies to pib's targets only).
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then arch=x86-64-v3; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPIB_ARCH="$arch" -DPIB_BUILD_TESTS=ON -DPIB_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)"
case "$what" in
  run) exec build/apps/pib rl --config configs/cartpole_optical.json "$@" ;;
  test) exec ctest --test-dir build --output-on-failure -j"$(nproc)" ;;
  *) echo "usage: tools/quickstart.sh run|test" >&2; exit 2 ;;
esac
