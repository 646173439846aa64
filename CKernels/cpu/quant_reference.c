/* quant_reference.c: the scalar reference of the block-quantized dot products (every GGUF block format
 * against 8-bit activation blocks, cpu_quant.h), the scalar K-quant unpacker, and the choice of the
 * fastest implementation a context may use. The layouts are those of dlp_dequantize.h. */
#include "cpu_quant.h"

static inline float f16_at(const uint8_t *p) { return dlp_half_to_float((uint16_t)(p[0] | (p[1] << 8))); }

/* ---- 32-element blocks: unsigned values u and the block's dw, cw (weight = dw * (u - offset) + cw) ---- */

void dlp_cpu_unpack_q32(dlp_dtype dtype, const uint8_t *b, uint8_t u[32], float *dw, float *cw) {
    const uint8_t *qs = b + 2, *qh = NULL;
    *dw = f16_at(b);
    switch (dtype) {
    case DLP_DTYPE_Q8_0:
        for (int i = 0; i < 32; i++) u[i] = (uint8_t)(((const int8_t *)(b + 2))[i] + 128);
        *cw = 0.0f;
        return;
    case DLP_DTYPE_Q4_0: *cw = -8.0f * *dw; break;
    case DLP_DTYPE_Q4_1: *cw = f16_at(b + 2); qs = b + 4; break;
    case DLP_DTYPE_Q5_0: *cw = -16.0f * *dw; qh = b + 2; qs = b + 6; break;
    default: /* Q5_1 */  *cw = f16_at(b + 2); qh = b + 4; qs = b + 8; break;
    }
    for (int i = 0; i < 16; i++) {
        u[i] = qs[i] & 0x0f;
        u[i + 16] = qs[i] >> 4;
    }
    if (qh)
        for (int i = 0; i < 32; i++) u[i] |= (uint8_t)(((qh[i >> 3] >> (i & 7)) & 1) << 4);
}

static void dot_q32_reference(dlp_dtype dtype, const void *w_row, const void *xq, size_t xq_stride, int rows,
                              int64_t n_blocks, float *out) {
    size_t block_bytes = (size_t)dlp_dtype_block_bytes(dtype);
    for (int r = 0; r < rows; r++) {
        const dlp_q8_32 *x = (const dlp_q8_32 *)((const char *)xq + (size_t)r * xq_stride);
        float acc = 0.0f;
        for (int64_t b = 0; b < n_blocks; b++) {
            uint8_t u[32];
            float dw, cw;
            dlp_cpu_unpack_q32(dtype, (const uint8_t *)w_row + (size_t)b * block_bytes, u, &dw, &cw);
            int offset = dtype == DLP_DTYPE_Q8_0 ? 128 : 0;
            int32_t isum = 0;
            for (int i = 0; i < 32; i++) isum += ((int)u[i] - offset) * x[b].q[i];
            acc += dw * x[b].d * (float)isum + cw * x[b].s;
        }
        out[r] = acc;
    }
}


/* ---- K-quant super-blocks ---- */

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

void dlp_cpu_kblock_scales(dlp_dtype dtype, const uint8_t *b, dlp_kblock *out) {
    switch (dtype) {
    case DLP_DTYPE_Q2_K:             /* scales[16] qs[64] d dmin: a 4-bit scale and a 4-bit min per group */
        out->da = f16_at(b + 80);
        out->db = f16_at(b + 82);
        for (int g = 0; g < 16; g++) {
            out->sa[g] = b[g] & 0x0f;
            out->sb[g] = b[g] >> 4;
        }
        return;
    case DLP_DTYPE_Q3_K: {           /* hmask[32] qs[64] scales[12] d: sixteen 6-bit scales offset by 32 */
        const uint8_t *packed = b + 96;
        out->da = out->db = f16_at(b + 108);
        int scales[16];
        for (int k = 0; k < 4; k++) {
            scales[k] = (packed[k] & 0x0f) | ((packed[8 + k] & 3) << 4);
            scales[4 + k] = (packed[4 + k] & 0x0f) | (((packed[8 + k] >> 2) & 3) << 4);
            scales[8 + k] = (packed[k] >> 4) | (((packed[8 + k] >> 4) & 3) << 4);
            scales[12 + k] = (packed[4 + k] >> 4) | (((packed[8 + k] >> 6) & 3) << 4);
        }
        for (int g = 0; g < 16; g++) {               /* value = u - 4 */
            out->sa[g] = (int16_t)(scales[g] - 32);
            out->sb[g] = (int16_t)(4 * (scales[g] - 32));
        }
        return;
    }
    case DLP_DTYPE_Q4_K:
    case DLP_DTYPE_Q5_K:             /* d dmin scales[12]: a 6-bit scale and min per group of 32 */
        out->da = f16_at(b);
        out->db = f16_at(b + 2);
        for (int j = 0; j < 8; j++) {
            int scale, min;
            scale_min_k4(j, b + 4, &scale, &min);
            out->sa[2 * j] = out->sa[2 * j + 1] = (int16_t)scale;
            out->sb[2 * j] = out->sb[2 * j + 1] = (int16_t)min;
        }
        return;
    default: {                       /* Q6_K: ql[128] qh[64] scales[16] d: value = u - 32 */
        const int8_t *sc = (const int8_t *)(b + 192);
        out->da = out->db = f16_at(b + 208);
        for (int g = 0; g < 16; g++) {
            out->sa[g] = sc[g];
            out->sb[g] = (int16_t)(32 * sc[g]);
        }
        return;
    }
    }
}

void dlp_cpu_unpack_kblock(dlp_dtype dtype, const uint8_t *b, dlp_kblock *out) {
    dlp_cpu_kblock_scales(dtype, b, out);
    switch (dtype) {
    case DLP_DTYPE_Q2_K:             /* element order: (half, shift, 32 bytes) */
        for (int half = 0; half < 2; half++)
            for (int shift = 0; shift < 4; shift++)
                for (int l = 0; l < 32; l++)
                    out->u[128 * half + 32 * shift + l] = (b[16 + 32 * half + l] >> (2 * shift)) & 3;
        return;
    case DLP_DTYPE_Q3_K:             /* u = low 2 bits | high-mask bit << 2 */
        for (int half = 0; half < 2; half++)
            for (int shift = 0; shift < 4; shift++)
                for (int l = 0; l < 32; l++)
                    out->u[128 * half + 32 * shift + l] = (uint8_t)(((b[32 + 32 * half + l] >> (2 * shift)) & 3) |
                                                                    (((b[l] >> (4 * half + shift)) & 1) << 2));
        return;
    case DLP_DTYPE_Q4_K:
    case DLP_DTYPE_Q5_K: {           /* group 2c: low nibbles of bytes 32c.., group 2c+1: high; Q5_K bit j of qh[l] */
        const uint8_t *qh = dtype == DLP_DTYPE_Q5_K ? b + 16 : NULL;
        const uint8_t *qs = dtype == DLP_DTYPE_Q5_K ? b + 48 : b + 16;
        for (int j = 0; j < 8; j++)
            for (int l = 0; l < 32; l++) {
                int v = (j & 1) ? qs[(j / 2) * 32 + l] >> 4 : qs[(j / 2) * 32 + l] & 0x0f;
                if (qh) v |= ((qh[l] >> j) & 1) << 4;
                out->u[32 * j + l] = (uint8_t)v;
            }
        return;
    }
    default: {                       /* Q6_K */
        const uint8_t *ql = b, *qh = b + 128;
        for (int half = 0; half < 2; half++, ql += 64, qh += 32)
            for (int l = 0; l < 32; l++) {
                uint8_t *u = out->u + 128 * half;
                u[l] = (uint8_t)((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4));
                u[l + 32] = (uint8_t)((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4));
                u[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                u[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
            }
        return;
    }
    }
}

static void dot_k_reference(dlp_dtype dtype, const void *w_row, const void *xq, size_t xq_stride, int rows,
                            int64_t n_blocks, float *out) {
    size_t block_bytes = (size_t)dlp_dtype_block_bytes(dtype);
    for (int r = 0; r < rows; r++) out[r] = 0.0f;
    for (int64_t b = 0; b < n_blocks; b++) {
        dlp_kblock w;
        dlp_cpu_unpack_kblock(dtype, (const uint8_t *)w_row + (size_t)b * block_bytes, &w);
        for (int r = 0; r < rows; r++) {
            const dlp_q8_256 *x = (const dlp_q8_256 *)((const char *)xq + (size_t)r * xq_stride) + b;
            int32_t total = 0;
            for (int g = 0; g < 16; g++) {
                int32_t sum = 0;
                for (int i = 16 * g; i < 16 * g + 16; i++) sum += (int32_t)w.u[i] * x->q[i];
                total += (int32_t)w.sa[g] * sum;
            }
            out[r] += dlp_kblock_finish(&w, x, total);
        }
    }
}

/* The table entries: one function per format, with the dtype fixed. */
#define REFERENCE_ENTRY(name, kernel, dtype)                                                                \
    static void name(const void *w, const void *xq, size_t stride, int rows, int64_t n_blocks, float *out) { \
        kernel(dtype, w, xq, stride, rows, n_blocks, out);                                                  \
    }
REFERENCE_ENTRY(dot_q4_0_reference, dot_q32_reference, DLP_DTYPE_Q4_0)
REFERENCE_ENTRY(dot_q4_1_reference, dot_q32_reference, DLP_DTYPE_Q4_1)
REFERENCE_ENTRY(dot_q5_0_reference, dot_q32_reference, DLP_DTYPE_Q5_0)
REFERENCE_ENTRY(dot_q5_1_reference, dot_q32_reference, DLP_DTYPE_Q5_1)
REFERENCE_ENTRY(dot_q8_0_reference, dot_q32_reference, DLP_DTYPE_Q8_0)
REFERENCE_ENTRY(dot_q2_k_reference, dot_k_reference, DLP_DTYPE_Q2_K)
REFERENCE_ENTRY(dot_q3_k_reference, dot_k_reference, DLP_DTYPE_Q3_K)
REFERENCE_ENTRY(dot_q4_k_reference, dot_k_reference, DLP_DTYPE_Q4_K)
REFERENCE_ENTRY(dot_q5_k_reference, dot_k_reference, DLP_DTYPE_Q5_K)
REFERENCE_ENTRY(dot_q6_k_reference, dot_k_reference, DLP_DTYPE_Q6_K)

dlp_qdot_fn dlp_cpu_qdot_reference(dlp_dtype dtype) {
    switch (dtype) {
    case DLP_DTYPE_Q4_0: return dot_q4_0_reference;
    case DLP_DTYPE_Q4_1: return dot_q4_1_reference;
    case DLP_DTYPE_Q5_0: return dot_q5_0_reference;
    case DLP_DTYPE_Q5_1: return dot_q5_1_reference;
    case DLP_DTYPE_Q8_0: return dot_q8_0_reference;
    case DLP_DTYPE_Q2_K: return dot_q2_k_reference;
    case DLP_DTYPE_Q3_K: return dot_q3_k_reference;
    case DLP_DTYPE_Q4_K: return dot_q4_k_reference;
    case DLP_DTYPE_Q5_K: return dot_q5_k_reference;
    case DLP_DTYPE_Q6_K: return dot_q6_k_reference;
    default: return NULL;
    }
}

dlp_qdot_fn dlp_cpu_qdot(const dlp_context *ctx, dlp_dtype dtype) {
    dlp_qdot_fn fast = NULL;
#if defined(__x86_64__)
    if (ctx->has_avx2) fast = dlp_cpu_qdot_avx2(dtype, ctx->has_vnni);
#endif
    (void)ctx;
    return fast ? fast : dlp_cpu_qdot_reference(dtype);
}
