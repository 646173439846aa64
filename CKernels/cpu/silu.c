/* silu.c: the gated product of the MLP, out = gate / (1 + exp(-gate)) * up, split over the pool in
 * chunks of a row; on AVX2 with a polynomial exp (within 2 ulp of expf where the result is normal, and
 * an overflowing exp gives what the scalar path gives). */
#include "cpu_internal.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define DLP_SILU_CHUNK 512   /* columns per work item */

typedef struct {
    const dlp_context *ctx;
    int64_t n, chunks;       /* chunks of DLP_SILU_CHUNK columns per row */
    const float *gate; int64_t ldg;
    const float *up; int64_t ldu;
    float *out; int64_t ldo;
} silu_args;

static void silu_scalar(const float *gate, const float *up, float *out, int64_t n) {
    for (int64_t j = 0; j < n; j++) {
        float g = gate[j];
        out[j] = g / (1.0f + expf(-g)) * up[j];
    }
}

#if defined(__x86_64__)
/* e^x for x clamped to [-87.3, 88.3] (normal results): x = k ln2 + r with |r| <= ln2 / 2, e^r by its
 * degree-6 Taylor polynomial (relative error below 2e-7), times 2^k put into the exponent bits. A NaN
 * input gives a finite value: callers multiply by the input, which keeps the NaN. */
__attribute__((target("avx2,fma"))) static inline __m256 exp_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145752f), x);        /* ln2 in two parts: exact k * hi */
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.42860677e-6f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i scale = _mm256_slli_epi32(_mm256_cvtps_epi32(k), 23);
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), scale));
}

__attribute__((target("avx2,fma"))) static void silu_avx2(const float *gate, const float *up, float *out, int64_t n) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 g = _mm256_loadu_ps(gate + j), minus = _mm256_sub_ps(_mm256_setzero_ps(), g);
        __m256 e = exp_avx2(minus);
        /* where expf(-g) overflows (or -g is +inf), 1 + e is +inf as on the scalar path: g / inf is -0, or NaN for g = -inf */
        __m256 denominator = _mm256_blendv_ps(_mm256_add_ps(_mm256_set1_ps(1.0f), e), _mm256_set1_ps(INFINITY),
                                              _mm256_cmp_ps(minus, _mm256_set1_ps(88.3f), _CMP_GT_OQ));
        __m256 s = _mm256_div_ps(g, denominator);
        _mm256_storeu_ps(out + j, _mm256_mul_ps(s, _mm256_loadu_ps(up + j)));
    }
    silu_scalar(gate + j, up + j, out + j, n - j);
}
#endif

static void silu_range(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)thread;
    const silu_args *a = p;
    for (int64_t item = begin; item < end; item++) {
        int64_t i = item / a->chunks, j = item % a->chunks * DLP_SILU_CHUNK;
        int64_t count = a->n - j < DLP_SILU_CHUNK ? a->n - j : DLP_SILU_CHUNK;
        const float *gate = a->gate + i * a->ldg + j, *up = a->up + i * a->ldu + j;
        float *out = a->out + i * a->ldo + j;
#if defined(__x86_64__)
        if (a->ctx->has_avx2) {
            silu_avx2(gate, up, out, count);
            continue;
        }
#endif
        silu_scalar(gate, up, out, count);
    }
}

dlp_status dlp_cpu_silu_mul(dlp_context *ctx, int64_t m, int64_t n, const float *gate, int64_t ldg,
                            const float *up, int64_t ldu, float *out, int64_t ldo) {
    if (m < 0 || n <= 0 || ldg < n || ldu < n || ldo < n)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "silu_mul: bad sizes m=%lld n=%lld", (long long)m, (long long)n);
    silu_args args = {ctx, n, (n + DLP_SILU_CHUNK - 1) / DLP_SILU_CHUNK, gate, ldg, up, ldu, out, ldo};
    dlp_parallel_for(ctx->pool, m * args.chunks, 2, silu_range, &args);
    return DLP_STATUS_OK;
}
