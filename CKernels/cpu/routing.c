/* routing.c: the CPU `route_top_p` op: router logits of each sentence -> softmax -> the top-p nucleus
 * (sorted by probability, ties to the lower class, at least 1, at most k_max) -> weights -> a plan row. */
#include "cpu_internal.h"
#include <math.h>

dlp_status dlp_cpu_route_top_p(dlp_context *ctx, int64_t s, int64_t n_classes, const float *logits, int64_t ldl,
                               float top_p, int32_t k_max, int32_t weighting, int32_t *plan_adapters,
                               float *plan_weights) {
    if (s < 0 || n_classes <= 0 || ldl < n_classes || k_max <= 0 || (weighting != 0 && weighting != 1) ||
        !(top_p > 0 && top_p <= 1))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                            "route_top_p: bad arguments s=%lld classes=%lld k_max=%d weighting=%d top_p=%g",
                            (long long)s, (long long)n_classes, k_max, weighting, (double)top_p);
    float *probabilities = dlp_cpu_scratch(ctx, (size_t)n_classes);   /* f32 [n_classes] */
    if (!probabilities) return DLP_STATUS_OUT_OF_MEMORY;
    for (int64_t i = 0; i < s; i++) {
        const float *row = logits + i * ldl;
        int32_t *adapters = plan_adapters + i * k_max;
        float *weights = plan_weights + i * k_max;
        float max = row[0];
        for (int64_t c = 1; c < n_classes; c++) max = row[c] > max ? row[c] : max;
        float total = 0;
        for (int64_t c = 0; c < n_classes; c++) total += probabilities[c] = expf(row[c] - max);
        for (int64_t c = 0; c < n_classes; c++) probabilities[c] /= total;
        int32_t kept = 0;
        float cumulative = 0;
        while (kept < k_max && kept < n_classes) {
            int64_t best = -1;                       /* the most probable class not kept yet */
            for (int64_t c = 0; c < n_classes; c++) {
                int taken = 0;
                for (int32_t j = 0; j < kept; j++) taken |= adapters[j] == c;
                if (!taken && (best < 0 || probabilities[c] > probabilities[best])) best = c;
            }
            adapters[kept] = (int32_t)best;
            weights[kept] = probabilities[best];
            cumulative += probabilities[best];
            kept++;
            if (cumulative >= top_p) break;
        }
        float sum = 0, top = weights[0];
        for (int32_t j = 0; j < kept; j++) {
            if (weighting == 0) weights[j] = expf(weights[j] - top);
            sum += weights[j];
        }
        for (int32_t j = 0; j < kept; j++) weights[j] = sum > 0 ? weights[j] / sum : 1.0f / (float)kept;
        for (int32_t j = kept; j < k_max; j++) { adapters[j] = -1; weights[j] = 0; }
    }
    return DLP_STATUS_OK;
}
