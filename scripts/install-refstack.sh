#!/bin/sh
# Installs the CPU reference stack that makes the parity fixtures and runs the Python peers: Debian's
# python3-torch (1.13) in a virtual environment that sees the system packages, plus the pinned Hugging
# Face libraries of scripts/refstack-requirements.txt (transformers 4.46.3, peft 0.13.2, tokenizers
# 0.20.3, safetensors, gguf, jinja2). Prints the environment's python.
# Usage: scripts/install-refstack.sh [VENV_DIR]   (default: .cache/refstack); then REFSTACK_PYTHON=VENV_DIR/bin/python
# Why it is done this way:
# - the pins go in with --no-deps: Debian's torch calls itself 1.13.0a0, which peft's torch>=1.13.0 refuses,
#   and pip would then fetch a torch 2.x with gigabytes of CUDA wheels;
# - transformers newer than 4.46 either fails to import Llama on torch 1.13 or refuses torch < 2.1;
# - peft's save_pretrained imports jinja2 without declaring it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$top/.cache/refstack}
export DEBIAN_FRONTEND=noninteractive
/usr/bin/python3 -c 'import torch' 2>/dev/null || {
  apt-get update -qq >&2
  apt-get install -y -qq python3-torch python3-numpy python3-venv python3-pip >/dev/null
}
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
"$venv/bin/pip" install -q --no-deps -r "$top/scripts/refstack-requirements.txt" >&2
"$venv/bin/python" -c 'import torch, transformers, peft, tokenizers, safetensors, gguf, jinja2' >&2
echo "$venv/bin/python"
