/* dequantize.c: GGUF block formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1; K-quants Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) and
 * f16/bf16 to f32, for loading weights. Products are evaluated in gguf-py's order, never contracted. */
#include "dlp_dequantize.h"
#include "cpu_internal.h"

#pragma STDC FP_CONTRACT OFF

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

/* The fifth bit of element j (0..31) of a Q5 block: bit j of the little-endian 32-bit qh. */
static inline int fifth_bit(const uint8_t *qh, int j) { return (qh[j >> 3] >> (j & 7)) & 1; }

void dlp_dequantize_q5_0(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q5_0_BLOCK_BYTES, dst += DLP_QK) {
        float d = dlp_half_to_float(read_u16(src));
        const uint8_t *qh = src + 2, *q = src + 6;
        for (int i = 0; i < DLP_QK / 2; i++) {
            dst[i] = d * (float)((int)((q[i] & 0x0f) | (fifth_bit(qh, i) << 4)) - 16);
            dst[i + DLP_QK / 2] = d * (float)((int)((q[i] >> 4) | (fifth_bit(qh, i + DLP_QK / 2) << 4)) - 16);
        }
    }
}

void dlp_dequantize_q5_1(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q5_1_BLOCK_BYTES, dst += DLP_QK) {
        float d = dlp_half_to_float(read_u16(src));
        float m = dlp_half_to_float(read_u16(src + 2));
        const uint8_t *qh = src + 4, *q = src + 8;
        for (int i = 0; i < DLP_QK / 2; i++) {
            dst[i] = d * (float)((q[i] & 0x0f) | (fifth_bit(qh, i) << 4)) + m;
            dst[i + DLP_QK / 2] = d * (float)((q[i] >> 4) | (fifth_bit(qh, i + DLP_QK / 2) << 4)) + m;
        }
    }
}

void dlp_dequantize_q2_k(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q2_K_BLOCK_BYTES) {
        const uint8_t *scales = src, *q = src + 16;
        float d = dlp_half_to_float(read_u16(src + 80));
        float dmin = dlp_half_to_float(read_u16(src + 82));
        int group = 0;                                   /* 16 groups of 16 weights */
        for (int half = 0; half < 2; half++, q += 32) {  /* each half: 128 weights from 32 bytes */
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; part++, group++) {
                    float dl = d * (float)(scales[group] & 0x0f);
                    float ml = dmin * (float)(scales[group] >> 4);
                    for (int l = 0; l < 16; l++) *dst++ = dl * (float)((q[part * 16 + l] >> shift) & 3) - ml;
                }
            }
        }
    }
}

void dlp_dequantize_q3_k(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q3_K_BLOCK_BYTES) {
        const uint8_t *hmask = src, *q = src + 32, *packed = src + 96;
        float d = dlp_half_to_float(read_u16(src + 108));
        int scales[16];                     /* low nibbles from bytes 0..7, two high bits from bytes 8..11 */
        for (int k = 0; k < 4; k++) {
            scales[k] = (packed[k] & 0x0f) | ((packed[8 + k] & 3) << 4);
            scales[4 + k] = (packed[4 + k] & 0x0f) | (((packed[8 + k] >> 2) & 3) << 4);
            scales[8 + k] = (packed[k] >> 4) | (((packed[8 + k] >> 4) & 3) << 4);
            scales[12 + k] = (packed[4 + k] >> 4) | (((packed[8 + k] >> 6) & 3) << 4);
        }
        int group = 0, bit = 0;
        for (int half = 0; half < 2; half++, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, bit++) {
                for (int part = 0; part < 2; part++, group++) {
                    float dl = d * (float)(scales[group] - 32);
                    for (int l = 0; l < 16; l++) {
                        int i = part * 16 + l;
                        int v = ((q[i] >> shift) & 3) - (((hmask[i] >> bit) & 1) ? 0 : 4);
                        *dst++ = dl * (float)v;
                    }
                }
            }
        }
    }
}

/* Scale and min of 32-weight group j (0..7) from the 12 packed bytes of Q4_K/Q5_K: six bits each. */
static inline void scale_min_k4(int j, const uint8_t *s, int *scale, int *min) {
    if (j < 4) {
        *scale = s[j] & 63;
        *min = s[j + 4] & 63;
    } else {
        *scale = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
        *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/* Q4_K (fifth == NULL) and Q5_K: eight groups of 32; group 2g uses the low nibbles of bytes 32g..32g+31,
 * group 2g+1 their high nibbles; Q5_K's fifth bit of element l of group j is bit j of qh[l]. */
static void dequantize_k4_k5(const uint8_t *block, const uint8_t *qh, const uint8_t *q, float *dst) {
    float d = dlp_half_to_float(read_u16(block));
    float dmin = dlp_half_to_float(read_u16(block + 2));
    const uint8_t *packed = block + 4;
    for (int j = 0; j < 8; j++) {
        int scale, min;
        scale_min_k4(j, packed, &scale, &min);
        float dl = d * (float)scale, ml = dmin * (float)min;
        const uint8_t *bytes = q + (j / 2) * 32;
        for (int l = 0; l < 32; l++) {
            int v = (j & 1) ? bytes[l] >> 4 : bytes[l] & 0x0f;
            if (qh) v |= ((qh[l] >> j) & 1) << 4;
            *dst++ = dl * (float)v - ml;
        }
    }
}

void dlp_dequantize_q4_k(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q4_K_BLOCK_BYTES, dst += DLP_QK_K)
        dequantize_k4_k5(src, NULL, src + 16, dst);
}

void dlp_dequantize_q5_k(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q5_K_BLOCK_BYTES, dst += DLP_QK_K)
        dequantize_k4_k5(src, src + 16, src + 48, dst);
}

void dlp_dequantize_q6_k(const uint8_t *src, int64_t n_blocks, float *dst) {
    for (int64_t b = 0; b < n_blocks; b++, src += DLP_Q6_K_BLOCK_BYTES, dst += DLP_QK_K) {
        const uint8_t *ql = src, *qh = src + 128;
        const int8_t *sc = (const int8_t *)(src + 192);
        float d = dlp_half_to_float(read_u16(src + 208));
        for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8) {
            float *y = dst + half * 128;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = (int)((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = (int)((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * (float)sc[is] * (float)q1;
                y[l + 32] = d * (float)sc[is + 2] * (float)q2;
                y[l + 64] = d * (float)sc[is + 4] * (float)q3;
                y[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
        }
    }
}

int dlp_dequantize_blocks(dlp_dtype dtype, const uint8_t *src, int64_t n_blocks, float *dst) {
    switch (dtype) {
    case DLP_DTYPE_Q4_0: dlp_dequantize_q4_0(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q4_1: dlp_dequantize_q4_1(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q5_0: dlp_dequantize_q5_0(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q5_1: dlp_dequantize_q5_1(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q8_0: dlp_dequantize_q8_0(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q2_K: dlp_dequantize_q2_k(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q3_K: dlp_dequantize_q3_k(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q4_K: dlp_dequantize_q4_k(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q5_K: dlp_dequantize_q5_k(src, n_blocks, dst); return 0;
    case DLP_DTYPE_Q6_K: dlp_dequantize_q6_k(src, n_blocks, dst); return 0;
    default: return -1;
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
