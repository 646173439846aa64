#!/bin/sh
# Fetches llama.cpp's vocabulary test suites (models/ggml-vocab-*.gguf with .inp/.out) from the sdist of
# llama-cpp-python on PyPI into the git-ignored cache. Prints the folder.
# Usage: scripts/fetch-llama-vocab.sh [CACHE_DIR]   (default: .cache/llama-vocab in the repository)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$top/.cache/llama-vocab}
version=0.3.36
if [ ! -f "$cache/.complete-$version" ]; then
  mkdir -p "$cache/download"
  [ -f "$cache/download/llama_cpp_python-$version.tar.gz" ] || python3 -m pip download -q --no-deps --no-binary llama-cpp-python --dest "$cache/download" "llama-cpp-python==$version" >&2
  tar -xzf "$cache/download/llama_cpp_python-$version.tar.gz" -C "$cache/download" --wildcards \
    "llama_cpp_python-$version/vendor/llama.cpp/models/ggml-vocab-*"
  mv "$cache/download/llama_cpp_python-$version/vendor/llama.cpp/models/"ggml-vocab-* "$cache/"
  rm -rf "$cache/download"
  touch "$cache/.complete-$version"
fi
echo "$cache"
