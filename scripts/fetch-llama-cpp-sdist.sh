#!/bin/sh
# Extracts files of llama.cpp's models/ folder from the sdist of llama-cpp-python on PyPI (fetched once
# per call) into a git-ignored cache folder, and marks it complete. Prints the folder.
# Usage: scripts/fetch-llama-cpp-sdist.sh 'GLOB' CACHE_DIR   (GLOB relative to vendor/llama.cpp/models/)
set -eu
pattern=$1
cache=$2
version=0.3.36
if [ ! -f "$cache/.complete-$version" ]; then
  mkdir -p "$cache/download"
  [ -f "$cache/download/llama_cpp_python-$version.tar.gz" ] || python3 -m pip download -q --no-deps --no-binary llama-cpp-python --dest "$cache/download" "llama-cpp-python==$version" >&2
  models="llama_cpp_python-$version/vendor/llama.cpp/models"
  tar -xzf "$cache/download/llama_cpp_python-$version.tar.gz" -C "$cache/download" --wildcards "$models/$pattern"
  mv "$cache/download/$models/"$pattern "$cache/"
  rm -rf "$cache/download"
  touch "$cache/.complete-$version"
fi
echo "$cache"
