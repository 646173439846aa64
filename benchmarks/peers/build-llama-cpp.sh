#!/bin/sh
# Builds llama.cpp natively for this CPU (-DGGML_NATIVE=ON: AVX-512/VNNI where present) from the
# llama-cpp-python 0.3.36 sdist on PyPI, with cmake and ninja from PyPI, into the git-ignored
# .cache/llama.cpp: the peer every speed comparison is measured against, at its best, plus
# llama-quantize for quantized fixtures. Prints the folder holding the binaries.
# Usage: benchmarks/peers/build-llama-cpp.sh   (about 10 minutes on 2 cores the first time)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
root="$top/.cache/llama.cpp"
version=0.3.36
bin="$root/build/bin"
if [ -x "$bin/llama-bench" ] && [ -x "$bin/llama-quantize" ] && [ -x "$bin/llama-server" ]; then echo "$bin"; exit 0; fi
mkdir -p "$root" "$top/.cache/downloads"
sdist="$top/.cache/downloads/llama_cpp_python-$version.tar.gz"
[ -s "$sdist" ] || python3 -m pip download -q --no-deps --no-binary llama-cpp-python -d "$top/.cache/downloads" \
  "llama-cpp-python==$version" >&2
[ -d "$root/src" ] || { tar xzf "$sdist" -C "$root" && mv "$root/llama_cpp_python-$version/vendor/llama.cpp" "$root/src" \
  && rm -rf "$root/llama_cpp_python-$version"; }
[ -x "$root/tools/bin/cmake" ] || { python3 -m venv "$root/tools" && "$root/tools/bin/pip" install -q cmake ninja >&2; }
PATH="$root/tools/bin:$PATH"
cmake -S "$root/src" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$root/build" -j 2 --target llama-bench llama-quantize llama-server llama-cli >&2
echo "$bin"
