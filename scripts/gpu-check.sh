#!/bin/sh
# Everything a GPU machine needs to check the CUDA backend, in one run that fits in 8 minutes and
# cannot be lost to a stale pack or a missing library. The GPU machine has no Swift: pass the static
# dlp-gpu that scripts/package-gpu-check.sh put in gpu-pack/ (with its manifest.txt). Results go to OUT_DIR,
# each written as soon as it exists.
#
#   step                                     budget (timeout)   CPU dry run here (DRY_RUN=1, 2 cores)
#   0 the pack matches this checkout         5 s                under 1 s (ABI, sources hash, glibc, --version)
#   1 device, nvcc, copy bandwidth (torch)   70 s (60 s)        -
#   2 build the plugin for sm_90, ldd        100 s              - (all three archs, nvcc 11.8 here: 12 s)
#   3 selftest, CUDA_LAUNCH_BLOCKING=1       150 s (150 s)      1 s (132 checks: every op, 4 models, fused LoRA)
#   3b selftest as served (graphs recorded)  60 s (60 s)        1 s (the same checks; on CUDA also decode graphs)
#   4 the three targets, then the sweeps     150 s + (300 s)    targets 68 s, graphs on/off 13 s, sweeps 21 s
#                                                               (SmolLM2 shape, 1 round)
#   total                                    under 8 min        103 s (at 3c99cf2)
#
# EMULATE=1 rehearses the GPU run here: steps 3 to 4 with --device cuda on the CUDA emulator's build of
# the plugin (step 2 is `make cuda-emu`; step 1 is skipped), the suite on Tests/Fixtures/tiny-llama with
# every prompt and generation 16 times shorter. It checks the CUDA side of every command the run makes;
# its speeds are the emulator's and mean nothing (the targets read NOT met).
#
# Usage: scripts/gpu-check.sh gpu-pack/dlp-gpu.gz OUT_DIR   (DRY_RUN=1: the same on the CPU, no GPU;
#        EMULATE=1: on the CUDA emulator)
set -u
if [ $# -ne 2 ]; then echo "usage: $0 DLP_GPU_BINARY[.gz] OUT_DIR" >&2; exit 2; fi
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
pack=$(cd "$(dirname "$1")" && pwd)
bin=$pack/$(basename "$1")
out=$2
mkdir -p "$out"
start=$(date +%s)
step() { echo "== $1 ($(($(date +%s) - start)) s)" | tee -a "$out/steps.txt"; }
stop() { echo "STOPPED: $1" | tee -a "$out/steps.txt" >&2; exit 2; }

step "0 the pack matches this checkout"
case "$bin" in
  *.gz)
    unpacked=$(mktemp -d)
    trap 'rm -rf "$unpacked"' EXIT
    gunzip -c "$bin" > "$unpacked/dlp-gpu" || stop "cannot unpack $bin"
    chmod +x "$unpacked/dlp-gpu"
    bin=$unpacked/dlp-gpu ;;
esac
[ -f "$pack/manifest.txt" ] || stop "no manifest.txt beside $1: rebuild the pack with scripts/package-gpu-check.sh"
cp "$pack/manifest.txt" "$out/manifest.txt"
scripts/gpu-pack-identity.sh > "$out/checkout-identity.txt"
for key in abi sources; do
  want=$(sed -n "s/^$key=//p" "$out/checkout-identity.txt")
  have=$(sed -n "s/^$key=//p" "$pack/manifest.txt")
  [ "$want" = "$have" ] || stop "the pack was built from other sources ($key: pack $have, checkout $want; pack $(sed -n 's/^commit=//p' "$pack/manifest.txt")): rebuild it with scripts/package-gpu-check.sh"
done
needed=$(sed -n 's/^glibc=//p' "$pack/manifest.txt")
present=$(ldd --version 2>/dev/null | head -n 1 | grep -o '[0-9][0-9.]*$')
if [ -n "$needed" ] && [ -n "$present" ] && [ "$(printf '%s\n%s\n' "$needed" "$present" | sort -V | head -n 1)" != "$needed" ]; then
  stop "the binary needs glibc $needed, this machine has $present"
fi
"$bin" --version > "$out/version.txt" 2>&1 || stop "the binary does not run here: $(cat "$out/version.txt")"
grep -q "kernel ABI $(sed -n 's/^abi=//p' "$out/checkout-identity.txt")\$" "$out/version.txt" || stop "the binary speaks $(cat "$out/version.txt")"
echo "pack $(sed -n 's/^commit=//p' "$pack/manifest.txt"), $(cat "$out/version.txt"), glibc needed ${needed:-?} present ${present:-?}"

status=0
if [ "${DRY_RUN:-0}" = 1 ]; then
  device=cpu
  export SHAPE=smollm2-135m REPEATS=1
elif [ "${EMULATE:-0}" = 1 ]; then
  device=cuda
  step "2 build the plugin for the CUDA emulator"
  make -C CKernels/cuda emu > "$out/build.txt" 2>&1 || { tail -n 30 "$out/build.txt"; stop "the emulated plugin does not build"; }
  export DLP_CUDA_LIBRARY="$top/CKernels/cuda/build/libdlp_cuda_emu.so" MODEL=Tests/Fixtures/tiny-llama TOKEN_DIVISOR=16 REPEATS=1
else
  device=cuda
  step "1 device, nvcc, copy bandwidth"
  export PATH="$PATH:/usr/local/cuda/bin"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/nvidia-smi.txt" 2>&1
  cat "$out/nvidia-smi.txt"
  command -v nvcc >/dev/null 2>&1 || stop "no nvcc on PATH or in /usr/local/cuda/bin"
  nvcc --version | tail -n 2 | tee "$out/nvcc.txt"
  # device-to-device copy bandwidth (read + write) with PyTorch, the roofline's bound; optional
  timeout 60 python3 - > "$out/gpu-copy-bandwidth.txt" 2> "$out/copy-bandwidth.err" <<'PY' || echo "no copy bandwidth (PyTorch missing?): the roofline uses the device's peak"
import torch
a = torch.empty(1 << 30, dtype=torch.uint8, device="cuda"); b = torch.empty_like(a)
for _ in range(3): b.copy_(a)
torch.cuda.synchronize(); start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(20): b.copy_(a)
end.record(); torch.cuda.synchronize()
print(f"{2 * 20 * a.numel() / (start.elapsed_time(end) / 1e3) / 1e9:.0f} GB/s device-to-device copy (read + write)")
PY
  [ -s "$out/gpu-copy-bandwidth.txt" ] && cat "$out/gpu-copy-bandwidth.txt"

  step "2 build the plugin for sm_90 (warnings are errors), ldd"
  sm90="-gencode arch=compute_90,code=sm_90"
  if ! make -C CKernels/cuda ARCHS="$sm90" > "$out/build.txt" 2>&1; then
    echo "the strict build failed (see build.txt); building without -Werror to go on" | tee -a "$out/build.txt"
    status=1
    make -C CKernels/cuda ARCHS="$sm90" NVCCFLAGS="-O3 -std=c++17 --shared -Xcompiler -fPIC,-fvisibility=hidden" >> "$out/build.txt" 2>&1 || {
      tail -n 30 "$out/build.txt"; stop "the plugin does not build"; }
  fi
  export DLP_CUDA_LIBRARY="$top/CKernels/cuda/build/libdlp_cuda.so"
  ldd "$DLP_CUDA_LIBRARY" > "$out/ldd.txt" 2>&1
  if grep -q "not found" "$out/ldd.txt"; then
    # the rpath to the toolkit did not find cuBLAS: look where CUDA and PyTorch wheels keep it
    dirs=$(ls -d /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu 2>/dev/null | tr '\n' ':')
    dirs=$dirs$(python3 -c 'import glob, site; print(":".join(glob.glob(site.getsitepackages()[0] + "/nvidia/*/lib")))' 2>/dev/null)
    export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    ldd "$DLP_CUDA_LIBRARY" > "$out/ldd.txt" 2>&1
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >> "$out/ldd.txt"
    grep -q "not found" "$out/ldd.txt" && { cat "$out/ldd.txt"; stop "the plugin's libraries are not found (ldd.txt)"; }
  fi
  cat "$out/ldd.txt"
fi

step "3 selftest --device $device (CUDA_LAUNCH_BLOCKING=1: a fault is reported by the op that made it)"
CUDA_LAUNCH_BLOCKING=1 timeout 150 "$bin" selftest --device "$device" --fixtures Tests/Fixtures > "$out/selftest.txt" 2> "$out/selftest.err"
code=$?
cat "$out/selftest.txt"; tail -n 5 "$out/selftest.err"
[ $code -eq 0 ] || status=1

# graph recording may be refused while every launch blocks: the same checks as the server runs them,
# with decode steps replayed from CUDA graphs against the same steps op by op
step "3b selftest --device $device without CUDA_LAUNCH_BLOCKING (decode graphs)"
timeout 60 "$bin" selftest --device "$device" --fixtures Tests/Fixtures > "$out/selftest-async.txt" 2> "$out/selftest-async.err"
code=$?
grep -i "graph\|MISMATCH" "$out/selftest-async.txt"; tail -n 3 "$out/selftest-async.txt"; tail -n 3 "$out/selftest-async.err"
[ $code -eq 0 ] || status=1

step "4 the targets, then the sweeps (budget ${SWEEP_BUDGET:-150} s from the suite's start)"
DEVICE=$device timeout 300 benchmarks/gpu-suite.sh "$bin" "$out/gpu" 2> "$out/gpu-suite.err"
code=$?
tail -n 8 "$out/gpu-suite.err"
[ $code -eq 0 ] || status=1

step "done, status $status"
exit $status
