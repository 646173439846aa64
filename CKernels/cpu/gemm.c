/* gemm.c: y = beta*y + x * W^T + bias with W in its stored dtype (the Linear layer of every model).
 * The output features are split across the pool; each thread owns a block of W's rows.
 * - Few rows of x (decode): a dot product per (row of x, row of W), weights widened in registers as they
 *   stream by: a memory-bound GEMV, no f32 copy of the matrix, any dtype.
 * - Many rows (prefill): f32 blocks go straight to OpenBLAS sgemm (single-threaded, inside our thread);
 *   f16/bf16 blocks are widened one tile of rows at a time into the thread's scratch and multiplied by
 *   sgemm, so the compute runs at sgemm speed without widening the whole matrix.
 * gemm_lora adds a LoRA expand: each thread adds the adapters' share of the output features it just
 * computed (decode), or the expand runs after the blocks (prefill). */
#include "cpu_internal.h"
#include <cblas.h>

#define DLP_GEMM_TILE_ROWS 128      /* W rows widened per sgemm call in the prefill path */
#define DLP_GEMM_SMALL_M 8          /* below this many x rows, the dot kernel beats widening */
#define DLP_GEMM_FUSED_EXPAND_MIN 256   /* features per thread from which gemm_lora expands inside the GEMV:
                                         * narrower slices make the expand's axpys too short to pay */

typedef struct {
    const dlp_context *ctx;
    int64_t m, k;
    const float *x; int64_t ldx;
    const char *w; dlp_dtype w_dtype; int64_t ldw;
    float beta;
    float *y; int64_t ldy;
    float *scratch;                  /* [n_threads, DLP_GEMM_TILE_ROWS, k] */
    const dlp_lora_expand_args *expand;   /* gemm_lora: the expand of these output features, or NULL */
} gemm_args;

static void gemm_dot_range(void *p, int64_t n_begin, int64_t n_end, int32_t thread) {
    (void)thread;
    const gemm_args *a = p;
    size_t row_bytes = (size_t)a->ldw * dlp_dtype_size(a->w_dtype);
    for (int64_t n = n_begin; n < n_end; n++) {
        const void *wrow = a->w + (size_t)n * row_bytes;
        for (int64_t i = 0; i < a->m; i++) {
            float v = dlp_cpu_dot(a->ctx, a->x + i * a->ldx, wrow, a->w_dtype, a->k);
            float *dst = a->y + i * a->ldy + n;
            *dst = a->beta != 0.0f ? *dst + v : v;
        }
    }
    if (a->expand) dlp_cpu_lora_expand_columns(a->expand, n_begin, n_end);
}

static void gemm_block_range(void *p, int64_t n_begin, int64_t n_end, int32_t thread) {
    const gemm_args *a = p;
    size_t row_bytes = (size_t)a->ldw * dlp_dtype_size(a->w_dtype);
    if (a->w_dtype == DLP_DTYPE_F32) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->m, (int)(n_end - n_begin), (int)a->k, 1.0f,
                    a->x, (int)a->ldx, (const float *)(a->w + (size_t)n_begin * row_bytes), (int)a->ldw, a->beta,
                    a->y + n_begin, (int)a->ldy);
        return;
    }
    float *tile = a->scratch + (size_t)thread * DLP_GEMM_TILE_ROWS * (size_t)a->k;
    for (int64_t n0 = n_begin; n0 < n_end; n0 += DLP_GEMM_TILE_ROWS) {
        int64_t rows = n_end - n0 < DLP_GEMM_TILE_ROWS ? n_end - n0 : DLP_GEMM_TILE_ROWS;
        for (int64_t r = 0; r < rows; r++)
            dlp_cpu_widen_row(a->ctx, a->w + (size_t)(n0 + r) * row_bytes, a->w_dtype, a->k, tile + r * a->k);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->m, (int)rows, (int)a->k, 1.0f, a->x, (int)a->ldx,
                    tile, (int)a->k, a->beta, a->y + n0, (int)a->ldy);
    }
}

static void expand_columns_range(void *p, int64_t n_begin, int64_t n_end, int32_t thread) {
    (void)thread;
    dlp_cpu_lora_expand_columns(p, n_begin, n_end);
}

static void add_bias(int64_t m, int64_t n, const void *bias, dlp_dtype dtype, float *y, int64_t ldy) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) y[i * ldy + j] += dlp_load_weight(bias, dtype, j);
}

static dlp_status check_gemm(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                             const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                             float beta, const float *y, int64_t ldy) {
    if (m < 0 || n <= 0 || k <= 0 || ldx < k || ldw < k || ldy < n || !x || !w || !y)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                            "gemm: bad sizes m=%lld n=%lld k=%lld ldx=%lld ldw=%lld ldy=%lld",
                            (long long)m, (long long)n, (long long)k, (long long)ldx, (long long)ldw, (long long)ldy);
    if (!dlp_dtype_valid(w_dtype) || (bias && !dlp_dtype_valid(bias_dtype)))
        return dlp_cpu_fail(ctx, DLP_STATUS_UNSUPPORTED, "gemm: unsupported weight dtype %d", (int)w_dtype);
    if (beta != 0.0f && beta != 1.0f)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "gemm: beta must be 0 or 1");
    return DLP_STATUS_OK;
}

/* The product (and, with expand, the adapters' share) over the pool, then the bias. */
static dlp_status run_gemm(dlp_context *ctx, gemm_args *args, int64_t n, const void *bias, dlp_dtype bias_dtype) {
    const dlp_lora_expand_args *expand = args->expand;
    if (args->m < DLP_GEMM_SMALL_M && (!expand || n / ctx->n_threads >= DLP_GEMM_FUSED_EXPAND_MIN)) {
        dlp_parallel_for(ctx->pool, n, 16, gemm_dot_range, args);
    } else if (args->m < DLP_GEMM_SMALL_M) {
        args->expand = NULL;                       /* narrow output: the expand after, in longer runs */
        dlp_parallel_for(ctx->pool, n, 16, gemm_dot_range, args);
        int64_t grain = 4096 / (args->m * expand->k_slots * expand->r_max + 1) + 16;
        dlp_parallel_for(ctx->pool, n, grain, expand_columns_range, (void *)expand);
    } else {
        if (args->w_dtype != DLP_DTYPE_F32) {
            args->scratch = dlp_cpu_scratch(ctx, (size_t)ctx->n_threads * DLP_GEMM_TILE_ROWS * (size_t)args->k);
            if (!args->scratch) return DLP_STATUS_OUT_OF_MEMORY;
        }
        dlp_parallel_for(ctx->pool, n, 32, gemm_block_range, args);
        if (args->expand) {
            int64_t grain = 4096 / (args->m * args->expand->k_slots * args->expand->r_max + 1) + 16;
            dlp_parallel_for(ctx->pool, n, grain, expand_columns_range, (void *)args->expand);
        }
    }
    if (bias) add_bias(args->m, n, bias, bias_dtype, args->y, args->ldy);
    return DLP_STATUS_OK;
}

dlp_status dlp_cpu_gemm(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                        const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                        float beta, float *y, int64_t ldy) {
    dlp_status status = check_gemm(ctx, m, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy);
    if (status != DLP_STATUS_OK || m == 0) return status;
    gemm_args args = {ctx, m, k, x, ldx, w, w_dtype, ldw, beta, y, ldy, NULL, NULL};
    return run_gemm(ctx, &args, n, bias, bias_dtype);
}

dlp_status dlp_cpu_gemm_lora(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                             const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                             float beta, float *y, int64_t ldy, int64_t r_max, int64_t k_slots, const float *t,
                             const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters, const int32_t *ranks,
                             int64_t n_plans, const int32_t *plan_adapters, const int32_t *plan_of_row) {
    dlp_status status = check_gemm(ctx, m, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy);
    if (status == DLP_STATUS_OK)
        status = dlp_cpu_lora_expand_check(ctx, "gemm_lora", m, n, r_max, k_slots, n_adapters, ranks, n_plans,
                                           plan_adapters, plan_of_row, ldy, bank_dtype);
    if (status != DLP_STATUS_OK || m == 0) return status;
    dlp_lora_expand_args expand = {ctx, m, n, r_max, k_slots, t, b_bank, bank_dtype, ranks, plan_adapters, plan_of_row, y, ldy};
    gemm_args args = {ctx, m, k, x, ldx, w, w_dtype, ldw, beta, y, ldy, NULL, &expand};
    return run_gemm(ctx, &args, n, bias, bias_dtype);
}
