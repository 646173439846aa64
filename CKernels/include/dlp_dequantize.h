/* dlp_dequantize.h: host-side conversion of GGUF block-quantized tensors and of f16/bf16 scalars to
 * f32, used when loading weights (not part of the kernel table). Block layouts are llama.cpp's (GGUF):
 * - 32 weights per block. Q8_0 = f16 d + 32 int8 (q * d). Q4_0 = f16 d + 16 bytes of nibbles
 *   ((q - 8) * d); Q4_1 = f16 d + f16 m + 16 bytes (q * d + m); low nibbles are elements 0..15, high
 *   16..31. Q5_0 = f16 d + 4 bytes of fifth bits (bit j of element j) + 16 bytes of nibbles
 *   ((q - 16) * d); Q5_1 = f16 d + f16 m + fifth bits + nibbles (q * d + m).
 * - 256 weights per super-block (K-quants). Q2_K = 16 bytes of 4-bit scale | 4-bit min per 16 weights,
 *   64 bytes of 2-bit values, f16 d, f16 dmin. Q3_K = 32 bytes of high-bit masks, 64 bytes of 2-bit
 *   values, 12 bytes of sixteen 6-bit scales (offset by 32), f16 d; a value is 4 lower where its mask
 *   bit is clear. Q4_K = f16 d, f16 dmin, 12 bytes of eight 6-bit scales and
 *   mins, 128 bytes of nibbles (32-weight groups). Q5_K = Q4_K plus 32 bytes of fifth bits before the
 *   nibbles. Q6_K = 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, f16 d.
 * Arithmetic follows the order of gguf-py's dequantizer, so results are bit-identical to it. */
#ifndef DLP_DEQUANTIZE_H
#define DLP_DEQUANTIZE_H

#include "dlp_kernels.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLP_QK 32
#define DLP_Q8_0_BLOCK_BYTES 34
#define DLP_Q4_0_BLOCK_BYTES 18
#define DLP_Q4_1_BLOCK_BYTES 20
#define DLP_Q5_0_BLOCK_BYTES 22
#define DLP_Q5_1_BLOCK_BYTES 24
#define DLP_QK_K 256
#define DLP_Q2_K_BLOCK_BYTES 84
#define DLP_Q3_K_BLOCK_BYTES 110
#define DLP_Q4_K_BLOCK_BYTES 144
#define DLP_Q5_K_BLOCK_BYTES 176
#define DLP_Q6_K_BLOCK_BYTES 210

/* src: n_blocks blocks; dst: f32 [n_blocks * 32]. */
void dlp_dequantize_q8_0(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q4_0(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q4_1(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q5_0(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q5_1(const uint8_t *src, int64_t n_blocks, float *dst);
/* src: n_blocks super-blocks; dst: f32 [n_blocks * 256]. */
void dlp_dequantize_q2_k(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q3_k(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q4_k(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q5_k(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q6_k(const uint8_t *src, int64_t n_blocks, float *dst);
/* Any block format of the kernel ABI: src n_blocks blocks of dtype, dst f32 [n_blocks * block elements].
 * Returns 0, or -1 (nothing written) when dtype is not a block format. */
int dlp_dequantize_blocks(dlp_dtype dtype, const uint8_t *src, int64_t n_blocks, float *dst);
/* src: n values; dst: f32 [n]. */
void dlp_f16_to_f32(const uint16_t *src, int64_t n, float *dst);
void dlp_bf16_to_f32(const uint16_t *src, int64_t n, float *dst);
/* Round-to-nearest-even conversions, for tests and fixtures. */
uint16_t dlp_f32_to_f16(float x);
uint16_t dlp_f32_to_bf16(float x);

#ifdef __cplusplus
}
#endif

#endif /* DLP_DEQUANTIZE_H */
