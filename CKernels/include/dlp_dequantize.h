/* dlp_dequantize.h: host-side conversion of GGUF block-quantized tensors (Q8_0, Q4_0, Q4_1) and of
 * f16/bf16 scalars to f32, used when loading weights (not part of the kernel table). Block layouts are
 * llama.cpp's: 32 weights per block; Q8_0 = f16 scale + 32 int8; Q4_0 = f16 scale + 16 bytes of nibbles
 * (value = (q - 8) * d); Q4_1 = f16 scale + f16 min + 16 bytes (value = q * d + m). Low nibbles are
 * elements 0..15 of the block, high nibbles 16..31. */
#ifndef DLP_DEQUANTIZE_H
#define DLP_DEQUANTIZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLP_QK 32
#define DLP_Q8_0_BLOCK_BYTES 34
#define DLP_Q4_0_BLOCK_BYTES 18
#define DLP_Q4_1_BLOCK_BYTES 20

/* src: n_blocks blocks; dst: f32 [n_blocks * 32]. */
void dlp_dequantize_q8_0(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q4_0(const uint8_t *src, int64_t n_blocks, float *dst);
void dlp_dequantize_q4_1(const uint8_t *src, int64_t n_blocks, float *dst);
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
