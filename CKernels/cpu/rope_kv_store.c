/* rope_kv_store.c: a layer's rotary embedding of q and k and its KV-cache store in one op: per row, the
 * angles' cosines and sines are computed once for the q and k heads (rope.c's arithmetic, so results
 * equal rope, rope, kv_store bit for bit), then k and v are copied to the row's (slot, position). Every
 * row is checked before any is written; rows are split over the pool when there are enough of them. */
#include "cpu_internal.h"
#include <math.h>
#include <string.h>

#define DLP_ROPE_MAX_HALF 512         /* rot_dim / 2 at most (head dims up to 1024) */
#define DLP_ROPE_ROWS_PER_THREAD 8    /* fewer rows (decode) run on the calling thread */

typedef struct {
    int64_t n_heads, n_kv, head_dim, half;
    float *q; int64_t ldq;
    float *k; int64_t ldk;
    const float *v; int64_t ldv;
    const int32_t *positions;
    const float *inv_freq;
    float *k_cache, *v_cache;
    int64_t max_seq;
    const int32_t *slots;
} rope_kv_store_args;

static void rotate_heads(float *x, int64_t heads, int64_t head_dim, int64_t half, const float *c, const float *s) {
    for (int64_t h = 0; h < heads; h++) {
        float *v = x + h * head_dim;
        for (int64_t j = 0; j < half; j++) {
            float a = v[j], b = v[j + half];
            v[j] = a * c[j] - b * s[j];
            v[j + half] = b * c[j] + a * s[j];
        }
    }
}

static void rope_kv_store_rows(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)thread;
    const rope_kv_store_args *a = p;
    float c[DLP_ROPE_MAX_HALF], s[DLP_ROPE_MAX_HALF];
    for (int64_t i = begin; i < end; i++) {
        for (int64_t j = 0; j < a->half; j++) {
            float angle = (float)a->positions[i] * a->inv_freq[j];
            c[j] = cosf(angle);
            s[j] = sinf(angle);
        }
        float *k = a->k + i * a->ldk;
        rotate_heads(a->q + i * a->ldq, a->n_heads, a->head_dim, a->half, c, s);
        rotate_heads(k, a->n_kv, a->head_dim, a->half, c, s);
        for (int64_t h = 0; h < a->n_kv; h++) {
            size_t at = (((size_t)a->slots[i] * a->n_kv + h) * a->max_seq + a->positions[i]) * a->head_dim;
            memcpy(a->k_cache + at, k + h * a->head_dim, sizeof(float) * a->head_dim);
            memcpy(a->v_cache + at, a->v + i * a->ldv + h * a->head_dim, sizeof(float) * a->head_dim);
        }
    }
}

dlp_status dlp_cpu_rope_kv_store(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                                 int64_t rot_dim, float *q, int64_t ldq, float *k, int64_t ldk, const float *v,
                                 int64_t ldv, const int32_t *positions, const float *inv_freq, float *k_cache,
                                 float *v_cache, int64_t n_slots, int64_t max_seq, const int32_t *slots) {
    if (m < 0 || n_heads <= 0 || n_kv <= 0 || head_dim <= 0 || rot_dim <= 0 || rot_dim > head_dim || (rot_dim & 1) ||
        rot_dim / 2 > DLP_ROPE_MAX_HALF || ldq < n_heads * head_dim || ldk < n_kv * head_dim || ldv < n_kv * head_dim)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                            "rope_kv_store: bad sizes heads=%lld kv=%lld head_dim=%lld rot_dim=%lld", (long long)n_heads,
                            (long long)n_kv, (long long)head_dim, (long long)rot_dim);
    if (m > 0 && (!q || !k || !v || !positions || !inv_freq || !k_cache || !v_cache || !slots))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rope_kv_store: NULL pointer");
    for (int64_t i = 0; i < m; i++) {
        if (positions[i] < 0)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rope_kv_store: negative position at row %lld", (long long)i);
        if (slots[i] < 0 || slots[i] >= n_slots || positions[i] >= max_seq)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                                "rope_kv_store: row %lld has slot %d position %d, cache holds %lld slots x %lld positions",
                                (long long)i, slots[i], positions[i], (long long)n_slots, (long long)max_seq);
    }
    rope_kv_store_args args = {n_heads, n_kv, head_dim, rot_dim / 2, q, ldq, k, ldk, v, ldv, positions, inv_freq,
                               k_cache, v_cache, max_seq, slots};
    dlp_parallel_for(ctx->pool, m, DLP_ROPE_ROWS_PER_THREAD, rope_kv_store_rows, &args);
    return DLP_STATUS_OK;
}
