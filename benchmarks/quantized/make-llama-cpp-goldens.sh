#!/bin/sh
# Regenerates Tests/Fixtures/smollm2/llama-cpp-q4_1-greedy.json: llama.cpp's greedy continuations (64
# tokens, top-2 log-probability margins per step) of the SmolLM2 reference prompts on the real Q4_1 file,
# from a native llama-server (benchmarks/peers/build-llama-cpp.sh) on loopback with an f32 KV cache as
# dlp-gpu keeps. The parity test compares dlp-gpu's quantized path with it.
# Usage: benchmarks/quantized/make-llama-cpp-goldens.sh   (optional: builds llama.cpp, about 10 minutes)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin=$(benchmarks/peers/build-llama-cpp.sh)
model=$(scripts/fetch-smollm2.sh)
port=${PORT:-18089}
python3 -c "import json; print(json.dumps([c['prompt_ids'] for c in json.load(open('Tests/Fixtures/smollm2/reference.json'))['cases']]))" \
  > .cache/llama-parity-prompts.json
"$bin/llama-server" -m "$model" -t 2 --host 127.0.0.1 --port "$port" -c 512 -ctk f32 -ctv f32 >.cache/llama-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 60); do curl -sf "127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 1; done
python3 benchmarks/quantized/llama_cpp_greedy.py "$port" .cache/llama-parity-prompts.json 64 | python3 -c "
import json, sys
d = json.load(sys.stdin)
d['source'] = 'llama.cpp llama-server (llama-cpp-python 0.3.36 sdist, native build), $(basename "$model"), greedy, f32 KV cache; benchmarks/quantized/make-llama-cpp-goldens.sh'
for c in d['cases']: c['top2_logprob_margins'] = [round(x, 4) for x in c['top2_logprob_margins']]
json.dump(d, sys.stdout, separators=(',', ':'))" > Tests/Fixtures/smollm2/llama-cpp-q4_1-greedy.json
