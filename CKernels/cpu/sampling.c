/* sampling.c: the CPU `sample` op: argmax, or top-k -> temperature softmax -> top-p -> a draw in
 * ascending id order (the rule in dlp_kernels.h). Each threshold is the largest logit whose count or
 * weight mass from the top still reaches the target, found by a 4-pass radix select over the ordered bit
 * patterns of the logits (the CUDA kernel bisects over the same keys and finds the same threshold). */
#include "cpu_internal.h"
#include <math.h>
#include <stdlib.h>

/* A uint32 key that orders like the float (-0 and +0 equal; NaN aside). */
static inline uint32_t order_key(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if (bits == 0x80000000u) bits = 0;
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

/* The largest key k >= floor_key with sum over {key >= k} of weight (1 per token when weights is NULL)
 * >= target: a radix select, 8 bits per pass from the top. */
static uint32_t largest_key(const float *row, int64_t n, uint32_t floor_key, const double *weights, double target) {
    uint32_t prefix = 0, mask = 0;
    double above = 0.0;                       /* weight of keys above the range still open */
    for (int shift = 24; shift >= 0; shift -= 8) {
        double histogram[256] = {0};
        for (int64_t j = 0; j < n; j++) {
            uint32_t key = order_key(row[j]);
            if (key < floor_key || (key & mask) != prefix) continue;
            histogram[(key >> shift) & 0xffu] += weights ? weights[j] : 1.0;
        }
        int bucket = 0;
        for (int b = 255; b >= 0; b--) {
            if (above + histogram[b] >= target) { bucket = b; break; }
            above += histogram[b];
        }
        prefix |= (uint32_t)bucket << shift;
        mask |= 0xffu << shift;
    }
    return prefix > floor_key ? prefix : floor_key;
}

static int32_t sample_row(const float *row, int64_t n, float temperature, int32_t top_k, float top_p, float u,
                          double *weights) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++)
        if (row[j] > row[best]) best = j;
    if (!(temperature > 0)) return (int32_t)best;
    float max = row[best];
    uint32_t floor_key = 0;
    if (top_k > 0 && top_k < n) floor_key = largest_key(row, n, 0, NULL, (double)top_k);
    double kept_mass = 0.0;
    for (int64_t j = 0; j < n; j++) {
        weights[j] = order_key(row[j]) >= floor_key ? exp((double)(row[j] - max) / temperature) : 0.0;
        kept_mass += weights[j];
    }
    if (top_p < 1) {
        floor_key = largest_key(row, n, floor_key, weights, (double)top_p * kept_mass);
        kept_mass = 0.0;
        for (int64_t j = 0; j < n; j++) {
            if (order_key(row[j]) < floor_key) weights[j] = 0.0;
            kept_mass += weights[j];
        }
    }
    double target = (double)u * kept_mass, cumulative = 0.0;
    int64_t last = best;
    for (int64_t j = 0; j < n; j++) {
        if (weights[j] == 0.0 && order_key(row[j]) < floor_key) continue;
        cumulative += weights[j];
        last = j;
        if (target < cumulative) return (int32_t)j;
    }
    return (int32_t)last;
}

dlp_status dlp_cpu_sample(dlp_context *ctx, int64_t m, int64_t n, const float *logits, int64_t ldl,
                          float temperature, int32_t top_k, float top_p, const float *uniforms, int32_t *out) {
    if (m < 0 || n <= 0 || ldl < n || !(top_p > 0 && top_p <= 1) || !(temperature >= 0) || !isfinite(temperature))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "sample: bad arguments m=%lld n=%lld temperature=%g top_p=%g",
                            (long long)m, (long long)n, (double)temperature, (double)top_p);
    if (m > 0 && (!logits || !out || (temperature > 0 && !uniforms)))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "sample: NULL %s", !logits ? "logits" : !out ? "out" : "uniforms");
    double *weights = NULL;                   /* f64 [n]: e_i of the kept tokens, 0 for the others */
    if (temperature > 0 && m > 0) {
        float *scratch = dlp_cpu_scratch(ctx, (size_t)n * 2);
        if (!scratch) return DLP_STATUS_OUT_OF_MEMORY;
        weights = (double *)scratch;
    }
    for (int64_t i = 0; i < m; i++) {
        if (temperature > 0 && !(uniforms[i] >= 0 && uniforms[i] < 1))
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "sample: uniform %g of row %lld is outside [0, 1)",
                                (double)uniforms[i], (long long)i);
        out[i] = sample_row(logits + i * ldl, n, temperature, top_k, top_p, temperature > 0 ? uniforms[i] : 0.0f, weights);
    }
    return DLP_STATUS_OK;
}
