/* sampling.c: the CPU `sample` op: argmax, or top-k -> temperature softmax -> top-p -> a draw in
 * ascending id order (the rule in dlp_kernels.h). Thresholds are found by bisection over the ordered
 * bit patterns of the logits, the same search the CUDA kernel runs, so both keep the same set. */
#include "cpu_internal.h"
#include <math.h>

/* A uint32 key that orders like the float (NaN aside). */
static inline uint32_t order_key(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

/* Largest key k such that pred(k) holds, for a predicate that holds at 0 and only gets false as k grows. */
typedef int (*key_predicate)(const float *row, int64_t n, uint32_t key, const void *arg);

static uint32_t largest_key(const float *row, int64_t n, key_predicate pred, const void *arg) {
    uint64_t lo = 0, hi = 1ull << 32;       /* pred(lo) true, pred(hi) false */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (pred(row, n, (uint32_t)mid, arg)) lo = mid; else hi = mid;
    }
    return (uint32_t)lo;
}

typedef struct { int64_t k; } count_arg;
static int count_reaches(const float *row, int64_t n, uint32_t key, const void *arg) {
    int64_t count = 0;
    for (int64_t j = 0; j < n; j++) count += order_key(row[j]) >= key;
    return count >= ((const count_arg *)arg)->k;
}

typedef struct { uint32_t floor_key; float max; float temperature; double target; } mass_arg;
static int mass_reaches(const float *row, int64_t n, uint32_t key, const void *arg) {
    const mass_arg *a = arg;
    uint32_t bound = key > a->floor_key ? key : a->floor_key;
    double mass = 0.0;
    for (int64_t j = 0; j < n; j++)
        if (order_key(row[j]) >= bound) mass += exp((double)(row[j] - a->max) / a->temperature);
    return mass >= a->target;
}

static int32_t sample_row(const float *row, int64_t n, float temperature, int32_t top_k, float top_p, float u) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++)
        if (row[j] > row[best]) best = j;
    if (!(temperature > 0)) return (int32_t)best;
    float max = row[best];
    uint32_t floor_key = 0;
    if (top_k > 0 && top_k < n) {
        count_arg k = { top_k };
        floor_key = largest_key(row, n, count_reaches, &k);
    }
    double kept_mass = 0.0;
    for (int64_t j = 0; j < n; j++)
        if (order_key(row[j]) >= floor_key) kept_mass += exp((double)(row[j] - max) / temperature);
    if (top_p < 1) {
        mass_arg a = { floor_key, max, temperature, (double)top_p * kept_mass };
        floor_key = largest_key(row, n, mass_reaches, &a);
        kept_mass = 0.0;
        for (int64_t j = 0; j < n; j++)
            if (order_key(row[j]) >= floor_key) kept_mass += exp((double)(row[j] - max) / temperature);
    }
    double target = (double)u * kept_mass, cumulative = 0.0;
    int64_t last = best;
    for (int64_t j = 0; j < n; j++) {
        if (order_key(row[j]) < floor_key) continue;
        cumulative += exp((double)(row[j] - max) / temperature);
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
    for (int64_t i = 0; i < m; i++) {
        if (!(uniforms[i] >= 0 && uniforms[i] < 1))
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "sample: uniform %g of row %lld is outside [0, 1)",
                                (double)uniforms[i], (long long)i);
        out[i] = sample_row(logits + i * ldl, n, temperature, top_k, top_p, uniforms[i]);
    }
    return DLP_STATUS_OK;
}
