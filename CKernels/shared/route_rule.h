/* route_rule.h: the DLP plugin's top-p rule for one sentence, written once for both backends (the CPU's
 * routing.c and CUDA's routing.cu, where it runs one thread per sentence): softmax of the router logits,
 * the nucleus by repeated selection of the most probable class not yet kept (ties to the lower class; at
 * least 1, at most k_max, stopping once the kept probability reaches top_p), the weights (weighting 0:
 * softmax over the kept probabilities; 1: renormalized), and the plan row, padded with -1 / 0. */
#ifndef DLP_ROUTE_RULE_H
#define DLP_ROUTE_RULE_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define DLP_HOST_DEVICE __host__ __device__
#else
#define DLP_HOST_DEVICE
#endif

/* row: f32 [n_classes]; probabilities: f32 [n_classes] scratch; adapters, weights: [k_max]. */
static inline DLP_HOST_DEVICE void dlp_route_row(const float *row, int64_t n_classes, float top_p, int32_t k_max,
                                                 int32_t weighting, float *probabilities, int32_t *adapters,
                                                 float *weights) {
    float max = row[0];
    for (int64_t c = 1; c < n_classes; c++) max = row[c] > max ? row[c] : max;
    float total = 0.0f;
    for (int64_t c = 0; c < n_classes; c++) total += probabilities[c] = expf(row[c] - max);
    for (int64_t c = 0; c < n_classes; c++) probabilities[c] /= total;
    int32_t kept = 0;
    float cumulative = 0.0f;
    while (kept < k_max && kept < n_classes) {
        int64_t best = -1;
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
    float sum = 0.0f, top = weights[0];
    for (int32_t j = 0; j < kept; j++) {
        if (weighting == 0) weights[j] = expf(weights[j] - top);
        sum += weights[j];
    }
    for (int32_t j = 0; j < kept; j++) weights[j] = sum > 0.0f ? weights[j] / sum : 1.0f / (float)kept;
    for (int32_t j = kept; j < k_max; j++) { adapters[j] = -1; weights[j] = 0.0f; }
}

#endif
