#!/bin/sh
# Tokenizer throughput: dlp-gpu against Hugging Face `tokenizers` (Rust, one thread) on the same English
# text with SmolLM2's tokenizer, in one run. The text is ~1 MB of Python standard-library docstrings
# (every Python has them). Needs the reference stack (scripts/install-refstack.sh) for the tokenizer.json
# that transformers converts from the GGUF, and for `tokenizers`.
# Usage: benchmarks/tokenizer/run.sh > benchmarks/results/DATE-tokenizer-cpu.txt
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
py=${REFSTACK_PYTHON:-$(scripts/install-refstack.sh)}
gguf=$(scripts/fetch-smollm2.sh)
work=.cache/bench-tokenizer
mkdir -p "$work"
python3 benchmarks/tokenizer/english_corpus.py "$work/english.txt"
[ -s "$work/tokenizer.json" ] || "$py" -c "
import os, sys
from transformers import AutoTokenizer
folder, name = os.path.split(os.path.abspath(sys.argv[1]))
AutoTokenizer.from_pretrained(folder, gguf_file=name).backend_tokenizer.save(sys.argv[2])" "$gguf" "$work/tokenizer.json" 2>/dev/null
swift build -c release >/dev/null
ours_gguf=$(.build/release/dlp-gpu tokenize --tokenizer "$gguf" --file "$work/english.txt" --bench --json --no-special-tokens)
ours_json=$(.build/release/dlp-gpu tokenize --tokenizer "$work/tokenizer.json" --file "$work/english.txt" --bench --json --no-special-tokens)
RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false "$py" benchmarks/tokenizer/hf_tokenizers.py "$work/tokenizer.json" "$work/english.txt" \
  "$ours_gguf" "$ours_json"
