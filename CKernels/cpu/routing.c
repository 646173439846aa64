/* routing.c: the CPU `route_top_p` op: the rule of shared/route_rule.h (router logits -> softmax -> the
 * top-p nucleus -> weights -> a plan row) for each sentence in turn. */
#include "cpu_internal.h"
#include "../shared/route_rule.h"

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
    for (int64_t i = 0; i < s; i++)
        dlp_route_row(logits + i * ldl, n_classes, top_p, k_max, weighting, probabilities, plan_adapters + i * k_max,
                      plan_weights + i * k_max);
    return DLP_STATUS_OK;
}
