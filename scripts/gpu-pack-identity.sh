#!/bin/sh
# Prints what ties a GPU pack to a checkout: the kernel ABI version of dlp_kernels.h and a SHA-256 over the
# sources the binary is built from (Package.swift, Sources/, the C target). package-gpu-check.sh records
# it beside the binary; gpu-check.sh recomputes it on the GPU machine's copy and refuses a stale pack.
# Usage: scripts/gpu-pack-identity.sh   (from anywhere; prints "abi=N" and "sources=HASH")
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
echo "abi=$(sed -n 's/^#define DLP_KERNELS_API_VERSION \([0-9]*\).*/\1/p' CKernels/include/dlp_kernels.h)"
echo "sources=$(find Package.swift Sources CKernels/include CKernels/cpu CKernels/shared -type f \( -name '*.swift' -o -name '*.c' -o -name '*.h' \) \
  | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
