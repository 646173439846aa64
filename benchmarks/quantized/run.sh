#!/bin/sh
# Quantized GGUF files against native llama.cpp on this CPU: SmolLM2-135M-Instruct in Q4_1 (the real file
# from PyPI), Q4_K_M and Q8_0 (made from it by llama.cpp's own llama-quantize through F16) and F16, each
# file read by both engines, 2 threads, ROUNDS (default 3) rounds alternating dlp-gpu and llama-bench:
# prefill of a 512-token prompt, and decode of 64 tokens after a 512-token context (llama-bench -d 512).
# Prints one table: medians of tokens/s and the median of the per-round ratios, plus dlp-gpu's peak
# resident memory against the file size. Builds llama.cpp natively the first time (about 10 minutes).
# Usage: benchmarks/quantized/run.sh > benchmarks/results/DATE-quantized-cpu.txt
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin=$(benchmarks/quantized/prepare.sh)
out=.cache/quantized
rounds=${ROUNDS:-3}
prompt=${PROMPT_TOKENS:-512}
gen=${GENERATE:-64}
files=${FILES:-"Q4_1 Q4_K_M Q8_0 F16"}
echo "# benchmarks/quantized/run.sh, $(date -u +%F), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), 2 threads, prefill $prompt tokens, decode $gen tokens after $prompt, $rounds alternating rounds"
echo "# llama.cpp: llama-cpp-python 0.3.36 sdist, -DGGML_NATIVE=ON (AVX-512), llama-bench defaults (f16 KV cache, repack on)"
runs=""
for r in $(seq "$rounds"); do
  for type in $files; do
    file="$out/smollm2-$type.gguf"
    .build/release/dlp-gpu bench --model "$file" --device cpu --threads 2 --modes base --prompt-tokens "$prompt" \
      --generate "$gen" --repeats 3 --json 2>/dev/null > "$out/dlp.$type.$r.json"
    "$bin/llama-bench" -m "$file" -t 2 -p "$prompt" -n 0 -r 3 -o json 2>/dev/null > "$out/llama-pp.$type.$r.json"
    "$bin/llama-bench" -m "$file" -t 2 -p 0 -n "$gen" -d "$prompt" -r 3 -o json 2>/dev/null > "$out/llama-tg.$type.$r.json"
    runs="$runs $type:$out/dlp.$type.$r.json:$out/llama-pp.$type.$r.json:$out/llama-tg.$type.$r.json:$file"
  done
done
python3 benchmarks/quantized/table.py $runs
