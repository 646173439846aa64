/* gemm.c: y = beta*y + x * W^T + bias with W in its stored dtype (the Linear layer of every model).
 * - f32 weights: OpenBLAS sgemm/sgemv (its own threads).
 * - f16/bf16, few rows (decode): our dot kernel over W rows, split across the pool; each weight is
 *   widened in registers as it streams by (no f32 copy of the matrix).
 * - f16/bf16, many rows (prefill): W is widened one tile of rows at a time into scratch (the pool
 *   splits the widening) and OpenBLAS multiplies the tile, so the compute runs at sgemm speed. */
#include "cpu_internal.h"
#include <cblas.h>

#define DLP_GEMM_TILE_ROWS 256      /* W rows widened per sgemm call in the prefill path */
#define DLP_GEMM_SMALL_M 8          /* below this many x rows, the dot kernel is faster than widening */

typedef struct {
    const dlp_context *ctx;
    int64_t m, k;
    const float *x; int64_t ldx;
    const char *w; dlp_dtype w_dtype; int64_t ldw;
    float beta;
    float *y; int64_t ldy;
} gemm_dot_args;

static void gemm_dot_range(void *p, int64_t n_begin, int64_t n_end) {
    const gemm_dot_args *a = p;
    size_t row_bytes = (size_t)a->ldw * dlp_dtype_size(a->w_dtype);
    for (int64_t n = n_begin; n < n_end; n++) {
        const void *wrow = a->w + (size_t)n * row_bytes;
        for (int64_t i = 0; i < a->m; i++) {
            float v = dlp_cpu_dot(a->ctx, a->x + i * a->ldx, wrow, a->w_dtype, a->k);
            float *dst = a->y + i * a->ldy + n;
            *dst = a->beta != 0.0f ? *dst + v : v;
        }
    }
}

typedef struct {
    const dlp_context *ctx;
    const char *w; dlp_dtype w_dtype; int64_t ldw, k;
    float *tile;                     /* f32 [rows, k] */
} widen_args;

static void widen_range(void *p, int64_t begin, int64_t end) {
    const widen_args *a = p;
    size_t row_bytes = (size_t)a->ldw * dlp_dtype_size(a->w_dtype);
    for (int64_t r = begin; r < end; r++)
        dlp_cpu_widen_row(a->ctx, a->w + (size_t)r * row_bytes, a->w_dtype, a->k, a->tile + r * a->k);
}

static void add_bias(int64_t m, int64_t n, const void *bias, dlp_dtype dtype, float *y, int64_t ldy) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) y[i * ldy + j] += dlp_load_weight(bias, dtype, j);
}

dlp_status dlp_cpu_gemm(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                        const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                        float beta, float *y, int64_t ldy) {
    if (m < 0 || n <= 0 || k <= 0 || ldx < k || ldw < k || ldy < n || !x || !w || !y)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                            "gemm: bad sizes m=%lld n=%lld k=%lld ldx=%lld ldw=%lld ldy=%lld",
                            (long long)m, (long long)n, (long long)k, (long long)ldx, (long long)ldw, (long long)ldy);
    if (!dlp_dtype_valid(w_dtype) || (bias && !dlp_dtype_valid(bias_dtype)))
        return dlp_cpu_fail(ctx, DLP_STATUS_UNSUPPORTED, "gemm: unsupported weight dtype %d", (int)w_dtype);
    if (beta != 0.0f && beta != 1.0f)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "gemm: beta must be 0 or 1");
    if (m == 0) return DLP_STATUS_OK;

    if (w_dtype == DLP_DTYPE_F32) {
        if (m == 1)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0f, w, (int)ldw, x, 1, beta, y, 1);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, x, (int)ldx,
                        w, (int)ldw, beta, y, (int)ldy);
    } else if (m < DLP_GEMM_SMALL_M) {
        gemm_dot_args args = {ctx, m, k, x, ldx, w, w_dtype, ldw, beta, y, ldy};
        dlp_parallel_for(ctx->pool, n, 16, gemm_dot_range, &args);
    } else {
        int64_t tile_rows = n < DLP_GEMM_TILE_ROWS ? n : DLP_GEMM_TILE_ROWS;
        float *tile = dlp_cpu_scratch(ctx, (size_t)tile_rows * (size_t)k);
        if (!tile) return DLP_STATUS_OUT_OF_MEMORY;
        size_t row_bytes = (size_t)ldw * dlp_dtype_size(w_dtype);
        for (int64_t n0 = 0; n0 < n; n0 += tile_rows) {
            int64_t rows = n - n0 < tile_rows ? n - n0 : tile_rows;
            widen_args wa = {ctx, (const char *)w + (size_t)n0 * row_bytes, w_dtype, ldw, k, tile};
            dlp_parallel_for(ctx->pool, rows, 8, widen_range, &wa);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)rows, (int)k, 1.0f, x, (int)ldx,
                        tile, (int)k, beta, y + n0, (int)ldy);
        }
    }
    if (bias) add_bias(m, n, bias, bias_dtype, y, ldy);
    return DLP_STATUS_OK;
}
