/* quant_activation.c: f32 activation rows to the 8-bit blocks the quantized dot products read
 * (dlp_q8_32 for 32-element weight blocks, dlp_q8_256 for the K-quants): scale = max |x| / 127 per block,
 * values rounded to nearest (ties to even). As llama.cpp's q8_0/q8_1 blocks do, the 32-element blocks
 * keep their scale d and their sum term s rounded to f16 (s from the unrounded d), and the K-quant
 * blocks an f32 scale, so the two engines round activations alike and their greedy outputs agree. */
#include "cpu_quant.h"
#include "dlp_dequantize.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline float round_to_f16(float x) { return dlp_half_to_float(dlp_f32_to_f16(x)); }

size_t dlp_cpu_qact_row_bytes(dlp_dtype weight_dtype, int64_t k) {
    return dlp_dtype_is_k_quant(weight_dtype) ? (size_t)(k / 256) * sizeof(dlp_q8_256)
                                              : (size_t)(k / 32) * sizeof(dlp_q8_32);
}

/* Scale of n values (NaN when any is NaN or infinite) and its inverse (0 for an all-zero block). */
static float block_scale(const float *x, int n, float *inverse) {
    float amax = 0.0f, probe = 0.0f;
    for (int i = 0; i < n; i++) {
        amax = fmaxf(amax, fabsf(x[i]));
        probe += x[i] * 0.0f;                  /* NaN as soon as one value is NaN or infinite */
    }
    if (probe != 0.0f) { *inverse = 0.0f; return NAN; }
    float d = amax / 127.0f;
    *inverse = d > 0.0f ? 127.0f / amax : 0.0f;
    return d;
}

static inline int8_t round_to_q8(float v) {
    float r = nearbyintf(v);
    if (r != r) return 0;                      /* NaN: the block's scale is NaN already */
    return (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r);
}

/* q[i] = round(x[i] * inverse) for n values (a multiple of 16), and the sum of each 16. */
static void round_values(const float *x, int n, float inverse, int8_t *q, int *sums16) {
    for (int g = 0; g < n / 16; g++) {
        int sum = 0;
        for (int i = 16 * g; i < 16 * g + 16; i++) {
            q[i] = round_to_q8(x[i] * inverse);
            sum += q[i];
        }
        sums16[g] = sum;
    }
}

#if defined(__x86_64__)
/* block_scale's result, eight lanes at a time (max |x| is exact in any order; non-finite values are
 * found by x * 0 not being 0). */
__attribute__((target("avx2,fma"))) static float block_scale_avx2(const float *x, int n, float *inverse) {
    const __m256 sign = _mm256_set1_ps(-0.0f), zero = _mm256_setzero_ps();
    __m256 amax = zero, bad = zero;
    for (int i = 0; i < n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v));
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_mul_ps(v, zero), zero, _CMP_NEQ_UQ));
    }
    if (_mm256_movemask_ps(bad)) { *inverse = 0.0f; return NAN; }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    float a = _mm_cvtss_f32(m), d = a / 127.0f;
    *inverse = d > 0.0f ? 127.0f / a : 0.0f;
    return d;
}

/* round_to_f16 through F16C (round to nearest even, as dlp_f32_to_f16). */
__attribute__((target("avx2,fma,f16c"))) static float round_to_f16_f16c(float x) {
    return _cvtsh_ss(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT));
}

/* The same rounding, eight lanes at a time (the caller has checked the block is finite, so no NaN). */
__attribute__((target("avx2,fma"))) static void round_values_avx2(const float *x, int n, float inverse, int8_t *q,
                                                                   int *sums16) {
    const __m256 scale = _mm256_set1_ps(inverse), hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
    for (int g = 0; g < n / 16; g++) {
        __m256i a = _mm256_cvtps_epi32(_mm256_max_ps(lo, _mm256_min_ps(hi, _mm256_round_ps(
            _mm256_mul_ps(_mm256_loadu_ps(x + 16 * g), scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))));
        __m256i b = _mm256_cvtps_epi32(_mm256_max_ps(lo, _mm256_min_ps(hi, _mm256_round_ps(
            _mm256_mul_ps(_mm256_loadu_ps(x + 16 * g + 8), scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))));
        __m256i sum = _mm256_add_epi32(a, b);
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
        sums16[g] = _mm_cvtsi128_si32(s4);
        __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xd8);        /* 16 int16 in order */
        __m128i bytes = _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
        _mm_storeu_si128((__m128i *)(q + 16 * g), bytes);
    }
}
#endif

static void round_block(const float *x, int n, float d, float inverse, int simd, int8_t *q, int *sums16) {
#if defined(__x86_64__)
    /* NaN scale, or an amax so small that 127 / amax overflowed: the scalar rounding (whose NaN and
     * clamping rules the vector conversion does not share) */
    if (simd && d == d && isfinite(inverse)) { round_values_avx2(x, n, inverse, q, sums16); return; }
#endif
    (void)simd;
    (void)d;
    round_values(x, n, inverse, q, sums16);
}

/* block_scale, and the f16 rounding, on the SIMD path when simd is set. */
static float scale_of(const float *x, int n, float *inverse, int simd) {
#if defined(__x86_64__)
    if (simd) return block_scale_avx2(x, n, inverse);
#endif
    (void)simd;
    return block_scale(x, n, inverse);
}

static float f16_rounded(float x, int simd) {
#if defined(__x86_64__)
    if (simd) return round_to_f16_f16c(x);
#endif
    (void)simd;
    return round_to_f16(x);
}

static void quantize_q8_32(const float *x, int64_t k, dlp_q8_32 *out, int simd) {
    for (int64_t b = 0; b < k / 32; b++, x += 32) {
        float inverse;
        float d = scale_of(x, 32, &inverse, simd);
        int sums[2];
        round_block(x, 32, d, inverse, simd, out[b].q, sums);
        out[b].d = f16_rounded(d, simd);
        out[b].sum = sums[0] + sums[1];
        out[b].s = f16_rounded(d * (float)out[b].sum, simd);
    }
}

static void quantize_q8_256(const float *x, int64_t k, dlp_q8_256 *out, int simd) {
    for (int64_t b = 0; b < k / 256; b++, x += 256) {
        float inverse;
        out[b].d = scale_of(x, 256, &inverse, simd);
        int sums[16];
        round_block(x, 256, out[b].d, inverse, simd, out[b].q, sums);
        for (int g = 0; g < 16; g++) out[b].bsums[g] = (int16_t)sums[g];
    }
}

void dlp_cpu_quantize_rows(dlp_dtype weight_dtype, int64_t k, const float *x, int64_t ldx, int64_t begin,
                           int64_t end, char *out, int simd) {
    size_t row_bytes = dlp_cpu_qact_row_bytes(weight_dtype, k);
    for (int64_t i = begin; i < end; i++) {
        if (dlp_dtype_is_k_quant(weight_dtype))
            quantize_q8_256(x + i * ldx, k, (dlp_q8_256 *)(out + (size_t)i * row_bytes), simd);
        else
            quantize_q8_32(x + i * ldx, k, (dlp_q8_32 *)(out + (size_t)i * row_bytes), simd);
    }
}
