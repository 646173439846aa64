/* simd_dot.c: the inner loops the kernels share: widening a row of f32/f16/bf16 weights to f32, an
 * f32-by-weight dot product, an axpy of a weight row into f32, and both over four weight rows at once
 * (the LoRA shrink and expand: x or y is read once per four rank indices). Scalar reference plus an AVX2+FMA+F16C path chosen
 * at run time (never -march=native: the same binary runs on any x86-64). */
#include "cpu_internal.h"
#if defined(__x86_64__)
#include <immintrin.h>
#define DLP_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif

static void widen_row_scalar(const void *row, dlp_dtype dtype, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) out[i] = dlp_load_weight(row, dtype, i);
}

static float dot_scalar(const float *x, const void *w, dlp_dtype dtype, int64_t n) {
    float acc[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++) acc[j] += x[i + j] * dlp_load_weight(w, dtype, i + j);
    float sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; i < n; i++) sum += x[i] * dlp_load_weight(w, dtype, i);
    return sum;
}

static void axpy_scalar(float alpha, const void *x, dlp_dtype dtype, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += alpha * dlp_load_weight(x, dtype, i);
}

static void dot4_scalar(const float *x, const char *w, size_t stride, dlp_dtype dtype, int64_t n, float out[4]) {
    for (int r = 0; r < 4; r++) out[r] = dot_scalar(x, w + r * stride, dtype, n);
}

static void axpy4_scalar(const float alpha[4], const char *w, size_t stride, dlp_dtype dtype, float *y, int64_t n) {
    for (int r = 0; r < 4; r++) axpy_scalar(alpha[r], w + r * stride, dtype, y, n);
}

#if defined(__x86_64__)
DLP_TARGET_AVX2 static inline __m256 load8_weights(const void *w, dlp_dtype dtype, int64_t i) {
    switch (dtype) {
    case DLP_DTYPE_F16:
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)w + i)));
    case DLP_DTYPE_BF16: {
        __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)w + i)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
    default:
        return _mm256_loadu_ps((const float *)w + i);
    }
}

DLP_TARGET_AVX2 static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

DLP_TARGET_AVX2 static void axpy_avx2(float alpha, const void *x, dlp_dtype dtype, float *y, int64_t n) {
    __m256 a = _mm256_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a, load8_weights(x, dtype, i), _mm256_loadu_ps(y + i)));
    /* the tail rounds as the vector lanes do (fused), so a feature's value does not depend on where a
     * thread's slice of features ends */
    for (; i < n; i++) y[i] = __builtin_fmaf(alpha, dlp_load_weight(x, dtype, i), y[i]);
}

DLP_TARGET_AVX2 static void widen_row_avx2(const void *row, dlp_dtype dtype, int64_t n, float *out) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load8_weights(row, dtype, i));
    for (; i < n; i++) out[i] = dlp_load_weight(row, dtype, i);
}

DLP_TARGET_AVX2 static float dot_avx2(const float *x, const void *w, dlp_dtype dtype, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), load8_weights(w, dtype, i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), load8_weights(w, dtype, i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), load8_weights(w, dtype, i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), load8_weights(w, dtype, i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), load8_weights(w, dtype, i), a0);
    float sum = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += x[i] * dlp_load_weight(w, dtype, i);
    return sum;
}

DLP_TARGET_AVX2 static void dot4_avx2(const float *x, const char *w, size_t stride, dlp_dtype dtype, int64_t n, float out[4]) {
    const char *w0 = w, *w1 = w + stride, *w2 = w + 2 * stride, *w3 = w + 3 * stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 xa = _mm256_loadu_ps(x + i), xb = _mm256_loadu_ps(x + i + 8);
        a0 = _mm256_fmadd_ps(xa, load8_weights(w0, dtype, i), a0);
        a1 = _mm256_fmadd_ps(xa, load8_weights(w1, dtype, i), a1);
        a2 = _mm256_fmadd_ps(xa, load8_weights(w2, dtype, i), a2);
        a3 = _mm256_fmadd_ps(xa, load8_weights(w3, dtype, i), a3);
        b0 = _mm256_fmadd_ps(xb, load8_weights(w0, dtype, i + 8), b0);
        b1 = _mm256_fmadd_ps(xb, load8_weights(w1, dtype, i + 8), b1);
        b2 = _mm256_fmadd_ps(xb, load8_weights(w2, dtype, i + 8), b2);
        b3 = _mm256_fmadd_ps(xb, load8_weights(w3, dtype, i + 8), b3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 xa = _mm256_loadu_ps(x + i);
        a0 = _mm256_fmadd_ps(xa, load8_weights(w0, dtype, i), a0);
        a1 = _mm256_fmadd_ps(xa, load8_weights(w1, dtype, i), a1);
        a2 = _mm256_fmadd_ps(xa, load8_weights(w2, dtype, i), a2);
        a3 = _mm256_fmadd_ps(xa, load8_weights(w3, dtype, i), a3);
    }
    out[0] = hsum256(_mm256_add_ps(a0, b0));
    out[1] = hsum256(_mm256_add_ps(a1, b1));
    out[2] = hsum256(_mm256_add_ps(a2, b2));
    out[3] = hsum256(_mm256_add_ps(a3, b3));
    for (; i < n; i++) {
        out[0] += x[i] * dlp_load_weight(w0, dtype, i);
        out[1] += x[i] * dlp_load_weight(w1, dtype, i);
        out[2] += x[i] * dlp_load_weight(w2, dtype, i);
        out[3] += x[i] * dlp_load_weight(w3, dtype, i);
    }
}

DLP_TARGET_AVX2 static void axpy4_avx2(const float alpha[4], const char *w, size_t stride, dlp_dtype dtype, float *y, int64_t n) {
    const char *w0 = w, *w1 = w + stride, *w2 = w + 2 * stride, *w3 = w + 3 * stride;
    __m256 c0 = _mm256_set1_ps(alpha[0]), c1 = _mm256_set1_ps(alpha[1]), c2 = _mm256_set1_ps(alpha[2]), c3 = _mm256_set1_ps(alpha[3]);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 lo = _mm256_fmadd_ps(c0, load8_weights(w0, dtype, i), _mm256_loadu_ps(y + i));
        __m256 hi = _mm256_mul_ps(c1, load8_weights(w1, dtype, i));
        lo = _mm256_fmadd_ps(c2, load8_weights(w2, dtype, i), lo);
        hi = _mm256_fmadd_ps(c3, load8_weights(w3, dtype, i), hi);
        _mm256_storeu_ps(y + i, _mm256_add_ps(lo, hi));
    }
    for (; i < n; i++) {                    /* the vector lanes' order, fused the same way */
        float lo = __builtin_fmaf(alpha[0], dlp_load_weight(w0, dtype, i), y[i]);
        float hi = alpha[1] * dlp_load_weight(w1, dtype, i);
        lo = __builtin_fmaf(alpha[2], dlp_load_weight(w2, dtype, i), lo);
        hi = __builtin_fmaf(alpha[3], dlp_load_weight(w3, dtype, i), hi);
        y[i] = lo + hi;
    }
}
#endif

void dlp_cpu_dot4(const dlp_context *ctx, const float *x, const void *w, size_t stride, dlp_dtype dtype, int64_t n,
                  float out[4]) {
#if defined(__x86_64__)
    if (ctx->has_avx2) { dot4_avx2(x, w, stride, dtype, n, out); return; }
#endif
    (void)ctx;
    dot4_scalar(x, w, stride, dtype, n, out);
}

void dlp_cpu_axpy4(const dlp_context *ctx, const float alpha[4], const void *w, size_t stride, dlp_dtype dtype, float *y,
                   int64_t n) {
#if defined(__x86_64__)
    if (ctx->has_avx2) { axpy4_avx2(alpha, w, stride, dtype, y, n); return; }
#endif
    (void)ctx;
    axpy4_scalar(alpha, w, stride, dtype, y, n);
}

void dlp_cpu_widen_row(const dlp_context *ctx, const void *row, dlp_dtype dtype, int64_t n, float *out) {
#if defined(__x86_64__)
    if (ctx->has_avx2) { widen_row_avx2(row, dtype, n, out); return; }
#endif
    (void)ctx;
    widen_row_scalar(row, dtype, n, out);
}

void dlp_cpu_axpy(const dlp_context *ctx, float alpha, const void *x, dlp_dtype dtype, float *y, int64_t n) {
#if defined(__x86_64__)
    if (ctx->has_avx2) { axpy_avx2(alpha, x, dtype, y, n); return; }
#endif
    (void)ctx;
    axpy_scalar(alpha, x, dtype, y, n);
}

float dlp_cpu_dot(const dlp_context *ctx, const float *x, const void *w, dlp_dtype dtype, int64_t n) {
#if defined(__x86_64__)
    if (ctx->has_avx2) return dot_avx2(x, w, dtype, n);
#endif
    (void)ctx;
    return dot_scalar(x, w, dtype, n);
}
