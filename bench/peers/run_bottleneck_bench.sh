#!/bin/sh
# Runs bench_bottleneck and the PyTorch peer on the same problems and prints both figures and the ratios.
# CPU time per step is compared (the machine is shared; wall time is noisier). Usage:
#   bench/peers/run_bottleneck_bench.sh [path/to/bench_bottleneck]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bench=${1:-$here/../../build/bench/bench_bottleneck}
python=${PYTHON:-/usr/bin/python3}
ours=$(mktemp)
peer=$(mktemp)
peer2=$(mktemp)
trap 'rm -f "$ours" "$peer" "$peer2"' EXIT
"$bench" --benchmark_filter='pib_loss_grad|unit_loss_grad' --benchmark_min_time=1 --benchmark_format=csv 2>/dev/null >"$ours"
"$python" "$here/pib_loss_torch.py" >"$peer"
"$python" "$here/pib_loss_torch.py" --closed-form-alpha2 >"$peer2"
printf '%-46s %10s %10s %12s %10s %16s\n' case ours_ms unit_ms torch_ms ratio ratio_torch_a2cf
while read -r name torch_ms loss; do
  ours_ms=$(grep "^\"$name\"" "$ours" | cut -d, -f4)
  unit_ms=$(grep "^\"unit_${name#pib_}\"" "$ours" | cut -d, -f4)
  cf_ms=$(grep "^$name " "$peer2" | cut -d' ' -f2)
  awk -v n="$name" -v o="$ours_ms" -v u="$unit_ms" -v t="$torch_ms" -v c="$cf_ms" 'BEGIN {
    printf "%-46s %10.3f %10.3f %12.3f %9.1fx %15.1fx\n", n, o, u, t, t / o, c / o }'
done <"$peer"
echo "ours_ms: whole step incl. the batch-constant part; unit_ms: per-unit part only (BatchTargets shared)."
echo "ratio: torch (eigvalsh + autograd) / ours; ratio_torch_a2cf: torch with the alpha=2 closed form / ours."
