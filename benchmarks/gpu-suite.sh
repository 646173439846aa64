#!/bin/sh
# The GPU benchmark suite on a Qwen2-1.5B-shaped synthetic model with random bf16 weights. The three
# targets come first, each written to OUT_PREFIX-targets.txt as soon as it is measured: (1) base decode
# at batch 1 against the memory roofline, (2) DLP fused K=3 of 8 adapters, r=16 on all seven
# projections, against single LoRA, (3) a batch of 32 sequences with 32 different plans against one
# shared plan. Then, best-effort while SWEEP_BUDGET seconds (default 150, counted from the start) last,
# base decode op by op (DLP_GRAPHS=0) against graph replays (alternating, twice each), and the K and N
# sweeps and their plot. libdlp_cuda.so must be found (DLP_CUDA_LIBRARY, next to the binary,
# or CKernels/cuda/build). Exit status: the targets' (1 missed, 2 a result missing).
# Usage: benchmarks/gpu-suite.sh [DLP_GPU_BINARY] [OUT_PREFIX]   (default: benchmarks/results/DATE-gpu)
# DEVICE=cpu SHAPE=smollm2-135m REPEATS=1 runs the same script on the CPU (to check the script itself);
# MODEL=PATH benches a model file instead of the synthetic shape, and TOKEN_DIVISOR=N divides every
# prompt and generation length by N (the CUDA emulator's rehearsal: MODEL=Tests/Fixtures/tiny-llama, 16).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin=${1:-.build/release/dlp-gpu}
out=${2:-benchmarks/results/$(date -u +%F)-gpu}
shape=${SHAPE:-qwen2-1.5b}
budget=${SWEEP_BUDGET:-150}
start=$(date +%s)
elapsed() { echo $(($(date +%s) - start)); }
bench() {
  if [ -n "${MODEL:-}" ]; then set -- --model "$MODEL" "$@"; else set -- --shape "$shape" --dtype bf16 "$@"; fi
  "$bin" bench --device "${DEVICE:-cuda}" --warmup 1 --repeats "${REPEATS:-5}" "$@"
}
tokens() { echo $(($1 / ${TOKEN_DIVISOR:-1})); }     # a prompt or generation length
status=0
target() {      # the line of one target, appended as soon as its result exists
  python3 benchmarks/gpu_targets.py "$out" "$1" > "$out-target-$1.txt"
  code=$?
  tee -a "$out-targets.txt" < "$out-target-$1.txt"
  rm -f "$out-target-$1.txt"
  [ $code -gt $status ] && status=$code
}
: > "$out-targets.txt"
echo "== roofline: base decode, batch 1 ($(elapsed) s)" >&2
bench --modes base,single --prompt-tokens $(tokens 128) --generate $(tokens 128) --json > "$out-roofline.json"
target roofline
echo "== DLP K=3 of 8, r=16, all projections, vs single ($(elapsed) s)" >&2
bench --modes base,single,dlp,unfused --loaded 8 --fused 3 --rank 16 --targets all --prompt-tokens $(tokens 128) --generate $(tokens 128) --json > "$out-dlp-r16.json"
target dlp
echo "== batch 32: 32 different plans vs one shared plan ($(elapsed) s)" >&2
bench --modes dlp,mixed --batch 32 --loaded 32 --fused 3 --rank 16 --targets all --prompt-tokens $(tokens 64) --generate $(tokens 64) --json > "$out-batch32.json"
target batch32
for sweep in graphs k n; do
  if [ "$(elapsed)" -ge "$budget" ]; then echo "== $sweep sweep skipped: $(elapsed) s of the $budget s budget used" >&2; continue; fi
  echo "== $sweep sweep ($(elapsed) s)" >&2
  if [ $sweep = graphs ]; then       # op by op and replayed, alternating twice
    for round in 1 2; do
      DLP_GRAPHS=0 bench --modes base --prompt-tokens $(tokens 128) --generate $(tokens 128) --json > "$out-graphs-off-$round.json"
      bench --modes base --prompt-tokens $(tokens 128) --generate $(tokens 128) --json > "$out-graphs-on-$round.json"
    done
    python3 benchmarks/gpu_targets.py "$out" graphs | tee "$out-graphs.txt"
  elif [ $sweep = k ]; then bench --modes single,dlp --loaded 8 --fused 1,2,3,4,6,8 --prompt-tokens $(tokens 64) --generate $(tokens 64) --json > "$out-k-sweep.json"
  else bench --modes single,dlp --loaded 3,8,16,32,64,100 --fused 3 --prompt-tokens $(tokens 64) --generate $(tokens 64) --json > "$out-n-sweep.json"; fi
done
[ -s "$out-k-sweep.json" ] && [ -s "$out-n-sweep.json" ] && python3 benchmarks/plot.py "$out-k-sweep.json" "$out-n-sweep.json" "$out-latency.svg"
echo "== suite done ($(elapsed) s), targets status $status" >&2
exit $status
