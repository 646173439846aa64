// routing.cu: the DLP plugin's top-p mixing fused in one kernel, one thread per sentence: softmax of the
// router logits, the nucleus by repeated selection of the most probable class not yet kept (ties to the
// lower class), the weights, and the plan row lora_shrink reads. Classes are few (tens), so one thread
// per sentence is enough and keeps the arithmetic in the same order as the CPU op.
#include "cuda_internal.cuh"

#define ROUTE_MAX_CLASSES 1024

__global__ void route_top_p_kernel(int64_t s, int64_t n_classes, const float *__restrict__ logits, int64_t ldl,
                                   float top_p, int32_t k_max, int32_t weighting, int32_t *__restrict__ plan_adapters,
                                   float *__restrict__ plan_weights, float *__restrict__ probabilities) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= s) return;
    const float *row = logits + i * ldl;
    float *p = probabilities + i * n_classes;          // scratch f32 [s, n_classes]
    int32_t *adapters = plan_adapters + i * k_max;
    float *weights = plan_weights + i * k_max;
    float max = row[0];
    for (int64_t c = 1; c < n_classes; c++) max = row[c] > max ? row[c] : max;
    float total = 0.0f;
    for (int64_t c = 0; c < n_classes; c++) total += p[c] = expf(row[c] - max);
    for (int64_t c = 0; c < n_classes; c++) p[c] /= total;
    int32_t kept = 0;
    float cumulative = 0.0f;
    while (kept < k_max && kept < n_classes) {
        int64_t best = -1;
        for (int64_t c = 0; c < n_classes; c++) {
            int taken = 0;
            for (int32_t j = 0; j < kept; j++) taken |= adapters[j] == c;
            if (!taken && (best < 0 || p[c] > p[best])) best = c;
        }
        adapters[kept] = (int32_t)best;
        weights[kept] = p[best];
        cumulative += p[best];
        kept++;
        if (cumulative >= top_p) break;
    }
    float sum = 0.0f, top = weights[0];
    for (int32_t j = 0; j < kept; j++) {
        if (weighting == 0) weights[j] = expf(weights[j] - top);
        sum += weights[j];
    }
    for (int32_t j = 0; j < kept; j++) weights[j] = sum > 0.0f ? weights[j] / sum : 1.0f / (float)kept;
    for (int32_t j = kept; j < k_max; j++) { adapters[j] = -1; weights[j] = 0.0f; }
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
