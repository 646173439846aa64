#!/bin/sh
# Builds what scripts/gpu-check.sh needs on a machine without Swift: a release dlp-gpu with the Swift
# runtime and OpenBLAS linked in statically, gzip'ed (~29 MB, under the device tool's 64 MiB carry
# limit) as gpu-pack/dlp-gpu.gz (git-ignored; carry it with the checkout). Usage:
# scripts/package-gpu-check.sh   then, there: scripts/gpu-check.sh gpu-pack/dlp-gpu.gz OUT
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
DLP_STATIC_OPENBLAS=1 swift build -c release --static-swift-stdlib --build-path .build-static >&2
mkdir -p gpu-pack
ldd .build-static/release/dlp-gpu >&2 || true
gzip -9 -c .build-static/release/dlp-gpu > gpu-pack/dlp-gpu.gz
ls -la gpu-pack/dlp-gpu.gz >&2
