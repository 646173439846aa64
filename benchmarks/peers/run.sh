#!/bin/sh
# Peers: the same SmolLM2-135M weights (F16) in dlp-gpu, in llama.cpp (through llama-cpp-python, built
# from source by pip with -DGGML_NATIVE=ON and cached) and in Hugging Face transformers+PEFT on CPU torch, with a r=8 LoRA on
# q_proj,v_proj, two threads each, printed as one table. Optional: it installs large things (the
# reference stack with torch, a llama.cpp build of several minutes), all into the git-ignored .cache.
# dlp-gpu and llama.cpp run in ROUNDS (default 3) alternating rounds; the table gives medians and the
# median of the rounds' ratios.
# Usage: benchmarks/peers/run.sh > benchmarks/results/DATE-peers-cpu.txt
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
peers=.cache/peers
mkdir -p "$peers/wheels"
py=${REFSTACK_PYTHON:-$(scripts/install-refstack.sh)}
q41=$(scripts/fetch-smollm2.sh)
# llama-cpp-python from source (pip builds llama.cpp with cmake), natively for this CPU (AVX-512 where
# present): a peer is measured at its best
if ! ls "$peers"/wheels/llama_cpp_python-*.whl >/dev/null 2>&1; then
  CMAKE_ARGS="-DGGML_NATIVE=ON" CMAKE_BUILD_PARALLEL_LEVEL=2 \
    python3 -m pip wheel -q --no-deps --no-binary llama-cpp-python -w "$peers/wheels" llama-cpp-python==0.3.36 >&2
fi
[ -x "$peers/venv/bin/python" ] || python3 -m venv "$peers/venv"
"$peers/venv/bin/python" -c "import llama_cpp" 2>/dev/null || \
  "$peers/venv/bin/pip" install -q "$peers"/wheels/llama_cpp_python-*.whl numpy diskcache jinja2 typing-extensions >&2
# the shared weights: F16 GGUF (for llama.cpp and dlp-gpu) and an HF folder + PEFT adapter (transformers)
[ -s "$peers/smollm2-f16.gguf" ] || "$py" benchmarks/peers/prepare.py "$q41" "$peers" >&2
swift build -c release >/dev/null
prompt=${PROMPT_TOKENS:-64}
gen=${GENERATE:-64}
echo "# benchmarks/peers/run.sh, $(date -u +%F), $(nproc) cores, SmolLM2-135M F16 weights, prompt $prompt, generate $gen, 2 threads"
rounds=${ROUNDS:-3}
pairs=""
for r in $(seq "$rounds"); do   # dlp-gpu and llama.cpp alternate, so both see the same machine phases
  .build/release/dlp-gpu bench --model "$peers/smollm2-f16.gguf" --device cpu --threads 2 --modes base,single --rank 8 \
    --prompt-tokens "$prompt" --generate "$gen" --repeats 3 --json 2>/dev/null > "$peers/dlp.$r.json"
  "$peers/venv/bin/python" benchmarks/peers/llama_cpp_bench.py "$peers/smollm2-f16.gguf" "$prompt" "$gen" > "$peers/llama.$r.json"
  pairs="$pairs $peers/dlp.$r.json $peers/llama.$r.json"
done
"$py" benchmarks/peers/transformers_bench.py "$peers/hf" "$peers/adapter" "$prompt" "$gen" > "$peers/hf.json" 2>/dev/null
python3 benchmarks/peers/table.py "$peers/hf.json" $pairs
