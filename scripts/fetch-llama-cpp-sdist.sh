#!/bin/sh
# Extracts files of llama.cpp's models/ folder from the sdist of llama-cpp-python on PyPI into a
# git-ignored cache folder, and marks it complete. Prints the folder. The sdist (77 MB) is downloaded once
# into .cache/downloads and shared by the callers (vocab suites, chat templates).
# Usage: scripts/fetch-llama-cpp-sdist.sh 'GLOB' CACHE_DIR   (GLOB relative to vendor/llama.cpp/models/)
set -eu
pattern=$1
cache=$2
version=0.3.36
downloads=$(cd "$(dirname "$0")/.." && pwd)/.cache/downloads
sdist="$downloads/llama_cpp_python-$version.tar.gz"
if [ ! -f "$cache/.complete-$version" ]; then
  mkdir -p "$downloads" "$cache/extract"
  [ -f "$sdist" ] || python3 -m pip download -q --no-deps --no-binary llama-cpp-python --dest "$downloads" "llama-cpp-python==$version" >&2
  models="llama_cpp_python-$version/vendor/llama.cpp/models"
  tar -xzf "$sdist" -C "$cache/extract" --wildcards "$models/$pattern"
  mv "$cache/extract/$models/"$pattern "$cache/"
  rm -rf "$cache/extract"
  touch "$cache/.complete-$version"
fi
echo "$cache"
