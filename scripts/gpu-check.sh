#!/bin/sh
# Everything a GPU machine needs to check the CUDA backend, in one run (under 8 minutes): build
# libdlp_cuda.so with the local nvcc, run `dlp-gpu selftest --device cuda` against the CPU reference
# kernels, then the GPU benchmark suite and its targets. The GPU machine has no Swift: pass a static
# dlp-gpu built elsewhere (scripts/package-gpu-check.sh puts one, gzip'ed, in gpu-pack/). Results go to
# OUT_DIR. Usage: scripts/gpu-check.sh DLP_GPU_BINARY[.gz] OUT_DIR
set -u
if [ $# -ne 2 ]; then echo "usage: $0 DLP_GPU_BINARY OUT_DIR" >&2; exit 2; fi
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
mkdir -p "$out"
case "$bin" in
  *.gz)
    unpacked=$(mktemp -d)
    trap 'rm -rf "$unpacked"' EXIT
    gunzip -c "$bin" > "$unpacked/dlp-gpu" || { echo "cannot unpack $bin" >&2; exit 2; }
    chmod +x "$unpacked/dlp-gpu"
    bin=$unpacked/dlp-gpu ;;
esac
export PATH="$PATH:/usr/local/cuda/bin"
status=0
start=$(date +%s)
step() { echo "== $1 ($(($(date +%s) - start)) s)"; }

step "device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/nvidia-smi.txt" 2>&1
cat "$out/nvidia-smi.txt"
nvcc --version | tail -n 2 | tee "$out/nvcc.txt"

step "build the plugin (warnings are errors)"
if ! make -C CKernels/cuda > "$out/build.txt" 2>&1; then
  echo "the strict build failed (see build.txt); building without -Werror to go on" | tee -a "$out/build.txt"
  status=1
  make -C CKernels/cuda NVCCFLAGS="-O3 -std=c++17 --shared -Xcompiler -fPIC,-fvisibility=hidden" >> "$out/build.txt" 2>&1 || {
    tail -n 30 "$out/build.txt"; exit 1; }
fi
export DLP_CUDA_LIBRARY="$top/CKernels/cuda/build/libdlp_cuda.so"

step "selftest --device cuda"
timeout 180 "$bin" selftest --device cuda --fixtures Tests/Fixtures > "$out/selftest.txt" 2> "$out/selftest.err"
code=$?
cat "$out/selftest.txt"; tail -n 5 "$out/selftest.err"
[ $code -eq 0 ] || status=1

step "GPU benchmark suite"
timeout 330 benchmarks/gpu-suite.sh "$bin" "$out/gpu" 2> "$out/gpu-suite.err"
code=$?
tail -n 5 "$out/gpu-suite.err"
[ $code -eq 0 ] || status=1

step "done, status $status"
exit $status
