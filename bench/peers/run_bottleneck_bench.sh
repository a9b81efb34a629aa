#!/bin/sh
# Runs bench_bottleneck and the PyTorch peer on the same problems and prints both figures and the ratios.
# CPU time per step is compared (the machine is shared; wall time is noisier). Usage:
#   bench/peers/run_bottleneck_bench.sh [path/to/bench_bottleneck] [sizes, default 64,256,1024,4096]
# The peer's exact estimator at n = 4,096 takes minutes per step; pass 64,256,1024 to skip it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bench=${1:-$here/../../build/bench/bench_bottleneck}
sizes=${2:-64,256,1024,4096}
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bench" --benchmark_filter='pib_loss_grad|unit_loss_grad' --benchmark_min_time=1 --benchmark_format=csv \
  2>/dev/null >"$tmp/ours"
"$python" "$here/pib_loss_torch.py" --sizes "$sizes" >"$tmp/exact"
"$python" "$here/pib_loss_torch.py" --sizes "$sizes" --closed-form-alpha2 >"$tmp/exact_cf"
for m in 128 256; do
  "$python" "$here/pib_loss_torch.py" --sizes "$(echo "$sizes" | sed 's/^64,//')" --features $m >>"$tmp/features"
done
cat "$tmp/exact" "$tmp/features" >"$tmp/peer"

# ours_ms: whole step incl. the batch-constant part; unit_ms: the per-unit part only (BatchTargets shared).
# torch_same: the peer computing the same estimator; torch_exact: the peer's exact estimator (eigvalsh, what
# public matrix-based IB code does) at the same n and alpha; cf: the same with the alpha = 2 closed form.
printf '%-58s %9s %9s %11s %11s %9s %10s %9s\n' case ours_ms unit_ms torch_same torch_exact x_same x_exact x_cf
while read -r name torch_ms loss; do
  ours_ms=$(grep "^\"$name\"" "$tmp/ours" | cut -d, -f4)
  [ -n "$ours_ms" ] || continue
  unit_ms=$(grep "^\"unit_${name#pib_}\"" "$tmp/ours" | cut -d, -f4)
  exact_name=${name%/features:*}
  exact_ms=$(grep "^$exact_name " "$tmp/exact" | cut -d' ' -f2)
  cf_ms=$(grep "^$exact_name " "$tmp/exact_cf" | cut -d' ' -f2)
  awk -v n="$name" -v o="$ours_ms" -v u="$unit_ms" -v t="$torch_ms" -v e="${exact_ms:-0}" -v c="${cf_ms:-0}" 'BEGIN {
    printf "%-58s %9.2f %9.2f %11.1f %11.1f %8.1fx %9.1fx %8.1fx\n", n, o, u, t, e, t / o, e / o, c / o }'
done <"$tmp/peer"
echo "x_same: torch computing the same estimator / ours; x_exact: torch's exact estimator / ours;"
echo "x_cf: torch's exact estimator with the alpha = 2 closed form (no eigvalsh) / ours."
