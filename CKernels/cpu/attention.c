/* attention.c: KV-cache writes and causal attention over the cache (prefill and decode are the same
 * kernel: every query row carries its slot and position). One pass per (row, head) with an online
 * softmax, so no score buffer is needed; (row, head) pairs are split across the pool in a zigzag
 * order of rows (first, last, second, second to last, ...), so that in a causal prefill, where a
 * row's cost grows with its position, every thread's contiguous share costs about the same.
 * With AVX2 the keys go in chunks of DLP_ATTENTION_CHUNK: their scores, one max and one rescale per
 * chunk, a vector exp of the chunk's weights, and the weighted values added eight lanes at a time; and
 * when there are enough rows, an item is a KV head with all its query heads, which share each chunk. */
#include "cpu_internal.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define DLP_ATTENTION_CHUNK 64
#define DLP_ATTENTION_HEADS 4                /* query heads whose softmax state is kept at once (AVX2) */

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
    int64_t heads_per_item;                  /* query heads of one KV head per work item (the AVX2 path), or 1 */
} attention_args;

#define DLP_MAX_HEAD_DIM 512

/* One (row, heads) item of the split: its first query, its keys and values in the cache, its key range. */
typedef struct {
    int64_t row, head, first, last;          /* keys first ... last (the row's position) */
    const float *q, *keys, *values;
} attention_item;

static inline attention_item locate_item(const attention_args *a, int64_t item) {
    attention_item it;
    int64_t per_row = a->n_heads / a->heads_per_item;
    int64_t r = item / per_row;
    it.head = item % per_row * a->heads_per_item;            /* the item's first query head */
    it.row = r % 2 == 0 ? r / 2 : a->m - 1 - r / 2;     /* the zigzag order */
    it.last = a->positions[it.row];
    it.first = a->window > 0 && it.last - a->window + 1 > 0 ? it.last - a->window + 1 : 0;
    it.q = a->q + it.row * a->ldq + it.head * a->head_dim;
    size_t base = ((size_t)a->slots[it.row] * a->n_kv + (size_t)(it.head / (a->n_heads / a->n_kv))) * a->max_seq *
                  (size_t)a->head_dim;
    it.keys = a->k_cache + base;
    it.values = a->v_cache + base;
    return it;
}

static void attention_range(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)thread;
    const attention_args *a = p;
    int64_t hd = a->head_dim;
    float acc[DLP_MAX_HEAD_DIM];
    for (int64_t item = begin; item < end; item++) {
        attention_item it = locate_item(a, item);
        int64_t row = it.row, h = it.head, pos = it.last, first = it.first;
        const float *q = it.q, *kc = it.keys, *vc = it.values;
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

#if defined(__x86_64__)
#define DLP_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

/* exp(x) for eight lanes, x <= 0 (scores minus their max): Cephes' range reduction and degree-6
 * polynomial, within 2 ulp of expf; below -87.3 it is 0, as expf's result underflows there; NaN stays
 * NaN (a NaN score must poison the row, as expf makes it do on the scalar path). */
DLP_TARGET_AVX2 static inline __m256 exp_nonpositive(__m256 x) {
    const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q), original = x;
    const __m256 too_small = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_blendv_ps(_mm256_andnot_ps(too_small, _mm256_mul_ps(p, _mm256_castsi256_ps(bits))), original, nan);
}

DLP_TARGET_AVX2 static inline float hsum8(__m256 v) {
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

/* The dot products of q with 8 consecutive keys (hd apart), as one vector: eight accumulators, then a
 * transposing reduction (hadd tree) instead of eight horizontal sums. */
DLP_TARGET_AVX2 static inline __m256 dot_8_keys(const float *q, const float *key, int64_t hd, int64_t lanes) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (int64_t l = 0; l < lanes; l++) {
        __m256 qv = _mm256_loadu_ps(q + 8 * l);
        const float *k = key + 8 * l;
        s0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k), s0);
        s1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + hd), s1);
        s2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + 2 * hd), s2);
        s3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + 3 * hd), s3);
        s4 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + 4 * hd), s4);
        s5 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + 5 * hd), s5);
        s6 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + 6 * hd), s6);
        s7 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + 7 * hd), s7);
    }
    __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3));   /* keys 0-3, low | high halves */
    __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(s4, s5), _mm256_hadd_ps(s6, s7));   /* keys 4-7 */
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

/* One chunk of keys t0 .. t0 + count - 1 for one query head: the scores, one max and one rescale, a
 * vector exp of the weights, and the weighted values added into acc (the head's online softmax state). */
DLP_TARGET_AVX2 static inline void attend_chunk(const attention_args *a, const float *q, const float *kc, const float *vc,
                                                int64_t t0, int count, __m256 *acc, float *running_max, float *denom) {
    int64_t hd = a->head_dim, lanes = hd / 8;
    float scores[DLP_ATTENTION_CHUNK + 8];
    float chunk_max = -INFINITY;
    int t = 0;
    for (; t + 8 <= count; t += 8) {
        __m256 s8 = _mm256_mul_ps(dot_8_keys(q, kc + (t0 + t) * hd, hd, lanes), _mm256_set1_ps(a->scale));
        _mm256_storeu_ps(scores + t, s8);
        for (int j = 0; j < 8; j++) chunk_max = scores[t + j] > chunk_max ? scores[t + j] : chunk_max;
    }
    for (; t < count; t++) {
        const float *key = kc + (t0 + t) * hd;
        __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
        int64_t l = 0;
        for (; l + 2 <= lanes; l += 2) {
            d0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 8 * l), _mm256_loadu_ps(key + 8 * l), d0);
            d1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 8 * l + 8), _mm256_loadu_ps(key + 8 * l + 8), d1);
        }
        if (l < lanes) d0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 8 * l), _mm256_loadu_ps(key + 8 * l), d0);
        scores[t] = hsum8(_mm256_add_ps(d0, d1)) * a->scale;
        chunk_max = scores[t] > chunk_max ? scores[t] : chunk_max;
    }
    if (chunk_max > *running_max) {
        float correction = expf(*running_max - chunk_max);
        *denom *= correction;
        __m256 c = _mm256_set1_ps(correction);
        for (int64_t l = 0; l < lanes; l++) acc[l] = _mm256_mul_ps(acc[l], c);
        *running_max = chunk_max;
    }
    for (int u = count; u < (count + 7) / 8 * 8; u++) scores[u] = -INFINITY;   /* weight 0 */
    __m256 top = _mm256_set1_ps(*running_max), sum = _mm256_setzero_ps();
    for (int u = 0; u < count; u += 8) {
        __m256 w = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(scores + u), top));
        _mm256_storeu_ps(scores + u, w);
        sum = _mm256_add_ps(sum, w);
    }
    *denom += hsum8(sum);
    for (int u = 0; u < count; u++) {
        const float *value = vc + (t0 + u) * hd;
        __m256 w = _mm256_set1_ps(scores[u]);
        for (int64_t l = 0; l < lanes; l++) acc[l] = _mm256_fmadd_ps(w, _mm256_loadu_ps(value + 8 * l), acc[l]);
    }
}

/* attention_range for head_dim a multiple of 8, in chunks of keys. An item's heads share one KV head;
 * each chunk of keys and values serves all of them (up to DLP_ATTENTION_HEADS at a time) while it is in
 * cache, so a grouped-query model reads its cache once per group, not once per query head. */
DLP_TARGET_AVX2 static void attention_range_avx2(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)thread;
    const attention_args *a = p;
    int64_t hd = a->head_dim, lanes = hd / 8;
    __m256 acc[DLP_ATTENTION_HEADS][DLP_MAX_HEAD_DIM / 8];
    float running_max[DLP_ATTENTION_HEADS], denom[DLP_ATTENTION_HEADS];
    for (int64_t item = begin; item < end; item++) {
        attention_item it = locate_item(a, item);
        for (int64_t h0 = 0; h0 < a->heads_per_item; h0 += DLP_ATTENTION_HEADS) {
            int heads = a->heads_per_item - h0 < DLP_ATTENTION_HEADS ? (int)(a->heads_per_item - h0) : DLP_ATTENTION_HEADS;
            for (int g = 0; g < heads; g++) {
                running_max[g] = -INFINITY;
                denom[g] = 0.0f;
                for (int64_t l = 0; l < lanes; l++) acc[g][l] = _mm256_setzero_ps();
            }
            for (int64_t t0 = it.first; t0 <= it.last; t0 += DLP_ATTENTION_CHUNK) {
                int count = it.last - t0 + 1 < DLP_ATTENTION_CHUNK ? (int)(it.last - t0 + 1) : DLP_ATTENTION_CHUNK;
                for (int g = 0; g < heads; g++)
                    attend_chunk(a, it.q + (h0 + g) * hd, it.keys, it.values, t0, count, acc[g], &running_max[g], &denom[g]);
            }
            for (int g = 0; g < heads; g++) {
                float *o = a->out + it.row * a->ldo + (it.head + h0 + g) * hd;
                __m256 inverse = _mm256_set1_ps(1.0f / denom[g]);
                for (int64_t l = 0; l < lanes; l++) _mm256_storeu_ps(o + 8 * l, _mm256_mul_ps(acc[g][l], inverse));
            }
        }
    }
}
#endif

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
                           slots, positions, window, scale, out, ldo, 1};
#if defined(__x86_64__)
    if (ctx->has_avx2 && head_dim % 8 == 0) {
        /* a KV head's query heads together, unless that leaves too few items to keep every thread busy */
        if (m * n_kv >= 4 * (int64_t)ctx->n_threads) args.heads_per_item = n_heads / n_kv;
        dlp_parallel_for(ctx->pool, m * n_heads / args.heads_per_item, 1, attention_range_avx2, &args);
        return DLP_STATUS_OK;
    }
#endif
    dlp_parallel_for(ctx->pool, m * n_heads, 1, attention_range, &args);
    return DLP_STATUS_OK;
}
