/* dequantize.c: GGUF block formats (Q8_0, Q4_0, Q4_1) and f16/bf16 to f32, for loading weights. */
#include "dlp_dequantize.h"
#include "cpu_internal.h"

static inline uint16_t read_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

void dlp_dequantize_q8_0(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q8_0_BLOCK_BYTES, dst += DLP_QK) {
        float d = dlp_half_to_float(read_u16(src));
        const int8_t *q = (const int8_t *)(src + 2);
        for (int i = 0; i < DLP_QK; i++) dst[i] = (float)q[i] * d;
    }
}

void dlp_dequantize_q4_0(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q4_0_BLOCK_BYTES, dst += DLP_QK) {
        float d = dlp_half_to_float(read_u16(src));
        const uint8_t *q = src + 2;
        for (int i = 0; i < DLP_QK / 2; i++) {
            dst[i] = (float)((int)(q[i] & 0x0f) - 8) * d;
            dst[i + DLP_QK / 2] = (float)((int)(q[i] >> 4) - 8) * d;
        }
    }
}

void dlp_dequantize_q4_1(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q4_1_BLOCK_BYTES, dst += DLP_QK) {
        float d = dlp_half_to_float(read_u16(src));
        float m = dlp_half_to_float(read_u16(src + 2));
        const uint8_t *q = src + 4;
        for (int i = 0; i < DLP_QK / 2; i++) {
            dst[i] = (float)(q[i] & 0x0f) * d + m;
            dst[i + DLP_QK / 2] = (float)(q[i] >> 4) * d + m;
        }
    }
}

void dlp_f16_to_f32(const uint16_t *src, int64_t n, float *dst) {
    for (int64_t i = 0; i < n; i++) dst[i] = dlp_half_to_float(src[i]);
}

void dlp_bf16_to_f32(const uint16_t *src, int64_t n, float *dst) {
    for (int64_t i = 0; i < n; i++) dst[i] = dlp_bfloat_to_float(src[i]);
}

uint16_t dlp_f32_to_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40); /* quiet NaN */
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

uint16_t dlp_f32_to_f16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u) return sign | 0x7e00;                    /* NaN */
    if (abs >= 0x477ff000u) return sign | 0x7c00;                   /* rounds to inf */
    if (abs < 0x33000001u) return sign;                             /* rounds to zero */
    int32_t exp = (int32_t)(abs >> 23) - 127 + 15;
    uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    if (exp <= 0) {                                                 /* subnormal half */
        int shift = 14 - exp;
        uint32_t half = mant >> shift, rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1))) half++;
        return sign | (uint16_t)half;
    }
    uint32_t half = ((uint32_t)exp << 10) | ((mant >> 13) & 0x3ff);
    uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half++;   /* carry into exponent is correct */
    return sign | (uint16_t)half;
}
