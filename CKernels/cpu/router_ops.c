/* router_ops.c: the router's two ops of the kernel table: the embedding bag over each sentence's hashed
 * features (dlp_host_embedding_bag's arithmetic: rows summed in feature order, then times 1 / count) and
 * the ReLU between its dense layers. Every index is checked before anything is written. */
#include "cpu_internal.h"
#include <string.h>

typedef struct {
    const float *table;
    int64_t dim;
    const int32_t *features, *offsets;
    float *out;
    int64_t ldo;
} embedding_bag_args;

static void embedding_bag_rows(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)thread;
    const embedding_bag_args *a = p;
    for (int64_t i = begin; i < end; i++) {
        float *out = a->out + i * a->ldo;
        memset(out, 0, sizeof(float) * (size_t)a->dim);
        int32_t first = a->offsets[i], count = a->offsets[i + 1] - first;
        if (count <= 0) continue;
        for (int32_t f = first; f < first + count; f++) {
            const float *row = a->table + (int64_t)a->features[f] * a->dim;
            for (int64_t d = 0; d < a->dim; d++) out[d] += row[d];
        }
        float scale = 1.0f / (float)count;
        for (int64_t d = 0; d < a->dim; d++) out[d] *= scale;
    }
}

dlp_status dlp_cpu_embedding_bag(dlp_context *ctx, int64_t s, const float *table, int64_t rows, int64_t dim,
                                 const int32_t *features, const int32_t *offsets, float *out, int64_t ldo) {
    if (s < 0 || rows <= 0 || dim <= 0 || ldo < dim)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding_bag: bad sizes s=%lld rows=%lld dim=%lld",
                            (long long)s, (long long)rows, (long long)dim);
    if (s == 0) return DLP_STATUS_OK;
    if (!table || !offsets || !out || (offsets[s] > 0 && !features))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding_bag: NULL pointer");
    if (offsets[0] != 0)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding_bag: offsets[0] is %d, not 0", offsets[0]);
    for (int64_t i = 0; i < s; i++) {
        if (offsets[i + 1] < offsets[i])
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding_bag: offsets decrease at sentence %lld", (long long)i);
        for (int32_t f = offsets[i]; f < offsets[i + 1]; f++) {
            if (features[f] < 0 || features[f] >= rows)
                return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding_bag: feature %d of sentence %lld outside [0, %lld)",
                                    features[f], (long long)i, (long long)rows);
        }
    }
    embedding_bag_args args = {table, dim, features, offsets, out, ldo};
    dlp_parallel_for(ctx->pool, s, 4, embedding_bag_rows, &args);
    return DLP_STATUS_OK;
}

dlp_status dlp_cpu_relu(dlp_context *ctx, int64_t m, int64_t n, float *x, int64_t ldx) {
    if (m < 0 || n <= 0 || ldx < n)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "relu: bad sizes m=%lld n=%lld ldx=%lld", (long long)m,
                            (long long)n, (long long)ldx);
    if (m > 0 && !x) return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "relu: NULL x");
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            if (x[i * ldx + j] < 0) x[i * ldx + j] = 0;
    return DLP_STATUS_OK;
}
