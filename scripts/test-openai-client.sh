#!/bin/sh
# Runs scripts/openai_client_check.py (the official `openai` client against `dlp-gpu serve` on the demo
# pack) with the given dlp-gpu binary (default: the debug build `swift test` leaves). Installs the
# client into the git-ignored .cache/venv-openai first.
set -eu
cd "$(dirname "$0")/.."
BINARY=${1:-.build/debug/dlp-gpu}
VENV=.cache/venv-openai
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import openai" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q openai==3.57.0
fi
"$VENV/bin/python" scripts/openai_client_check.py "$BINARY"
