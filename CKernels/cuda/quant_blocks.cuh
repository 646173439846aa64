// quant_blocks.cuh: device-side dequantization of the GGUF block formats (layouts in dlp_dequantize.h),
// 32 elements at a time: the arithmetic of the CPU's dequantize.c, so a weight dequantized here equals
// the host's (and gguf-py's) up to fused multiply-adds. Used by the quantized GEMV, the prefill
// dequantization ahead of cuBLAS, and the embedding gather.
#pragma once
#include "cuda_internal.cuh"

__device__ __forceinline__ float dlp_f16_at(const uint8_t *p) {
    return __half2float(__ushort_as_half((unsigned short)(p[0] | (p[1] << 8))));
}

// Elements [32 * chunk, 32 * chunk + 32) of a row of a block format (chunk < row length / 32).
__device__ __forceinline__ void dlp_dequantize32(dlp_dtype dtype, const uint8_t *__restrict__ row, int64_t chunk,
                                                 float out[32]) {
    switch (dtype) {
    case DLP_DTYPE_Q8_0: {
        const uint8_t *b = row + chunk * 34;
        float d = dlp_f16_at(b);
        for (int i = 0; i < 32; i++) out[i] = (float)(int8_t)b[2 + i] * d;
        return;
    }
    case DLP_DTYPE_Q4_0:
    case DLP_DTYPE_Q4_1: {
        const bool q41 = dtype == DLP_DTYPE_Q4_1;
        const uint8_t *b = row + chunk * (q41 ? 20 : 18), *q = b + (q41 ? 4 : 2);
        float d = dlp_f16_at(b), m = q41 ? dlp_f16_at(b + 2) : 0.0f;
        for (int i = 0; i < 16; i++) {
            out[i] = q41 ? (float)(q[i] & 0x0f) * d + m : (float)((int)(q[i] & 0x0f) - 8) * d;
            out[i + 16] = q41 ? (float)(q[i] >> 4) * d + m : (float)((int)(q[i] >> 4) - 8) * d;
        }
        return;
    }
    case DLP_DTYPE_Q5_0:
    case DLP_DTYPE_Q5_1: {
        const bool q51 = dtype == DLP_DTYPE_Q5_1;
        const uint8_t *b = row + chunk * (q51 ? 24 : 22), *qh = b + (q51 ? 4 : 2), *q = qh + 4;
        float d = dlp_f16_at(b), m = q51 ? dlp_f16_at(b + 2) : 0.0f;
        uint32_t high = (uint32_t)qh[0] | ((uint32_t)qh[1] << 8) | ((uint32_t)qh[2] << 16) | ((uint32_t)qh[3] << 24);
        for (int i = 0; i < 16; i++) {
            int lo = (q[i] & 0x0f) | (((high >> i) & 1) << 4), hi = (q[i] >> 4) | (((high >> (i + 16)) & 1) << 4);
            out[i] = q51 ? d * (float)lo + m : d * (float)(lo - 16);
            out[i + 16] = q51 ? d * (float)hi + m : d * (float)(hi - 16);
        }
        return;
    }
    case DLP_DTYPE_Q2_K: {           // 32 elements = (half, shift): groups 8 half + 2 shift + {0, 1}
        const uint8_t *b = row + (chunk / 8) * 84, *q = b + 16 + 32 * ((chunk % 8) / 4);
        int shift = 2 * (int)(chunk % 4), group = 2 * (int)(chunk % 8);
        float d = dlp_f16_at(b + 80), dmin = dlp_f16_at(b + 82);
        for (int l = 0; l < 32; l++) {
            int sc = b[group + l / 16];
            out[l] = d * (float)(sc & 0x0f) * (float)((q[l] >> shift) & 3) - dmin * (float)(sc >> 4);
        }
        return;
    }
    case DLP_DTYPE_Q3_K: {
        const uint8_t *b = row + (chunk / 8) * 110, *hmask = b, *packed = b + 96;
        int sub = (int)(chunk % 8), half = sub / 4, shift = 2 * (sub % 4), bit = sub, group = 2 * sub;
        const uint8_t *q = b + 32 + 32 * half;
        float d = dlp_f16_at(b + 108);
        for (int l = 0; l < 32; l++) {
            int g = group + l / 16, k = g % 4, scale;
            if (g < 4) scale = (packed[k] & 0x0f) | ((packed[8 + k] & 3) << 4);
            else if (g < 8) scale = (packed[4 + k] & 0x0f) | (((packed[8 + k] >> 2) & 3) << 4);
            else if (g < 12) scale = (packed[k] >> 4) | (((packed[8 + k] >> 4) & 3) << 4);
            else scale = (packed[4 + k] >> 4) | (((packed[8 + k] >> 6) & 3) << 4);
            int v = ((q[l] >> shift) & 3) - (((hmask[l] >> bit) & 1) ? 0 : 4);
            out[l] = d * (float)(scale - 32) * (float)v;
        }
        return;
    }
    case DLP_DTYPE_Q4_K:
    case DLP_DTYPE_Q5_K: {           // sub-block j: a 6-bit scale and min; Q5_K's fifth bit is bit j of qh[l]
        const bool q5 = dtype == DLP_DTYPE_Q5_K;
        const uint8_t *b = row + (chunk / 8) * (q5 ? 176 : 144), *s = b + 4, *qh = b + 16, *q = b + (q5 ? 48 : 16);
        int j = (int)(chunk % 8), scale, min;
        if (j < 4) {
            scale = s[j] & 63;
            min = s[j + 4] & 63;
        } else {
            scale = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
            min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
        }
        float dl = dlp_f16_at(b) * (float)scale, ml = dlp_f16_at(b + 2) * (float)min;
        const uint8_t *bytes = q + (j / 2) * 32;
        for (int l = 0; l < 32; l++) {
            int v = (j & 1) ? bytes[l] >> 4 : bytes[l] & 0x0f;
            if (q5) v |= ((qh[l] >> j) & 1) << 4;
            out[l] = dl * (float)v - ml;
        }
        return;
    }
    default: {                       // Q6_K: (half, quarter); scales per 16
        const uint8_t *b = row + (chunk / 8) * 210;
        int sub = (int)(chunk % 8), half = sub / 4, quarter = sub % 4;
        const uint8_t *ql = b + 64 * half + (quarter & 1) * 32, *qh = b + 128 + 32 * half;
        const int8_t *sc = (const int8_t *)(b + 192 + 8 * half);
        float d = dlp_f16_at(b + 208);
        for (int l = 0; l < 32; l++) {
            int low = quarter < 2 ? ql[l] & 0x0f : ql[l] >> 4;
            int q = (int)(low | (((qh[l] >> (2 * quarter)) & 3) << 4)) - 32;
            out[l] = d * (float)sc[l / 16 + 2 * quarter] * (float)q;
        }
        return;
    }
    }
}
