/* activation_memo.c: the activation rows a block-quantized product reads (cpu_quant.h), quantized over
 * the pool and kept with a copy of the f32 rows they came from. The next product whose x has the same
 * address, shape, format and values (q, k and v of a layer read the same normed rows; gate and up too)
 * reuses them instead of quantizing again: the values are compared, so a changed x is never missed.
 * Only x of up to DLP_MEMO_MAX_X_BYTES is kept (decode steps, short chunks). */
#include "cpu_quant.h"
#include <stdlib.h>

#define DLP_MEMO_MAX_X_BYTES (4u << 20)   /* larger x (long prefill chunks) is quantized every time, not copied */

typedef struct {
    dlp_dtype weight_dtype;
    int64_t k;
    const float *x; int64_t ldx;
    char *out;
    int simd;
} quantize_args;

static void quantize_range(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)thread;
    const quantize_args *a = p;
    dlp_cpu_quantize_rows(a->weight_dtype, a->k, a->x, a->ldx, begin, end, a->out, a->simd);
}

/* 1 when the memo holds x's rows (same address, shape, format and values). */
static int memo_matches(const dlp_activation_memo *memo, int k_quant, int64_t m, int64_t k, const float *x, int64_t ldx) {
    if (!memo->valid || memo->source != x || memo->m != m || memo->k != k || memo->ldx != ldx || memo->k_quant != k_quant)
        return 0;
    for (int64_t i = 0; i < m; i++)
        if (memcmp(memo->x + i * k, x + i * ldx, (size_t)k * sizeof(float)) != 0) return 0;
    return 1;
}

/* Grows *buffer to at least bytes; 0 when allocation fails (the buffer is kept). */
static int grow(void **buffer, size_t *capacity, size_t bytes) {
    if (*capacity >= bytes) return 1;
    void *grown = realloc(*buffer, bytes);
    if (!grown) return 0;
    *buffer = grown;
    *capacity = bytes;
    return 1;
}

const char *dlp_cpu_quantized_activations(dlp_context *ctx, dlp_dtype weight_dtype, int64_t m, int64_t k, const float *x,
                                          int64_t ldx) {
    dlp_activation_memo *memo = &ctx->activations;
    int k_quant = dlp_dtype_is_k_quant(weight_dtype);
    if (memo_matches(memo, k_quant, m, k, x, ldx)) return memo->xq;
    memo->valid = 0;
    size_t xq_bytes = (size_t)m * dlp_cpu_qact_row_bytes(weight_dtype, k), x_bytes = (size_t)m * (size_t)k * sizeof(float);
    int keep = x_bytes <= DLP_MEMO_MAX_X_BYTES;
    if (!grow((void **)&memo->xq, &memo->xq_capacity, xq_bytes ? xq_bytes : 1) ||
        (keep && !grow((void **)&memo->x, &memo->x_capacity, x_bytes ? x_bytes : 1))) {
        dlp_cpu_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "gemm: cannot allocate %zu bytes of quantized activations", xq_bytes + x_bytes);
        return NULL;
    }
    quantize_args args = {weight_dtype, k, x, ldx, memo->xq, ctx->has_avx2};
    dlp_parallel_for(ctx->pool, m, 8, quantize_range, &args);
    if (!keep) return memo->xq;
    for (int64_t i = 0; i < m; i++) memcpy(memo->x + i * k, x + i * ldx, (size_t)k * sizeof(float));
    *memo = (dlp_activation_memo){memo->xq, memo->xq_capacity, memo->x, memo->x_capacity, x, m, k, ldx, k_quant, 1};
    return memo->xq;
}
