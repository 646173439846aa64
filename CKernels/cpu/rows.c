/* rows.c: the row-wise ops of the table: embedding gather, RMSNorm, residual add, argmax (SiLU-mul: silu.c). */
#include "cpu_internal.h"
#include "dlp_dequantize.h"
#include "dlp_repack.h"
#include <math.h>

dlp_status dlp_cpu_embedding(dlp_context *ctx, int64_t m, const int32_t *ids, const void *table,
                             dlp_dtype table_dtype, int64_t vocab, int64_t dim, float *out, int64_t ldo) {
    int64_t row_bytes = dlp_dtype_row_bytes(table_dtype, dim);
    if (m < 0 || dim <= 0 || ldo < dim || vocab <= 0 || row_bytes < 0)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding: bad sizes m=%lld dim=%lld vocab=%lld dtype %d",
                            (long long)m, (long long)dim, (long long)vocab, (int)table_dtype);
    for (int64_t i = 0; i < m; i++) {
        if (ids[i] < 0 || ids[i] >= vocab)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding: token id %d at row %lld is outside [0, %lld)",
                                ids[i], (long long)i, (long long)vocab);
        const char *row = (const char *)table + (size_t)ids[i] * (size_t)row_bytes;
        if (dlp_dtype_is_float(table_dtype))
            dlp_cpu_widen_row(ctx, row, table_dtype, dim, out + i * ldo);
        else if (dlp_dtype_is_row_interleaved(table_dtype))
            dlp_dequantize_rows(table_dtype, vocab, dim, (const uint8_t *)table, ids[i], ids[i] + 1, out + i * ldo);
        else
            dlp_dequantize_blocks(table_dtype, (const uint8_t *)row, dim / dlp_dtype_block_elements(table_dtype), out + i * ldo);
    }
    return DLP_STATUS_OK;
}

dlp_status dlp_cpu_rmsnorm(dlp_context *ctx, int64_t m, int64_t d, const float *x, int64_t ldx,
                           const void *w, dlp_dtype w_dtype, float eps, float *y, int64_t ldy) {
    if (m < 0 || d <= 0 || ldx < d || ldy < d || !dlp_dtype_is_float(w_dtype))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rmsnorm: bad sizes m=%lld d=%lld", (long long)m, (long long)d);
    for (int64_t i = 0; i < m; i++) {
        const float *xi = x + i * ldx;
        float *yi = y + i * ldy;
        double ss = 0.0;
        for (int64_t j = 0; j < d; j++) ss += (double)xi[j] * xi[j];
        float inv = 1.0f / sqrtf((float)(ss / (double)d) + eps);
        for (int64_t j = 0; j < d; j++) yi[j] = xi[j] * inv * dlp_load_weight(w, w_dtype, j);
    }
    return DLP_STATUS_OK;
}

dlp_status dlp_cpu_add(dlp_context *ctx, int64_t n, const float *x, float *y) {
    if (n < 0) return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "add: negative size");
    for (int64_t i = 0; i < n; i++) y[i] += x[i];
    return DLP_STATUS_OK;
}

dlp_status dlp_cpu_argmax(dlp_context *ctx, int64_t m, int64_t n, const float *x, int64_t ldx, int32_t *out) {
    if (m < 0 || n <= 0 || ldx < n)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "argmax: bad sizes m=%lld n=%lld", (long long)m, (long long)n);
    for (int64_t i = 0; i < m; i++) {
        const float *xi = x + i * ldx;
        int64_t best = 0;
        for (int64_t j = 1; j < n; j++)
            if (xi[j] > xi[best]) best = j;
        out[i] = (int32_t)best;
    }
    return DLP_STATUS_OK;
}
