#!/bin/sh
# Fetches the real chat templates llama.cpp tests with (models/templates/*.jinja) from the sdist of
# llama-cpp-python on PyPI into the git-ignored cache. Prints the folder.
# Usage: scripts/fetch-chat-templates.sh [CACHE_DIR]   (default: .cache/chat-templates in the repository)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/scripts/fetch-llama-cpp-sdist.sh" 'templates/*.jinja' "${1:-$top/.cache/chat-templates}"
