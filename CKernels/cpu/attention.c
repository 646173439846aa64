/* attention.c: KV-cache writes and causal attention over the cache (prefill and decode are the same
 * kernel: every query row carries its slot and position). One pass per (row, head) with an online
 * softmax, so no score buffer is needed; (row, head) pairs are split across the pool in a zigzag
 * order of rows (first, last, second, second to last, ...), so that in a causal prefill, where a
 * row's cost grows with its position, every thread's contiguous share costs about the same. */
#include "cpu_internal.h"
#include <math.h>

dlp_status dlp_cpu_kv_store(dlp_context *ctx, int64_t m, int64_t n_kv, int64_t head_dim,
                            const float *k, int64_t ldk, const float *v, int64_t ldv,
                            float *k_cache, float *v_cache, int64_t n_slots, int64_t max_seq,
                            const int32_t *slots, const int32_t *positions) {
    if (m < 0 || n_kv <= 0 || head_dim <= 0 || ldk < n_kv * head_dim || ldv < n_kv * head_dim)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "kv_store: bad sizes");
    for (int64_t i = 0; i < m; i++) {
        if (slots[i] < 0 || slots[i] >= n_slots || positions[i] < 0 || positions[i] >= max_seq)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                                "kv_store: row %lld has slot %d position %d, cache holds %lld slots x %lld positions",
                                (long long)i, slots[i], positions[i], (long long)n_slots, (long long)max_seq);
        for (int64_t h = 0; h < n_kv; h++) {
            size_t at = (((size_t)slots[i] * n_kv + h) * max_seq + positions[i]) * head_dim;
            memcpy(k_cache + at, k + i * ldk + h * head_dim, sizeof(float) * head_dim);
            memcpy(v_cache + at, v + i * ldv + h * head_dim, sizeof(float) * head_dim);
        }
    }
    return DLP_STATUS_OK;
}

typedef struct {
    const dlp_context *ctx;
    int64_t m, n_heads, n_kv, head_dim, max_seq;
    const float *q; int64_t ldq;
    const float *k_cache, *v_cache;
    const int32_t *slots, *positions;
    int32_t window;
    float scale;
    float *out; int64_t ldo;
} attention_args;

#define DLP_MAX_HEAD_DIM 512

static void attention_range(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)thread;
    const attention_args *a = p;
    int64_t group = a->n_heads / a->n_kv, hd = a->head_dim;
    float acc[DLP_MAX_HEAD_DIM];
    for (int64_t item = begin; item < end; item++) {
        int64_t r = item / a->n_heads, h = item % a->n_heads;
        int64_t row = r % 2 == 0 ? r / 2 : a->m - 1 - r / 2;     /* the zigzag order */
        int64_t pos = a->positions[row];
        int64_t first = a->window > 0 && pos - a->window + 1 > 0 ? pos - a->window + 1 : 0;
        const float *q = a->q + row * a->ldq + h * hd;
        size_t base = ((size_t)a->slots[row] * a->n_kv + (size_t)(h / group)) * a->max_seq * hd;
        const float *kc = a->k_cache + base, *vc = a->v_cache + base;
        float running_max = -INFINITY, denom = 0.0f;
        for (int64_t d = 0; d < hd; d++) acc[d] = 0.0f;
        for (int64_t t = first; t <= pos; t++) {
            float s = dlp_cpu_dot(a->ctx, q, kc + t * hd, DLP_DTYPE_F32, hd) * a->scale;
            if (s > running_max) {
                float correction = expf(running_max - s);
                denom *= correction;
                for (int64_t d = 0; d < hd; d++) acc[d] *= correction;
                running_max = s;
            }
            float weight = expf(s - running_max);
            denom += weight;
            const float *vt = vc + t * hd;
            for (int64_t d = 0; d < hd; d++) acc[d] += weight * vt[d];
        }
        float *o = a->out + row * a->ldo + h * hd;
        for (int64_t d = 0; d < hd; d++) o[d] = acc[d] / denom;
    }
}

dlp_status dlp_cpu_attention(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                             const float *q, int64_t ldq, const float *k_cache, const float *v_cache,
                             int64_t n_slots, int64_t max_seq, const int32_t *slots, const int32_t *positions,
                             int32_t window, float scale, float *out, int64_t ldo) {
    if (m < 0 || n_heads <= 0 || n_kv <= 0 || n_heads % n_kv != 0 || head_dim <= 0 || head_dim > DLP_MAX_HEAD_DIM ||
        ldq < n_heads * head_dim || ldo < n_heads * head_dim)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "attention: bad sizes heads=%lld kv=%lld head_dim=%lld",
                            (long long)n_heads, (long long)n_kv, (long long)head_dim);
    for (int64_t i = 0; i < m; i++)
        if (slots[i] < 0 || slots[i] >= n_slots || positions[i] < 0 || positions[i] >= max_seq)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "attention: row %lld has slot %d position %d out of range",
                                (long long)i, slots[i], positions[i]);
    attention_args args = {ctx, m, n_heads, n_kv, head_dim, max_seq, q, ldq, k_cache, v_cache,
                           slots, positions, window, scale, out, ldo};
    dlp_parallel_for(ctx->pool, m * n_heads, 1, attention_range, &args);
    return DLP_STATUS_OK;
}
