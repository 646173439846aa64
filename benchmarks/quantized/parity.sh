#!/bin/sh
# Numerical parity with llama.cpp on SmolLM2 files: Q4_1 (the real file), Q8_0, Q4_K_M, Q6_K (made by
# llama-quantize, as benchmarks/quantized/run.sh makes them). For each file a native llama-server runs on
# loopback (f32 KV cache, as dlp-gpu keeps), and benchmarks/quantized/parity.py compares, on the
# SmolLM2 reference prompts: the log-probabilities of llama.cpp's greedy tokens in both engines, and
# where the two greedy continuations first part.
# Usage: benchmarks/quantized/parity.sh > benchmarks/results/DATE-quantized-parity-cpu.txt
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin=$(benchmarks/quantized/prepare.sh)
out=.cache/quantized
python3 -c "import json; print(json.dumps([c['prompt_ids'] for c in json.load(open('Tests/Fixtures/smollm2/reference.json'))['cases']]))" \
  > "$out/parity-prompts.json"
port=${PORT:-18090}
tokens=${TOKENS:-64}
echo "# benchmarks/quantized/parity.sh, $(date -u +%F): dlp-gpu vs llama-server (llama-cpp-python 0.3.36 sdist, native), $tokens greedy tokens"
for type in ${FILES:-Q4_1 Q8_0 Q4_K_M Q6_K}; do
  "$bin/llama-server" -m "$out/smollm2-$type.gguf" -t 2 --host 127.0.0.1 --port "$port" -c 512 -ctk f32 -ctv f32 \
    >"$out/llama-server.log" 2>&1 &
  server=$!
  for _ in $(seq 60); do curl -sf "127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 1; done
  echo "$type:"
  python3 benchmarks/quantized/parity.py "$port" "$out/smollm2-$type.gguf" "$out/parity-prompts.json" "$tokens" || true
  kill $server; wait $server 2>/dev/null || true
done
