#!/bin/sh
# The GPU benchmark suite: the CPU suite's cases on the CUDA backend (libdlp_cuda.so must be found:
# DLP_CUDA_LIBRARY, next to the executable, or CKernels/cuda/build), Qwen2-1.5B-shaped by default.
# Usage: benchmarks/gpu-suite.sh [DLP_GPU_BINARY]   (writes benchmarks/results/DATE-gpu-*)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin=${1:-.build/release/dlp-gpu}
day=$(date -u +%F)
out=benchmarks/results/$day-gpu
bench() { "$bin" bench --device cuda --shape "${SHAPE:-qwen2-1.5b}" --dtype bf16 --prompt-tokens 256 --generate 64 --repeats 5 "$@" 2>/dev/null; }
bench --loaded 8,100 --fused 3 > "$out-modes.txt"
bench --modes single,dlp --loaded 8 --fused 1,2,3,4,6,8 --json > "$out-k-sweep.json"
bench --modes single,dlp --loaded 3,8,16,32,64,100 --fused 3 --json > "$out-n-sweep.json"
python3 benchmarks/plot.py "$out-k-sweep.json" "$out-n-sweep.json" "$out-latency.svg"
cat "$out-modes.txt"
