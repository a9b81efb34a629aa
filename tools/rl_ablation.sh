#!/usr/bin/env bash
# The RL ablation of the README (issue 6): CartPole-v1 with the default optical Q-network, one variant at a
# time, several seeds each; every run is a normal `pib rl` run directory. Summarise with
#   tools/rl_ablation_table.py OUT
#
#   tools/rl_ablation.sh OUT [SEEDS] [VARIANTS]     e.g. tools/rl_ablation.sh runs/ablation "0 1 2 3 4"
#
# Variants (each is the default config plus --set overrides):
#   pib_td        the default: local PIB + TD, sync, default camera noise
#   td_alone      local TD alone (pib.enabled=false)
#   async         asynchronous schedule with the devices' deploy latency emulated at time scale 8 (a 16.7 ms
#                 SLM frame takes about 2 ms, the order of one update's compute), forward latency 1 us/sample
#   ideal         noise-free cameras with 16-bit readout
#   drift         both media drift, eps = 0.005 per device second (the medium decorrelates over a run)
#   fault         a quarter of unit 0's camera readouts (every 4th pixel) break to noise at step 60,000
#   td_drift, td_fault   the last two with local TD alone
#   pib_heavy     lambda_td 0.01: the PIB term carries a sizeable share of the gradient (about 0.3 % at 1)
#   pib_heavy_fault      the same with the fault
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: tools/rl_ablation.sh OUT [SEEDS] [VARIANTS]}
seeds=${2:-0 1 2 3 4}
variants=${3:-pib_td td_alone ideal drift fault td_drift td_fault async}
pib=${PIB:-build/apps/pib}
config=configs/cartpole_optical.json

mkdir -p "$out"
fault_channels=$(for j in $(seq 0 4 255); do printf '{"channel":%d,"mode":"noise"},' "$j"; done)
fault="faults=[{\"at_step\":60000,\"unit\":0,\"inject\":{\"adc_channels\":[${fault_channels%,}]}}]"
drift=(--set units.0.drift_per_s=0.005 --set units.1.drift_per_s=0.005)

args_for() {
  case "$1" in
    pib_td) ;;
    td_alone) echo "--set pib.enabled=false" ;;
    async) echo "--set schedule=async --set time_scale=8 --set units.0.forward_us_per_sample=1 --set units.1.forward_us_per_sample=1" ;;
    ideal) for u in 0 1; do echo "--set units.$u.shot_noise=false --set units.$u.read_noise_dn=0 --set units.$u.camera_bits=16"; done ;;
    drift) echo "${drift[*]}" ;;
    td_drift) echo "--set pib.enabled=false ${drift[*]}" ;;
    pib_heavy|pib_heavy_fault) echo "--set lambda_td=0.01" ;;
    fault|td_fault) ;;  # the fault JSON is passed separately (it holds no spaces)
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
}

for v in $variants; do
  for s in $seeds; do
    dir="$out/$v/seed$s"
    if [[ -f "$dir/summary.json" ]]; then echo "$dir: done"; continue; fi
    rm -rf "$dir"
    extra=()
    [[ $v == fault || $v == td_fault || $v == pib_heavy_fault ]] && extra=(--set "$fault")
    [[ $v == td_fault ]] && extra+=(--set pib.enabled=false)
    # shellcheck disable=SC2046
    "$pib" rl --config "$config" --seed "$s" --out "$dir" $(args_for "$v") "${extra[@]}" > "$out/$v.seed$s.log" 2>&1
    echo "$dir: $(tail -c 300 "$out/$v.seed$s.log" | tr '\r' '\n' | tail -n 1 | cut -c1-120)"
  done
done
