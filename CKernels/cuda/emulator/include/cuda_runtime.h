// cuda_runtime.h (emulator): the part of the CUDA language and runtime the plugin's .cu files use, for
// building them as ordinary C++ that runs on the CPU (libdlp_cuda_emu.so, `make cuda-emu`). Kernels run
// thread by thread as fibers (threads.cpp) with __syncthreads and warp shuffles as real barriers; device
// memory is host memory behind guard pages (memory.cpp); streams run in order, graphs record and replay
// (runtime.cpp). rewrite_launches.py turns `kernel<<<grid, block, shared, stream>>>(args)` into
// `dlp_emu::launch(...)` before compiling. The device it reports is an H200-shaped sm_90 with 132 SMs, so
// launch shapes match the real one.
#ifndef DLP_EMU_CUDA_RUNTIME_H
#define DLP_EMU_CUDA_RUNTIME_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- the language: qualifiers become plain C++; __shared__ variables are function statics (blocks run
// one at a time, so a static is the running block's shared memory)
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 { unsigned x, y, z; };
struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(16) int4 { int x, y, z, w; };

namespace dlp_emu {
// The running thread's indices and its launch's shape (valid inside a kernel only).
const uint3 &thread_index();
const uint3 &block_index();
const dim3 &block_shape();
const dim3 &grid_shape();
void block_barrier();
// Waits for every lane of the running thread's warp (mask must be all 32).
void warp_barrier(unsigned mask);
// Exchanges `bytes` of value with lane (own lane ^ lane_mask) of the warp; every lane of mask must call.
void shuffle_xor(unsigned mask, void *value, size_t bytes, int lane_mask, int width);
// Reports a misaligned vector load (the GPU faults on one) and stops the process.
void check_alignment(const void *p, size_t alignment, const char *what);
}   // namespace dlp_emu

#define threadIdx (::dlp_emu::thread_index())
#define blockIdx (::dlp_emu::block_index())
#define blockDim (::dlp_emu::block_shape())
#define gridDim (::dlp_emu::grid_shape())

inline void __syncthreads() { dlp_emu::block_barrier(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { dlp_emu::warp_barrier(mask); }
inline int __ffs(int x) { return __builtin_ffs(x); }

template <typename T>
inline T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = 32) {
    static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
    dlp_emu::shuffle_xor(mask, &value, sizeof(T), lane_mask, width);
    return value;
}

template <typename T>
inline T __ldg(const T *p) {
    dlp_emu::check_alignment(p, alignof(T), "__ldg");
    return *p;
}

// Blocks run one at a time and a block's threads one at a time: atomics are plain read-modify-writes.
inline int atomicCAS(int *address, int compare, int value) {
    int old = *address;
    if (old == compare) *address = value;
    return old;
}
inline int atomicMin(int *address, int value) {
    int old = *address;
    if (value < old) *address = value;
    return old;
}

inline float __uint_as_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
inline uint32_t __float_as_uint(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }

// ---- the runtime
enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorIllegalAddress = 700,
    cudaErrorLaunchFailure = 719,
    cudaErrorStreamCaptureUnsupported = 900,
    cudaErrorStreamCaptureInvalidated = 901,
};
typedef cudaError_t cudaError;

typedef struct dlp_emu_stream *cudaStream_t;
typedef struct dlp_emu_event *cudaEvent_t;
typedef struct dlp_emu_graph *cudaGraph_t;
typedef struct dlp_emu_graph *cudaGraphExec_t;

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4,
};
enum cudaStreamCaptureMode { cudaStreamCaptureModeGlobal = 0, cudaStreamCaptureModeThreadLocal = 1, cudaStreamCaptureModeRelaxed = 2 };
enum cudaStreamCaptureStatus { cudaStreamCaptureStatusNone = 0, cudaStreamCaptureStatusActive = 1, cudaStreamCaptureStatusInvalidated = 2 };
enum cudaDeviceAttr { cudaDevAttrMemoryClockRate = 36, cudaDevAttrGlobalMemoryBusWidth = 37 };

#define cudaStreamNonBlocking 0x1
#define cudaEventDisableTiming 0x2
#define cudaHostAllocDefault 0x0

struct cudaDeviceProp {
    char name[256];
    int major, minor;
    int multiProcessorCount;
    size_t totalGlobalMem;
    size_t sharedMemPerBlock;
    int maxThreadsPerBlock;
    int warpSize;
};

cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device);
cudaError_t cudaRuntimeGetVersion(int *version);
cudaError_t cudaDriverGetVersion(int *version);
cudaError_t cudaGetLastError(void);
const char *cudaGetErrorString(cudaError_t error);

cudaError_t cudaMalloc(void **pointer, size_t bytes);
template <typename T> inline cudaError_t cudaMalloc(T **pointer, size_t bytes) { return cudaMalloc((void **)pointer, bytes); }
cudaError_t cudaFree(void *pointer);
cudaError_t cudaHostAlloc(void **pointer, size_t bytes, unsigned flags);
cudaError_t cudaFreeHost(void *pointer);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream);
cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t stream);

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream);
cudaError_t cudaEventSynchronize(cudaEvent_t event);

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph);
cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus *status);
cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);

namespace dlp_emu {
// Queues work on stream: run now, or recorded when the stream is capturing. `what` names it in reports.
cudaError_t enqueue(cudaStream_t stream, const char *what, std::function<void()> work);
// Runs the grid of `kernel` (set up by launch below), blocks in order, each block's threads as fibers.
void run_grid(const char *kernel, dim3 grid, dim3 block, const std::function<void()> &thread_body);
cudaError_t check_shape(const char *kernel, dim3 grid, dim3 block);
void set_last_error(cudaError_t error);

// kernel<<<grid, block, shared_bytes, stream>>>(args...): the arguments are converted to the kernel's
// parameter types and copied now, as CUDA does, so a recorded launch replays with the values it had.
template <typename... P, typename... A>
void launch(const char *kernel, void (*function)(P...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
            A &&...args) {
    static_assert(sizeof...(P) == sizeof...(A), "a kernel launch with the wrong number of arguments");
    (void)shared_bytes;
    cudaError_t shape = check_shape(kernel, grid, block);
    if (shape != cudaSuccess) {
        set_last_error(shape);
        return;
    }
    auto bound = std::make_shared<std::tuple<std::decay_t<P>...>>(std::forward<A>(args)...);
    cudaError_t queued = enqueue(stream, kernel, [kernel, function, grid, block, bound] {
        run_grid(kernel, grid, block, [function, bound] { std::apply(function, *bound); });
    });
    if (queued != cudaSuccess) set_last_error(queued);
}
}   // namespace dlp_emu

#endif
