#!/bin/sh
# What benchmarks/serve/run.sh needs, in the git-ignored .cache: native llama.cpp (llama-server, and its
# convert_lora_to_gguf.py), the release dlp-gpu, the demo adapters converted to GGUF LoRA files by
# llama.cpp's own converter (against SmolLM2's config, read from the GGUF by transformers), and a list
# of prompt token ids (README and DESIGN: prose without repeats, so no prompt cache helps either
# server). The converter needs torch and transformers: CONVERT_PYTHON (a path), or a venv made in
# .cache/venv-convert (torch from PyPI or the folder PIP_FIND_LINKS names).
# Usage: benchmarks/serve/prepare.sh   (prints the folder of llama.cpp's binaries)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin=$(benchmarks/peers/build-llama-cpp.sh)
model=$(scripts/fetch-smollm2.sh)
work=.cache/serve-bench
mkdir -p "$work/base"
python=${CONVERT_PYTHON:-}
if [ -z "$python" ]; then
  python=.cache/venv-convert/bin/python
  if ! "$python" -c "import torch, transformers, gguf, sentencepiece" 2>/dev/null; then
    python3 -m venv .cache/venv-convert
    .cache/venv-convert/bin/pip install -q torch transformers==4.46.3 gguf==0.19.0 sentencepiece numpy safetensors >&2
  fi
fi
python=$(cd "$(dirname "$python")" && pwd)/$(basename "$python")
if [ ! -s "$work/base/config.json" ]; then
  "$python" - "$model" "$work/base" <<'PY' >&2
import json, os, sys
from transformers import AutoConfig
folder, name = os.path.split(os.path.abspath(sys.argv[1]))
config = AutoConfig.from_pretrained(folder, gguf_file=name)
config.architectures = ["LlamaForCausalLM"]        # transformers' GGUF reader leaves it out; the converter needs it
config.save_pretrained(sys.argv[2])
PY
fi
for adapter in demo/adapters/*/; do
  name=$(basename "$adapter")
  [ -s "$work/$name.gguf" ] || (cd .cache/llama.cpp/src && PYTHONPATH=gguf-py "$python" convert_lora_to_gguf.py \
    --base "$top/$work/base" --outfile "$top/$work/$name.gguf" "$top/$adapter" >/dev/null 2>&1)
done
swift build -c release >/dev/null
[ -s "$work/prompt-ids.json" ] || .build/release/dlp-gpu tokenize --tokenizer "$model" --json \
  "$(cat README.md DESIGN.md | head -c 40000)" \
  | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["ids"]))' > "$work/prompt-ids.json"
echo "$bin"
