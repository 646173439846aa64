/* quant_activation.c: f32 activation rows to the 8-bit blocks the quantized dot products read
 * (dlp_q8_32 for 32-element weight blocks, dlp_q8_256 for the K-quants): scale = max |x| / 127 per block,
 * values rounded to nearest (ties to even). As llama.cpp's q8_0/q8_1 blocks do, the 32-element blocks
 * keep their scale d and their sum term s rounded to f16 (s from the unrounded d), and the K-quant
 * blocks an f32 scale, so the two engines round activations alike and their greedy outputs agree. */
#include "cpu_quant.h"
#include "dlp_dequantize.h"
#include <math.h>

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

static void quantize_q8_32(const float *x, int64_t k, dlp_q8_32 *out) {
    for (int64_t b = 0; b < k / 32; b++, x += 32) {
        float inverse;
        float d = block_scale(x, 32, &inverse);
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            out[b].q[i] = round_to_q8(x[i] * inverse);
            sum += out[b].q[i];
        }
        out[b].d = round_to_f16(d);
        out[b].s = round_to_f16(d * (float)sum);
    }
}

static void quantize_q8_256(const float *x, int64_t k, dlp_q8_256 *out) {
    for (int64_t b = 0; b < k / 256; b++, x += 256) {
        float inverse;
        out[b].d = block_scale(x, 256, &inverse);
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int i = 16 * g; i < 16 * g + 16; i++) {
                out[b].q[i] = round_to_q8(x[i] * inverse);
                sum += out[b].q[i];
            }
            out[b].bsums[g] = (int16_t)sum;
        }
    }
}

void dlp_cpu_quantize_rows(dlp_dtype weight_dtype, int64_t k, const float *x, int64_t ldx, int64_t begin,
                           int64_t end, char *out) {
    size_t row_bytes = dlp_cpu_qact_row_bytes(weight_dtype, k);
    for (int64_t i = begin; i < end; i++) {
        if (dlp_dtype_is_k_quant(weight_dtype))
            quantize_q8_256(x + i * ldx, k, (dlp_q8_256 *)(out + (size_t)i * row_bytes));
        else
            quantize_q8_32(x + i * ldx, k, (dlp_q8_32 *)(out + (size_t)i * row_bytes));
    }
}
