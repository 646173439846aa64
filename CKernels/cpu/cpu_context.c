/* cpu_context.c: the CPU backend's context, buffers and its kernel table (dlp_cpu_kernel_table). */
#include "cpu_internal.h"
#include <pthread.h>
#include <cblas.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* OpenBLAS's own thread count; declared here because not every cblas.h exposes it. */
void openblas_set_num_threads(int num_threads);

dlp_status dlp_cpu_fail(dlp_context *ctx, dlp_status status, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, args);
    va_end(args);
    return status;
}

float *dlp_cpu_scratch(dlp_context *ctx, size_t n) {
    if (ctx->scratch_floats >= n) return ctx->scratch;
    float *grown = realloc(ctx->scratch, n * sizeof(float));
    if (!grown) {
        dlp_cpu_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "cpu: cannot allocate %zu bytes of scratch", n * sizeof(float));
        return NULL;
    }
    ctx->scratch = grown;
    ctx->scratch_floats = n;
    return grown;
}

static dlp_status context_create(int32_t n_threads, uint32_t flags, dlp_context **out_ctx) {
    if (!out_ctx) return DLP_STATUS_INVALID_ARGUMENT;
    dlp_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return DLP_STATUS_OUT_OF_MEMORY;
    ctx->pool = dlp_thread_pool_create(n_threads);
    if (!ctx->pool) { free(ctx); return DLP_STATUS_OUT_OF_MEMORY; }
    ctx->n_threads = dlp_thread_pool_size(ctx->pool);
    __builtin_cpu_init();
    ctx->has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    ctx->has_vnni = ctx->has_avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                    __builtin_cpu_supports("avx512vnni");
    if (flags & DLP_CONTEXT_REFERENCE_KERNELS) ctx->has_avx2 = 0;
    if (flags & (DLP_CONTEXT_REFERENCE_KERNELS | DLP_CONTEXT_NO_AVX512)) ctx->has_vnni = 0;
    /* OpenBLAS runs single-threaded inside our own pool's threads (its threads would fight ours) */
    openblas_set_num_threads(1);
    snprintf(ctx->description, sizeof ctx->description, "cpu: %d threads, %s%s, OpenBLAS GEMM",
             ctx->n_threads, ctx->has_avx2 ? "AVX2+FMA+F16C" : "scalar (no AVX2)",
             ctx->has_vnni ? ", AVX-512 VNNI int8 dots" : "");
    *out_ctx = ctx;
    return DLP_STATUS_OK;
}

static void context_destroy(dlp_context *ctx) {
    if (!ctx) return;
    dlp_thread_pool_destroy(ctx->pool);
    free(ctx->scratch);
    free(ctx->activations.xq);
    free(ctx->activations.x);
    free(ctx);
}

static const char *last_error(const dlp_context *ctx) { return ctx ? ctx->error : "no context"; }
static const char *device_description(const dlp_context *ctx) { return ctx->description; }

static dlp_status buffer_alloc(dlp_context *ctx, size_t bytes, dlp_buffer **out_buf) {
    dlp_buffer *buf = calloc(1, sizeof *buf);
    void *data = NULL;
    /* 64-byte alignment for SIMD loads; at least one byte so a zero-size buffer has an address */
    if (!buf || posix_memalign(&data, 64, bytes ? bytes : 1) != 0) {
        free(buf);
        return dlp_cpu_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "cpu: cannot allocate a buffer of %zu bytes", bytes);
    }
    memset(data, 0, bytes);
    buf->data = data;
    buf->bytes = bytes;
    buf->owned = 1;
    *out_buf = buf;
    return DLP_STATUS_OK;
}

static dlp_status buffer_from_host(dlp_context *ctx, const void *host, size_t bytes, dlp_buffer **out_buf) {
    if (!host && bytes) return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "buffer_from_host: NULL memory");
    dlp_buffer *buf = calloc(1, sizeof *buf);
    if (!buf) return dlp_cpu_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "cpu: out of memory");
    buf->data = (void *)host;
    buf->bytes = bytes;
    buf->owned = 0;
    *out_buf = buf;
    return DLP_STATUS_OK;
}

static void buffer_free(dlp_context *ctx, dlp_buffer *buf) {
    (void)ctx;
    if (!buf) return;
    if (buf->owned) free(buf->data);
    free(buf);
}

static void *buffer_data(const dlp_buffer *buf) { return buf->data; }
static size_t buffer_size(const dlp_buffer *buf) { return buf->bytes; }

static dlp_status buffer_upload(dlp_context *ctx, dlp_buffer *buf, size_t offset, const void *src, size_t bytes) {
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "upload of %zu bytes at %zu past a buffer of %zu",
                            bytes, offset, buf->bytes);
    memcpy((char *)buf->data + offset, src, bytes);
    return DLP_STATUS_OK;
}

static dlp_status buffer_download(dlp_context *ctx, const dlp_buffer *buf, size_t offset, void *dst, size_t bytes) {
    if (offset > buf->bytes || bytes > buf->bytes - offset)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "download of %zu bytes at %zu past a buffer of %zu",
                            bytes, offset, buf->bytes);
    memcpy(dst, (const char *)buf->data + offset, bytes);
    return DLP_STATUS_OK;
}

static dlp_status synchronize(dlp_context *ctx) { (void)ctx; return DLP_STATUS_OK; }

static dlp_kernel_table cpu_table = {
    .api_version = DLP_KERNELS_API_VERSION,
    .name = "cpu",
    .weight_dtypes = (1u << DLP_DTYPE_Q4_0_X8) - 1, /* f32, f16, bf16, the GGUF block formats; _X8: below */
    .context_create = context_create,
    .context_destroy = context_destroy,
    .last_error = last_error,
    .device_description = device_description,
    .buffer_alloc = buffer_alloc,
    .buffer_from_host = buffer_from_host,
    .buffer_free = buffer_free,
    .buffer_data = buffer_data,
    .buffer_size = buffer_size,
    .buffer_upload = buffer_upload,
    .buffer_download = buffer_download,
    .synchronize = synchronize,
    .gemm = dlp_cpu_gemm,
    .embedding = dlp_cpu_embedding,
    .rmsnorm = dlp_cpu_rmsnorm,
    .rope = dlp_cpu_rope,
    .kv_store = dlp_cpu_kv_store,
    .rope_kv_store = dlp_cpu_rope_kv_store,
    .embedding_bag = dlp_cpu_embedding_bag,
    .relu = dlp_cpu_relu,
    .attention = dlp_cpu_attention,
    .silu_mul = dlp_cpu_silu_mul,
    .add = dlp_cpu_add,
    .argmax = dlp_cpu_argmax,
    .lora_shrink = dlp_cpu_lora_shrink,
    .lora_expand = dlp_cpu_lora_expand,
    .gemm_lora = dlp_cpu_gemm_lora,
    .sample = dlp_cpu_sample,
    .route_top_p = dlp_cpu_route_top_p,
};

/* The row-interleaved dtypes this CPU has group kernels for (AVX2: the Q4 ones; AVX-512 VNNI: Q8_0 too),
 * so that a loader never packs what would then run on the slow unpacking fallback. */
static void advertise_row_interleaved(void) {
#if defined(__x86_64__)
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))) return;
    cpu_table.weight_dtypes |= (1u << DLP_DTYPE_Q4_0_X8) | (1u << DLP_DTYPE_Q4_1_X8);
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        cpu_table.weight_dtypes |= 1u << DLP_DTYPE_Q8_0_X8;
#endif
}

const dlp_kernel_table *dlp_cpu_kernel_table(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, advertise_row_interleaved);
    return &cpu_table;
}
