#!/bin/sh
# Installs Debian's CUDA toolkit (nvcc 11.8 + cuBLAS, from the non-free component) when no nvcc is on
# PATH, so `make cuda` can build CKernels/cuda/libdlp_cuda.so on a machine without a GPU (CI does this).
# Usage: scripts/install-cuda-toolkit.sh   (root or sudo; about 2.5 minutes)
set -eu
if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then exit 0; fi
. /etc/os-release
if [ "${ID:-}" != debian ] || [ "${VERSION_CODENAME:-}" != bookworm ]; then
  echo "no nvcc found, and this is ${PRETTY_NAME:-an unknown system}, not Debian bookworm: install a CUDA toolkit (nvcc, cuBLAS) and rerun" >&2
  exit 1
fi
SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
list=/etc/apt/sources.list.d/dlp-debian-nonfree.sources
if [ ! -f "$list" ]; then
  $SUDO tee "$list" >/dev/null <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nvidia-cuda-toolkit >/dev/null
nvcc --version | tail -n 2
