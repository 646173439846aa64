// routing.cu: the DLP plugin's top-p mixing fused in one kernel: the rule of shared/route_rule.h (softmax
// of the router logits, nucleus, weights, the plan row lora_shrink reads), one thread per sentence.
// Classes are few (tens), so a thread per sentence is enough, and the arithmetic is the CPU op's own.
#include "cuda_internal.cuh"
#include "../shared/route_rule.h"

#define ROUTE_MAX_CLASSES 1024

// One thread per sentence. probabilities: scratch f32 [s, n_classes].
__global__ void route_top_p_kernel(int64_t s, int64_t n_classes, const float *__restrict__ logits, int64_t ldl,
                                   float top_p, int32_t k_max, int32_t weighting, int32_t *__restrict__ plan_adapters,
                                   float *__restrict__ plan_weights, float *__restrict__ probabilities) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= s) return;
    dlp_route_row(logits + i * ldl, n_classes, top_p, k_max, weighting, probabilities + i * n_classes,
                  plan_adapters + i * k_max, plan_weights + i * k_max);
}

dlp_status dlp_cuda_route_top_p(dlp_context *ctx, int64_t s, int64_t n_classes, const float *logits, int64_t ldl,
                                float top_p, int32_t k_max, int32_t weighting, int32_t *plan_adapters,
                                float *plan_weights) {
    dlp_cuda_enter(ctx);
    if (s < 0 || n_classes <= 0 || ldl < n_classes || k_max <= 0 || (weighting != 0 && weighting != 1) ||
        !(top_p > 0.0f && top_p <= 1.0f))
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                             "route_top_p: bad arguments s=%lld classes=%lld k_max=%d weighting=%d top_p=%g", (long long)s,
                             (long long)n_classes, k_max, weighting, (double)top_p);
    if (n_classes > ROUTE_MAX_CLASSES)
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "route_top_p: %lld classes > %d", (long long)n_classes,
                             ROUTE_MAX_CLASSES);
    if (s == 0) return DLP_STATUS_OK;
    float *probabilities = (float *)dlp_cuda_scratch(ctx, (size_t)s * (size_t)n_classes * sizeof(float));
    if (!probabilities) return DLP_STATUS_OUT_OF_MEMORY;
    route_top_p_kernel<<<dlp_blocks(s, 64), 64, 0, ctx->stream>>>(s, n_classes, logits, ldl, top_p, k_max, weighting,
                                                                 plan_adapters, plan_weights, probabilities);
    return dlp_cuda_check_launch(ctx, "route_top_p");
}
