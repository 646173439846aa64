#!/bin/sh
# Serving benchmark on this CPU: dlp-gpu serve against llama.cpp's llama-server on the same SmolLM2 Q4_1
# file and the same four demo adapters (as GGUF LoRA files for llama-server, chosen per request with its
# `lora` field; dlp-gpu takes the adapter's name as `model`), plus dlp-gpu's router (`dlp`) and both
# servers without adapters. 1, 4 and 16 concurrent clients, prompts of 64 tokens, 64 tokens generated
# (ignore_eos, greedy), 16 slots each, 2 threads each; both servers run throughout and the measurements
# alternate between them, ROUNDS times (default 2). Prints one JSON line per measurement, then the table
# (benchmarks/serve/table.py: medians over rounds and the issue's ratios).
# Usage: benchmarks/serve/run.sh > benchmarks/results/DATE-serve-cpu.txt
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
rounds=${ROUNDS:-2}
bin=$(benchmarks/serve/prepare.sh)
model=$(scripts/fetch-smollm2.sh)
work=.cache/serve-bench
adapters="date_understanding intent_recognition reasoning_about_colored_objects social_support"
lora_args=""
for a in $adapters; do lora_args="$lora_args --lora $work/$a.gguf"; done
names=$(echo $adapters | tr ' ' ',')
dlp_port=18181
llama_port=18182
.build/release/dlp-gpu serve --model "$model" --adapters $(for a in $adapters; do printf 'demo/adapters/%s ' "$a"; done) \
  --router demo/router.safetensors --port $dlp_port --max-batch 16 --context 256 --threads 2 2>"$work/dlp-serve.log" &
dlp_pid=$!
# llama-server splits -c among its -np slots: 16 x 256 positions
"$bin/llama-server" -m "$model" $lora_args --lora-init-without-apply --port $llama_port -np 16 -c 4096 -t 2 -tb 2 \
  --no-webui >"$work/llama-server.log" 2>&1 &
llama_pid=$!
trap 'kill $dlp_pid $llama_pid 2>/dev/null' EXIT
for port in $dlp_port $llama_port; do
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
done
echo "# $(date -u +%Y-%m-%d) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; dlp-gpu $(git rev-parse --short HEAD); llama.cpp from llama-cpp-python 0.3.36 (GGML_NATIVE)"
echo "# model $(basename "$model"), prompts 64 tokens, 64 generated, 16 slots, 2 threads per server"
load() { python3 benchmarks/serve/load.py "$@" --prompt-ids "$work/prompt-ids.json"; }
for round in $(seq "$rounds"); do
  for clients in 1 4 16; do
    requests=$(( clients == 1 ? 8 : (clients == 4 ? 4 : 3) ))
    echo "{\"round\": $round, \"server\": \"dlp-gpu\", \"result\": $(load http://127.0.0.1:$dlp_port --clients $clients --requests $requests --adapter-style model --adapters $names)}"
    echo "{\"round\": $round, \"server\": \"llama-server\", \"result\": $(load http://127.0.0.1:$llama_port --clients $clients --requests $requests --adapter-style lora --adapters $names --base-model smollm2)}"
    echo "{\"round\": $round, \"server\": \"dlp-gpu\", \"result\": $(load http://127.0.0.1:$dlp_port --clients $clients --requests $requests --adapter-style dlp)}"
    echo "{\"round\": $round, \"server\": \"dlp-gpu\", \"result\": $(load http://127.0.0.1:$dlp_port --clients $clients --requests $requests --adapter-style base --base-model base)}"
    echo "{\"round\": $round, \"server\": \"llama-server\", \"result\": $(load http://127.0.0.1:$llama_port --clients $clients --requests $requests --adapter-style base --base-model smollm2)}"
  done
done | tee "$work/last-run.jsonl"
python3 benchmarks/serve/table.py < "$work/last-run.jsonl"
