/* cpu_quant.h: what the CPU's block-quantized kernels share. Weights stay in their GGUF blocks; each
 * activation row is quantized to 8 bits per block first, so the inner loops are integer dot products
 * (the scheme llama.cpp uses, with f32 activation scales):
 * - weights in 32-element blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) meet dlp_q8_32 rows; a weight is
 *   dw * u + cw for an integer u of its block (Q8_0: dw * q, signed), so a block's dot is
 *   dw * dx * sum(u * qx) + cw * sx;
 * - K-quant weights (Q2_K .. Q6_K, 256-element super-blocks) meet dlp_q8_256 rows; a super-block is
 *   unpacked to unsigned values u, per 16-element group g two small integer scales sa[g], sb[g], and
 *   two floats da, db, such that weight = da * sa[g] * u - db * sb[g]; its dot is
 *   dx * (da * sum_g sa[g] * sum(u * qx) - db * sum_g sb[g] * bsum_g). */
#ifndef DLP_CPU_QUANT_H
#define DLP_CPU_QUANT_H

#include "cpu_internal.h"

/* 32 activations: x[i] ~= d * q[i]; s = d * sum(q) (the term of a block's constant); d and s are
 * f16-rounded values, as in llama.cpp's q8_0/q8_1; sum = sum(q) exactly. 44 bytes. */
typedef struct { float d; float s; int32_t sum; int8_t q[32]; } dlp_q8_32;

/* 256 activations: x[i] ~= d * q[i]; bsums[g] = sum of q over elements 16g .. 16g+15. 292 bytes. */
typedef struct { float d; int16_t bsums[16]; int8_t q[256]; } dlp_q8_256;

/* One K-quant super-block unpacked (see the header comment). */
typedef struct {
    uint8_t u[256];       /* element values, 0 .. 63 */
    int16_t sa[16], sb[16];
    float da, db;
} dlp_kblock;

/* out[r] = dot(weight row, activation row r) for r < rows (1 to 4): w_row is n_blocks blocks of the
 * weight dtype; activation row r starts at xq + r * xq_stride bytes (the dtype's activation format). */
typedef void (*dlp_qdot_fn)(const void *w_row, const void *xq, size_t xq_stride, int rows, int64_t n_blocks,
                            float *out);

/* 1 when dtype is one of the block formats (plain or row-interleaved). */
static inline int dlp_dtype_is_quantized(dlp_dtype d) { return d >= DLP_DTYPE_Q4_0 && d < DLP_DTYPE_COUNT; }
/* 1 for the K-quants (dlp_q8_256 activations), 0 for the 32-element formats (dlp_q8_32). */
static inline int dlp_dtype_is_k_quant(dlp_dtype d) { return d >= DLP_DTYPE_Q2_K && d <= DLP_DTYPE_Q6_K; }

/* Bytes of one quantized activation row of k elements for weights in dtype. */
size_t dlp_cpu_qact_row_bytes(dlp_dtype weight_dtype, int64_t k);
/* Quantizes rows [begin, end) of x (f32, ld ldx, k columns) for weights in dtype into out (row i at
 * out + i * dlp_cpu_qact_row_bytes). NaN or Inf in a block makes its scale NaN, so results stay NaN.
 * simd: use the AVX2 rounding (bit-identical to the scalar one). */
void dlp_cpu_quantize_rows(dlp_dtype weight_dtype, int64_t k, const float *x, int64_t ldx, int64_t begin,
                           int64_t end, char *out, int simd);

/* The rows of x (f32 [m, k], ld ldx) quantized for weights in weight_dtype (a plain block format), m rows
 * of dlp_cpu_qact_row_bytes: made over the pool, or the previous call's when x has the same address,
 * shape, format and values (activation_memo.c). Valid until the next call on ctx; NULL when allocation
 * fails (the error is recorded). */
const char *dlp_cpu_quantized_activations(dlp_context *ctx, dlp_dtype weight_dtype, int64_t m, int64_t k, const float *x,
                                          int64_t ldx);

/* The scalar reference dot of each block format, and the fastest one this context may use. */
dlp_qdot_fn dlp_cpu_qdot_reference(dlp_dtype dtype);
dlp_qdot_fn dlp_cpu_qdot(const dlp_context *ctx, dlp_dtype dtype);
/* The AVX2 (vnni = 0) or AVX-512 VNNI (vnni = 1) dots; NULL where a type has none. */
dlp_qdot_fn dlp_cpu_qdot_avx2(dlp_dtype dtype, int vnni);

/* The values of one 32-element block as unsigned bytes u, with weight = dw * (u - offset) + cw, where
 * offset is 128 for Q8_0 (its signed values shifted) and 0 for the others. */
void dlp_cpu_unpack_q32(dlp_dtype dtype, const uint8_t *block, uint8_t u[32], float *dw, float *cw);

/* ---- prefill panels (x86): 8 weight rows unpacked and interleaved, so one vpdpbusd/vpmaddubsw of a
 * broadcast group of 4 activation bytes advances the dots of all 8 rows, and the block scales apply to
 * 8 outputs at once. A panel holds, per block of the weight format:
 *   32-element formats: u8 u[8 groups of 4][8 rows][4], float dw[8], float cw[8]          (320 bytes)
 *   K-quants:           u8 u[64 groups of 4][8 rows][4], int32 sa[16][8], int32 sb[16][8],
 *                       float da[8], float db[8]                                       (3136 bytes)
 * Rows past the weight's end are zero (they add nothing and are not stored). */
#define DLP_PANEL_ROWS 8
static inline size_t dlp_cpu_qpanel_block_bytes(dlp_dtype dtype) {
    return dlp_dtype_is_k_quant(dtype) ? 256 * 8 + 2 * 16 * 8 * sizeof(int32_t) + 2 * 8 * sizeof(float)
                                       : 32 * 8 + 2 * 8 * sizeof(float);
}
/* Builds the panel of weight rows [0, rows) (rows <= 8) of w (row_bytes apart), n_blocks blocks each
 * (x86: SIMD unpacks, then 8 x 8 transposes of 4-byte groups); NULL off x86. */
typedef void (*dlp_qpanel_build_fn)(dlp_dtype dtype, const char *w, size_t row_bytes, int rows, int64_t n_blocks,
                                    char *panel);
dlp_qpanel_build_fn dlp_cpu_qpanel_build_avx2(int vnni);
/* out[r * 8 + j] = dot(panel row j, activation row r) for r < rows (1 to 4); activation row r at
 * xq + r * xq_stride. K-quant results are bit-identical to the reference dot's. */
typedef void (*dlp_qpanel_fn)(dlp_dtype dtype, const char *panel, int64_t n_blocks, const char *xq, size_t xq_stride,
                              int rows, float *out);
/* The x86 panel product (vnni: AVX-512 VNNI), NULL off x86. */
dlp_qpanel_fn dlp_cpu_qpanel_avx2(dlp_dtype dtype, int vnni);
/* The x86 product of a row-interleaved group (DLP_DTYPE_*_X8, dlp_kernels.h) with 1 to *max_rows
 * activation rows (dlp_q8_32), the qpanel_fn contract with the group in place of a panel; NULL off x86
 * and for Q8_0_X8 without VNNI. Each row's result is independent of how many rows share the call. */
dlp_qpanel_fn dlp_cpu_qx8_avx2(dlp_dtype dtype, int vnni, int *max_rows);

/* The scalar unpack of one K-quant super-block (the reference the SIMD unpackers are checked against),
 * and of its scales alone (sa, sb, da, db; shared by every path). */
void dlp_cpu_unpack_kblock(dlp_dtype dtype, const uint8_t *block, dlp_kblock *out);
void dlp_cpu_kblock_scales(dlp_dtype dtype, const uint8_t *block, dlp_kblock *out);
/* A super-block's dot with one dlp_q8_256 block, given total = sum_g sa[g] * sum(u * q over group g)
 * (an exact integer, however it was summed). Every path ends here, so SIMD and reference agree bitwise. */
static inline float dlp_kblock_finish(const dlp_kblock *w, const dlp_q8_256 *x, int32_t total) {
#pragma STDC FP_CONTRACT OFF
    int32_t mins = 0;
    for (int g = 0; g < 16; g++) mins += (int32_t)w->sb[g] * x->bsums[g];
    return x->d * (w->da * (float)total - w->db * (float)mins);
}

#endif
