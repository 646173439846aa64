// context.cu: the CUDA backend's context (device 0 or DLP_CUDA_DEVICE, one stream, one cuBLAS handle),
// its buffers, the device error flag, and the versioned kernel table the plugin exports.
#include "cuda_internal.cuh"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dlp_status dlp_cuda_fail(dlp_context *ctx, dlp_status status, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, args);
    va_end(args);
    return status;
}

dlp_status dlp_cuda_check_launch(dlp_context *ctx, const char *op) {
    cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess) return DLP_STATUS_OK;
    return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "%s: kernel launch failed: %s", op, cudaGetErrorString(err));
}

void *dlp_cuda_scratch(dlp_context *ctx, size_t bytes) {
    if (ctx->scratch_bytes >= bytes) return ctx->scratch;
    if (ctx->recording) {
        ctx->scratch_status = dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "scratch of %zu bytes cannot grow to %zu while a graph is recorded",
                                            ctx->scratch_bytes, bytes);
        return NULL;
    }
    size_t grown = bytes > 2 * ctx->scratch_bytes ? bytes : 2 * ctx->scratch_bytes;
    cudaError_t err = cudaStreamSynchronize(ctx->stream);   // the old scratch may still be read by queued kernels
    if (err != cudaSuccess) {
        ctx->scratch_status = dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "a queued kernel failed: %s", cudaGetErrorString(err));
        return NULL;
    }
    cudaFree(ctx->scratch);
    ctx->scratch = NULL;
    ctx->scratch_bytes = 0;
    ctx->scratch_moves += 1;        // a graph recorded before names the freed scratch, whatever comes next
    if (cudaMalloc(&ctx->scratch, grown) != cudaSuccess) {
        cudaGetLastError();
        ctx->scratch = NULL;
        ctx->scratch_status = dlp_cuda_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "cuda: cannot allocate %zu bytes of scratch", grown);
        return NULL;
    }
    ctx->scratch_bytes = grown;
    return ctx->scratch;
}

static dlp_status context_failed(dlp_context *ctx, dlp_context **out_ctx, dlp_status status) {
    ctx->usable = 0;
    *out_ctx = ctx;                               // carries the error text; the caller destroys it
    return status;
}

static dlp_status context_create(int32_t n_threads, uint32_t flags, dlp_context **out_ctx) {
    (void)n_threads;
    (void)flags;
    if (!out_ctx) return DLP_STATUS_INVALID_ARGUMENT;
    *out_ctx = NULL;
    dlp_context *ctx = (dlp_context *)calloc(1, sizeof(dlp_context));
    if (!ctx) return DLP_STATUS_OUT_OF_MEMORY;
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess || count == 0) {
        dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "no CUDA device: %s",
                      err != cudaSuccess ? cudaGetErrorString(err) : "the driver reports 0 GPUs");
        return context_failed(ctx, out_ctx, DLP_STATUS_DEVICE_ERROR);
    }
    const char *chosen = getenv("DLP_CUDA_DEVICE");
    ctx->device = chosen ? atoi(chosen) : 0;
    if (ctx->device < 0 || ctx->device >= count) {
        dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "DLP_CUDA_DEVICE=%d but there are %d devices", ctx->device, count);
        return context_failed(ctx, out_ctx, DLP_STATUS_INVALID_ARGUMENT);
    }
    if ((err = cudaSetDevice(ctx->device)) != cudaSuccess ||
        (err = cudaGetDeviceProperties(&ctx->properties, ctx->device)) != cudaSuccess ||
        (err = cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking)) != cudaSuccess) {
        dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "cannot open CUDA device %d: %s", ctx->device, cudaGetErrorString(err));
        return context_failed(ctx, out_ctx, DLP_STATUS_DEVICE_ERROR);
    }
    if (ctx->properties.major < 8) {
        dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "%s is compute capability %d.%d; this plugin is built for 8.0 and newer",
                      ctx->properties.name, ctx->properties.major, ctx->properties.minor);
        return context_failed(ctx, out_ctx, DLP_STATUS_UNSUPPORTED);
    }
    cublasStatus_t blas = cublasCreate(&ctx->cublas);
    if (blas != CUBLAS_STATUS_SUCCESS || cublasSetStream(ctx->cublas, ctx->stream) != CUBLAS_STATUS_SUCCESS ||
        cublasSetMathMode(ctx->cublas, CUBLAS_DEFAULT_MATH) != CUBLAS_STATUS_SUCCESS) {
        dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "cannot create a cuBLAS handle (status %d)", (int)blas);
        return context_failed(ctx, out_ctx, DLP_STATUS_DEVICE_ERROR);
    }
    // a workspace of our own, so cuBLAS calls recorded into a graph do not allocate; without one cuBLAS
    // keeps its default (a recording that then fails runs op by op)
    const size_t workspace_bytes = (size_t)32 << 20;
    if (cudaMalloc(&ctx->cublas_workspace, workspace_bytes) != cudaSuccess ||
        cublasSetWorkspace(ctx->cublas, ctx->cublas_workspace, workspace_bytes) != CUBLAS_STATUS_SUCCESS) {
        cudaGetLastError();
        if (ctx->cublas_workspace) cudaFree(ctx->cublas_workspace);
        ctx->cublas_workspace = NULL;
    }
    if (cudaMalloc(&ctx->error_flag, 2 * sizeof(int32_t)) != cudaSuccess ||
        cudaMemsetAsync(ctx->error_flag, 0, 2 * sizeof(int32_t), ctx->stream) != cudaSuccess ||
        cudaStreamSynchronize(ctx->stream) != cudaSuccess) {
        dlp_cuda_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "cannot allocate the device error flag");
        return context_failed(ctx, out_ctx, DLP_STATUS_OUT_OF_MEMORY);
    }
    if (dlp_cuda_staging_create(ctx) != DLP_STATUS_OK) dlp_cuda_staging_destroy(ctx);   // uploads then wait for their copy
    int clock_khz = 0, bus_bits = 0;
    if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, ctx->device) == cudaSuccess &&
        cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, ctx->device) == cudaSuccess)
        ctx->peak_bandwidth = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;
    cudaGetLastError();
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    snprintf(ctx->description, sizeof ctx->description,
             "cuda: %s (sm_%d%d, %d SMs, %.1f GiB, peak %.0f GB/s), runtime %d.%d, driver %d.%d",
             ctx->properties.name, ctx->properties.major, ctx->properties.minor, ctx->properties.multiProcessorCount,
             (double)ctx->properties.totalGlobalMem / (1024.0 * 1024.0 * 1024.0), ctx->peak_bandwidth / 1e9,
             runtime / 1000, (runtime % 1000) / 10, driver / 1000, (driver % 1000) / 10);
    ctx->usable = 1;
    *out_ctx = ctx;
    return DLP_STATUS_OK;
}

static void context_destroy(dlp_context *ctx) {
    if (!ctx) return;
    if (ctx->usable) {
        dlp_cuda_enter(ctx);                      // the frees below act on the current device
        cudaStreamSynchronize(ctx->stream);
    }
    if (ctx->cublas) cublasDestroy(ctx->cublas);
    if (ctx->cublas_workspace) cudaFree(ctx->cublas_workspace);
    dlp_cuda_free_deferred(ctx);
    dlp_cuda_staging_destroy(ctx);
    if (ctx->scratch) cudaFree(ctx->scratch);
    if (ctx->error_flag) cudaFree(ctx->error_flag);
    if (ctx->stream) cudaStreamDestroy(ctx->stream);
    free(ctx);
}

static const char *last_error(const dlp_context *ctx) { return ctx ? ctx->error : ""; }
static const char *device_description(const dlp_context *ctx) { return ctx ? ctx->description : "cuda"; }

// Uploads, downloads, allocations and synchronize wait for the stream: not while a graph is recorded.
static dlp_status refused_while_recording(dlp_context *ctx, const char *op) {
    return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "%s: not allowed while a graph is recorded", op);
}

static dlp_status buffer_alloc(dlp_context *ctx, size_t bytes, dlp_buffer **out_buf) {
    dlp_cuda_enter(ctx);
    if (ctx->recording) return refused_while_recording(ctx, "buffer_alloc");
    dlp_buffer *buf = (dlp_buffer *)calloc(1, sizeof(dlp_buffer));
    if (!buf) return dlp_cuda_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "buffer_alloc: out of host memory");
    buf->bytes = bytes;
    if (bytes > 0) {
        cudaError_t err = cudaMalloc(&buf->data, bytes);
        if (err == cudaSuccess) err = cudaMemsetAsync(buf->data, 0, bytes, ctx->stream);
        if (err != cudaSuccess) {
            cudaGetLastError();
            if (buf->data) cudaFree(buf->data);
            free(buf);
            return dlp_cuda_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "buffer_alloc: cannot allocate %zu bytes on the GPU: %s",
                                 bytes, cudaGetErrorString(err));
        }
    }
    *out_buf = buf;
    return DLP_STATUS_OK;
}

static dlp_status buffer_upload(dlp_context *ctx, dlp_buffer *buf, size_t offset, const void *src, size_t bytes);

static dlp_status buffer_from_host(dlp_context *ctx, const void *host, size_t bytes, dlp_buffer **out_buf) {
    dlp_status status = buffer_alloc(ctx, bytes, out_buf);
    if (status != DLP_STATUS_OK || bytes == 0) return status;
    status = buffer_upload(ctx, *out_buf, 0, host, bytes);
    cudaError_t err = status == DLP_STATUS_OK ? cudaStreamSynchronize(ctx->stream) : cudaSuccess;
    if (err != cudaSuccess)
        status = dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "buffer_from_host: upload of %zu bytes failed: %s", bytes,
                               cudaGetErrorString(err));
    if (status != DLP_STATUS_OK) {
        cudaFree((*out_buf)->data);
        free(*out_buf);
        *out_buf = NULL;
    }
    return status;
}

static void buffer_free(dlp_context *ctx, dlp_buffer *buf) {
    if (!buf) return;
    dlp_cuda_enter(ctx);
    if (buf->data) {
        if (ctx->recording) {
            // waiting for the stream would end the recording: freed when it ends
            dlp_cuda_defer_free(ctx, buf->data);
        } else {
            cudaStreamSynchronize(ctx->stream);   // queued kernels may still read it
            cudaFree(buf->data);
        }
    }
    free(buf);
}

static void *buffer_data(const dlp_buffer *buf) { return buf ? buf->data : NULL; }
static size_t buffer_size(const dlp_buffer *buf) { return buf ? buf->bytes : 0; }

static dlp_status buffer_upload(dlp_context *ctx, dlp_buffer *buf, size_t offset, const void *src, size_t bytes) {
    dlp_cuda_enter(ctx);
    if (ctx->recording) return refused_while_recording(ctx, "buffer_upload");
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "upload of %zu bytes at %zu past a buffer of %zu",
                             bytes, offset, buf->bytes);
    if (bytes == 0) return DLP_STATUS_OK;
    // synchronous with respect to the host: the caller may reuse src as soon as this returns. A small
    // upload (a step's inputs) is staged in pinned memory and does not wait for the GPU.
    if (bytes <= DLP_STAGING_BYTES && ctx->staging[0]) return dlp_cuda_staged_upload(ctx, (char *)buf->data + offset, src, bytes);
    cudaError_t err = cudaMemcpyAsync((char *)buf->data + offset, src, bytes, cudaMemcpyHostToDevice, ctx->stream);
    if (err == cudaSuccess) err = cudaStreamSynchronize(ctx->stream);
    if (err != cudaSuccess)
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "upload of %zu bytes failed: %s", bytes, cudaGetErrorString(err));
    return DLP_STATUS_OK;
}

// Waits for the stream, then reports (and clears) an error a kernel flagged since the last check.
static dlp_status synchronize(dlp_context *ctx) {
    dlp_cuda_enter(ctx);
    if (ctx->recording) return refused_while_recording(ctx, "synchronize");
    cudaError_t err = cudaStreamSynchronize(ctx->stream);
    if (err != cudaSuccess)
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "a queued kernel failed: %s", cudaGetErrorString(err));
    int32_t flag[2] = {0, 0};
    err = cudaMemcpy(flag, ctx->error_flag, sizeof flag, cudaMemcpyDeviceToHost);
    if (err != cudaSuccess)
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "cannot read the error flag: %s", cudaGetErrorString(err));
    if (flag[0] == 0) return DLP_STATUS_OK;
    err = cudaMemsetAsync(ctx->error_flag, 0, sizeof flag, ctx->stream);    // ordered before later kernels
    if (err == cudaSuccess) err = cudaStreamSynchronize(ctx->stream);
    if (err != cudaSuccess)
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "cannot clear the error flag: %s", cudaGetErrorString(err));
    switch (flag[0]) {
    case DLP_FLAG_TOKEN_OUT_OF_RANGE:
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding: a token id at row %d is outside the vocabulary", flag[1]);
    case DLP_FLAG_UNIFORM_OUT_OF_RANGE:
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "sample: the uniform of row %d is outside [0, 1)", flag[1]);
    case DLP_FLAG_SLOT_OUT_OF_RANGE:
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "kv_store/attention: row %d has a slot or position outside the cache", flag[1]);
    case DLP_FLAG_PLAN_OUT_OF_RANGE:
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "lora: row %d points at a plan, adapter or rank outside the bank", flag[1]);
    case DLP_FLAG_NEGATIVE_POSITION:
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rope: negative position at row %d", flag[1]);
    case DLP_FLAG_FEATURE_OUT_OF_RANGE:
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding_bag: sentence %d has an offset or a feature outside the table", flag[1]);
    default:
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "a kernel flagged error %d at row %d", flag[0], flag[1]);
    }
}

static dlp_status buffer_download(dlp_context *ctx, const dlp_buffer *buf, size_t offset, void *dst, size_t bytes) {
    dlp_cuda_enter(ctx);
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "download of %zu bytes at %zu past a buffer of %zu",
                             bytes, offset, buf->bytes);
    dlp_status status = synchronize(ctx);
    if (status != DLP_STATUS_OK || bytes == 0) return status;
    cudaError_t err = cudaMemcpy(dst, (const char *)buf->data + offset, bytes, cudaMemcpyDeviceToHost);
    if (err != cudaSuccess)
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "download of %zu bytes failed: %s", bytes, cudaGetErrorString(err));
    return DLP_STATUS_OK;
}

static dlp_kernel_table make_table(void) {
    dlp_kernel_table t;
    memset(&t, 0, sizeof t);
    t.api_version = DLP_KERNELS_API_VERSION;
    t.name = "cuda";
    t.weight_dtypes = (1ull << DLP_DTYPE_Q4_0_X8) - 1;   // f32, f16, bf16 and every GGUF block format (no _X8)
    t.context_create = context_create;
    t.context_destroy = context_destroy;
    t.last_error = last_error;
    t.device_description = device_description;
    t.buffer_alloc = buffer_alloc;
    t.buffer_from_host = buffer_from_host;
    t.buffer_free = buffer_free;
    t.buffer_data = buffer_data;
    t.buffer_size = buffer_size;
    t.buffer_upload = buffer_upload;
    t.buffer_download = buffer_download;
    t.synchronize = synchronize;
    t.graph_begin = dlp_cuda_graph_begin;
    t.graph_end = dlp_cuda_graph_end;
    t.graph_launch = dlp_cuda_graph_launch;
    t.graph_free = dlp_cuda_graph_free;
    t.gemm = dlp_cuda_gemm;
    t.embedding = dlp_cuda_embedding;
    t.rmsnorm = dlp_cuda_rmsnorm;
    t.rope = dlp_cuda_rope;
    t.kv_store = dlp_cuda_kv_store;
    t.rope_kv_store = dlp_cuda_rope_kv_store;
    t.attention = dlp_cuda_attention;
    t.silu_mul = dlp_cuda_silu_mul;
    t.add = dlp_cuda_add;
    t.argmax = dlp_cuda_argmax;
    t.lora_shrink = dlp_cuda_lora_shrink;
    t.lora_expand = dlp_cuda_lora_expand;
    t.gemm_lora = dlp_cuda_gemm_lora;
    t.sample = dlp_cuda_sample;
    t.route_top_p = dlp_cuda_route_top_p;
    t.embedding_bag = dlp_cuda_embedding_bag;
    t.relu = dlp_cuda_relu;
    return t;
}

static const dlp_kernel_table cuda_table = make_table();

extern "C" __attribute__((visibility("default"))) const dlp_kernel_table *dlp_plugin_kernel_table(void) {
    return &cuda_table;
}
