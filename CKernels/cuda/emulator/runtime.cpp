// runtime.cpp (emulator): the CUDA runtime calls on the CPU: one emulated device, streams that run their
// work in order at once, events that are always complete, and stream capture into graphs that replay the
// recorded work (kernels with the argument values they had, memsets, copies, cuBLAS calls). Calls that
// would wait for the stream while it captures fail and invalidate the capture, as CUDA does, so the
// plugin's recording rules are checked here too.
#include "emulator.h"
#include "include/cublas_v2.h"
#include <stdio.h>
#include <stdlib.h>
#include <mutex>
#include <string>
#include <vector>

struct dlp_emu_graph {
    std::vector<std::pair<std::string, std::function<void()>>> work;
};

struct dlp_emu_stream {
    dlp_emu_graph *capture = nullptr;   // the graph being recorded, if capturing
    bool capture_invalidated = false;
};

struct dlp_emu_event {
    int unused;
};

namespace dlp_emu {
namespace {

std::recursive_mutex device_lock;    // one host thread at a time drives the emulated device
thread_local cudaError_t last_error = cudaSuccess;
const int kDevices = 1;

bool capturing(cudaStream_t stream) { return stream && stream->capture; }

// A call that waits for the GPU while `stream` (or any stream, for device-wide calls) is capturing.
cudaError_t unsafe_while_capturing(cudaStream_t stream) {
    if (!capturing(stream)) return cudaSuccess;
    stream->capture_invalidated = true;
    return cudaErrorStreamCaptureUnsupported;
}

std::vector<cudaStream_t> streams;
cudaError_t any_stream_capturing() {
    for (cudaStream_t s : streams)
        if (capturing(s)) return unsafe_while_capturing(s);
    return cudaSuccess;
}

cudaError_t result(cudaError_t error) {
    if (error != cudaSuccess) last_error = error;
    return error;
}

}   // namespace

void set_last_error(cudaError_t error) { last_error = error; }

cudaError_t enqueue(cudaStream_t stream, const char *what, std::function<void()> work) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    if (capturing(stream)) {
        stream->capture->work.emplace_back(what, std::move(work));
        return cudaSuccess;
    }
    work();
    return cudaSuccess;
}

}   // namespace dlp_emu

using namespace dlp_emu;

cudaError_t cudaGetDeviceCount(int *count) {
    install_fault_handler();
    *count = kDevices;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) { return result(device >= 0 && device < kDevices ? cudaSuccess : cudaErrorInvalidDevice); }

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device) {
    if (device < 0 || device >= kDevices) return result(cudaErrorInvalidDevice);
    memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name, "dlp-emu (the CPU emulating an H200-shaped GPU)");
    prop->major = 9;
    prop->minor = 0;
    prop->multiProcessorCount = 132;
    prop->totalGlobalMem = (size_t)16 << 30;
    prop->sharedMemPerBlock = 48 << 10;
    prop->maxThreadsPerBlock = 1024;
    prop->warpSize = 32;
    return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device) {
    if (device < 0 || device >= kDevices) return result(cudaErrorInvalidDevice);
    switch (attr) {
    case cudaDevAttrMemoryClockRate: *value = 2619000; return cudaSuccess;      // kHz
    case cudaDevAttrGlobalMemoryBusWidth: *value = 6144; return cudaSuccess;    // bits
    }
    return result(cudaErrorInvalidValue);
}

cudaError_t cudaRuntimeGetVersion(int *version) { *version = 12000; return cudaSuccess; }
cudaError_t cudaDriverGetVersion(int *version) { *version = 12000; return cudaSuccess; }

cudaError_t cudaGetLastError(void) {
    cudaError_t error = last_error;
    last_error = cudaSuccess;
    return error;
}

const char *cudaGetErrorString(cudaError_t error) {
    switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    }
    return "unknown error";
}

cudaError_t cudaMalloc(void **pointer, size_t bytes) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    *pointer = nullptr;
    if (cudaError_t e = any_stream_capturing()) return result(e);
    *pointer = allocate(bytes, true);
    return result(*pointer ? cudaSuccess : cudaErrorMemoryAllocation);
}

cudaError_t cudaFree(void *pointer) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    if (!pointer) return cudaSuccess;
    if (cudaError_t e = any_stream_capturing()) return result(e);
    return result(release(pointer, true) ? cudaSuccess : cudaErrorInvalidValue);
}

cudaError_t cudaHostAlloc(void **pointer, size_t bytes, unsigned flags) {
    (void)flags;
    *pointer = allocate(bytes, false);
    return result(*pointer ? cudaSuccess : cudaErrorMemoryAllocation);
}

cudaError_t cudaFreeHost(void *pointer) {
    if (!pointer) return cudaSuccess;
    return result(release(pointer, false) ? cudaSuccess : cudaErrorInvalidValue);
}

// The device side of a copy must lie inside one live device allocation, as it must on a GPU.
static cudaError_t check_copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    bool device_dst = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    bool device_src = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (bytes == 0) return cudaSuccess;
    if ((device_dst && !is_device_range(dst, bytes)) || (device_src && !is_device_range(src, bytes)) || kind == cudaMemcpyDefault) {
        fprintf(stderr, "dlp-emu: cudaMemcpy of %zu bytes from %p to %p (kind %d) leaves device memory\n", bytes, src, dst, (int)kind);
        return cudaErrorInvalidValue;
    }
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    if (cudaError_t e = any_stream_capturing()) return result(e);
    if (cudaError_t e = check_copy(dst, src, bytes, kind)) return result(e);
    if (bytes) memcpy(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
    if (cudaError_t e = check_copy(dst, src, bytes, kind)) return result(e);
    return result(enqueue(stream, "cudaMemcpyAsync", [dst, src, bytes] { if (bytes) memcpy(dst, src, bytes); }));
}

cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t stream) {
    if (bytes && !is_device_range(dst, bytes)) {
        fprintf(stderr, "dlp-emu: cudaMemsetAsync of %zu bytes at %p leaves device memory\n", bytes, dst);
        return result(cudaErrorInvalidValue);
    }
    return result(enqueue(stream, "cudaMemsetAsync", [dst, value, bytes] { memset(dst, value, bytes); }));
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags) {
    (void)flags;
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    *stream = new dlp_emu_stream;
    streams.push_back(*stream);
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    for (size_t i = 0; i < streams.size(); i++)
        if (streams[i] == stream) {
            streams.erase(streams.begin() + (long)i);
            delete stream->capture;
            delete stream;
            return cudaSuccess;
        }
    return result(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    return result(unsafe_while_capturing(stream));
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned flags) {
    (void)flags;
    *event = new dlp_emu_event{0};
    return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
    delete event;
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    (void)event;
    (void)stream;
    return cudaSuccess;       // work runs at once: an event is complete when recorded
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    (void)event;
    return result(any_stream_capturing());
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
    (void)mode;
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    if (!stream || stream->capture) return result(cudaErrorInvalidValue);
    stream->capture = new dlp_emu_graph;
    stream->capture_invalidated = false;
    return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    *graph = nullptr;
    if (!stream || !stream->capture) return result(cudaErrorInvalidValue);
    dlp_emu_graph *recorded = stream->capture;
    stream->capture = nullptr;
    if (stream->capture_invalidated) {
        delete recorded;
        return result(cudaErrorStreamCaptureInvalidated);
    }
    *graph = recorded;
    return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus *status) {
    std::lock_guard<std::recursive_mutex> hold(device_lock);
    *status = !capturing(stream) ? cudaStreamCaptureStatusNone
              : stream->capture_invalidated ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive;
    return cudaSuccess;
}

cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags) {
    (void)flags;
    if (!graph) return result(cudaErrorInvalidValue);
    *exec = new dlp_emu_graph(*graph);
    return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    if (!exec) return result(cudaErrorInvalidValue);
    for (auto &[what, work] : exec->work) {
        cudaError_t e = enqueue(stream, what.c_str(), work);
        if (e != cudaSuccess) return result(e);
    }
    return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    delete graph;
    return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    delete exec;
    return cudaSuccess;
}
