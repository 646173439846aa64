#!/bin/sh
# Fetches llama.cpp's vocabulary test suites (models/ggml-vocab-*.gguf with .inp/.out) from the sdist of
# llama-cpp-python on PyPI into the git-ignored cache. Prints the folder.
# Usage: scripts/fetch-llama-vocab.sh [CACHE_DIR]   (default: .cache/llama-vocab in the repository)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/scripts/fetch-llama-cpp-sdist.sh" 'ggml-vocab-*' "${1:-$top/.cache/llama-vocab}"
