/* rope.c: rotary position embedding in place, Hugging Face rotate_half layout. The frequencies come in
 * from the host, so plain, linear, dynamic-free and llama3-scaled ropes are all the same kernel. */
#include "cpu_internal.h"
#include <math.h>

dlp_status dlp_cpu_rope(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
                        float *x, int64_t ldx, const int32_t *positions, const float *inv_freq) {
    if (m < 0 || n_heads <= 0 || head_dim <= 0 || rot_dim <= 0 || rot_dim > head_dim || (rot_dim & 1) ||
        ldx < n_heads * head_dim)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rope: bad sizes heads=%lld head_dim=%lld rot_dim=%lld",
                            (long long)n_heads, (long long)head_dim, (long long)rot_dim);
    int64_t half = rot_dim / 2;
    for (int64_t i = 0; i < m; i++) {
        if (positions[i] < 0)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rope: negative position at row %lld", (long long)i);
        for (int64_t j = 0; j < half; j++) {
            /* angle in double, like HF computing position * inv_freq in f32 then cos/sin: f32 product */
            float angle = (float)positions[i] * inv_freq[j];
            float c = cosf(angle), s = sinf(angle);
            for (int64_t h = 0; h < n_heads; h++) {
                float *v = x + i * ldx + h * head_dim;
                float a = v[j], b = v[j + half];
                v[j] = a * c - b * s;
                v[j + half] = b * c + a * s;
            }
        }
    }
    return DLP_STATUS_OK;
}
