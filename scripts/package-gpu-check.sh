#!/bin/sh
# Builds what scripts/gpu-check.sh needs on a machine without Swift: a release dlp-gpu with the Swift
# runtime and OpenBLAS linked in statically, in gpu-pack/ (git-ignored; carry it to the GPU machine with
# the checkout). Usage: scripts/package-gpu-check.sh   then, there: scripts/gpu-check.sh gpu-pack/dlp-gpu OUT
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
DLP_STATIC_OPENBLAS=1 swift build -c release --static-swift-stdlib --build-path .build-static >&2
mkdir -p gpu-pack
cp .build-static/release/dlp-gpu gpu-pack/dlp-gpu
strip gpu-pack/dlp-gpu
ldd gpu-pack/dlp-gpu >&2 || true
ls -la gpu-pack/dlp-gpu >&2
