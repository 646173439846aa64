#!/bin/sh
# The GPU benchmark suite (issue targets on a CUDA device), Qwen2-1.5B-shaped synthetic model with random
# bf16 weights: (1) base decode at batch 1 against the memory-bandwidth roofline, (2) DLP fused K=3 of 8
# adapters, r=16 on all seven projections, against single LoRA, (3) a batch of 32 sequences with 32
# different plans against the same batch with one shared plan, (4) K and N sweeps and their plot.
# libdlp_cuda.so must be found (DLP_CUDA_LIBRARY, next to the binary, or CKernels/cuda/build).
# Usage: benchmarks/gpu-suite.sh [DLP_GPU_BINARY] [OUT_PREFIX]   (default: benchmarks/results/DATE-gpu)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin=${1:-.build/release/dlp-gpu}
out=${2:-benchmarks/results/$(date -u +%F)-gpu}
shape=${SHAPE:-qwen2-1.5b}
# DEVICE=cpu SHAPE=smollm2-135m REPEATS=1 runs the same script on the CPU (to check the script itself)
bench() { "$bin" bench --device "${DEVICE:-cuda}" --shape "$shape" --dtype bf16 --warmup 1 --repeats "${REPEATS:-5}" "$@"; }
echo "== roofline: base decode, batch 1" >&2
bench --modes base,single --prompt-tokens 128 --generate 128 --json > "$out-roofline.json"
echo "== DLP K=3 of 8, r=16, all projections, vs single" >&2
bench --modes base,single,dlp,unfused --loaded 8 --fused 3 --rank 16 --targets all --prompt-tokens 128 --generate 128 --json > "$out-dlp-r16.json"
echo "== batch 32: 32 different plans vs one shared plan" >&2
bench --modes dlp,mixed --batch 32 --loaded 32 --fused 3 --rank 16 --targets all --prompt-tokens 64 --generate 64 --json > "$out-batch32.json"
echo "== K and N sweeps" >&2
bench --modes single,dlp --loaded 8 --fused 1,2,3,4,6,8 --prompt-tokens 64 --generate 64 --json > "$out-k-sweep.json"
bench --modes single,dlp --loaded 3,8,16,32,64,100 --fused 3 --prompt-tokens 64 --generate 64 --json > "$out-n-sweep.json"
python3 benchmarks/plot.py "$out-k-sweep.json" "$out-n-sweep.json" "$out-latency.svg"
status=0
python3 benchmarks/gpu_targets.py "$out" > "$out-targets.txt" || status=$?
cat "$out-targets.txt"
exit $status
