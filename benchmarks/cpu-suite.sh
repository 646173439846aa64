#!/bin/sh
# The CPU benchmark suite: SmolLM2-135M-shaped model (synthetic f16 weights, or MODEL=path for a real
# one), two threads: the mode table (base, single, merged, DLP K=3 of N=8 and N=100, unfused), decode
# latency against K and against N, and seven projections at r=16; then the plot.
# Usage: benchmarks/cpu-suite.sh   (writes benchmarks/results/DATE-cpu-*.{txt,json,svg})
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
swift build -c release >/dev/null
day=$(date -u +%F)
out=benchmarks/results/$day-cpu
device=${DEVICE:-cpu}
model=${MODEL:+--model $MODEL}
bench() { .build/release/dlp-gpu bench --device "$device" --threads "${THREADS:-2}" $model --prompt-tokens 64 --generate 32 --repeats "${REPEATS:-11}" "$@" 2>/dev/null; }
bench --loaded 8,100 --fused 3 > "$out-modes.txt"
bench --modes single,dlp --loaded 8 --fused 1,2,3,4,6,8 --json > "$out-k-sweep.json"
bench --modes single,dlp --loaded 3,8,16,32,64,100 --fused 3 --json > "$out-n-sweep.json"
bench --modes base,single --targets all --rank 16 > "$out-all-r16.txt"
python3 benchmarks/plot.py "$out-k-sweep.json" "$out-n-sweep.json" "$out-latency.svg"
cat "$out-modes.txt" "$out-all-r16.txt"
