#!/bin/sh
# Builds what scripts/gpu-check.sh needs on a machine without Swift: a release dlp-gpu with the Swift
# runtime and OpenBLAS linked in statically, gzip'ed without its debug info (~37 MB; under the device
# tool's 64 MiB carry limit) as gpu-pack/dlp-gpu.gz, and gpu-pack/manifest.txt: the commit, the kernel ABI and a hash of the
# sources it was built from (gpu-check.sh refuses a pack that does not match its checkout), and the
# newest glibc symbol version the binary needs (Debian bookworm's glibc is 2.36; Ubuntu 24.04 has 2.39).
# gpu-pack/ is git-ignored: carry it with the checkout. Usage:
# scripts/package-gpu-check.sh   then, there: scripts/gpu-check.sh gpu-pack/dlp-gpu.gz OUT
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
DLP_STATIC_OPENBLAS=1 swift build -c release --static-swift-stdlib --build-path .build-static >&2
bin=.build-static/release/dlp-gpu
mkdir -p gpu-pack
ldd "$bin" >&2 || true
glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
{
  echo "commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo +changes)"
  scripts/gpu-pack-identity.sh
  echo "glibc=$glibc"
  echo "version=$("$bin" --version)"
} > gpu-pack/manifest.txt
# debug info out (symbols stay, for backtraces): the pack is about 37 MB instead of 46
cp "$bin" gpu-pack/dlp-gpu
strip --strip-debug gpu-pack/dlp-gpu
gzip -9 -c gpu-pack/dlp-gpu > gpu-pack/dlp-gpu.gz
rm gpu-pack/dlp-gpu
cat gpu-pack/manifest.txt >&2
ls -la gpu-pack/dlp-gpu.gz >&2
