/* dlp_repack.h: host-side conversion between the plain GGUF layouts of Q4_0, Q4_1 and Q8_0 and their
 * row-interleaved copies (DLP_DTYPE_*_X8, laid out as dlp_kernels.h says), and row dequantization that
 * reads either; used when loading weights and when a packed matrix is read back (merges, embeddings). */
#ifndef DLP_REPACK_H
#define DLP_REPACK_H

#include "dlp_kernels.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The row-interleaved dtype of a plain one, or DLP_DTYPE_COUNT when it has none. */
dlp_dtype dlp_dtype_row_interleaved(dlp_dtype plain);

/* Writes the row-interleaved copy of a [rows, ld] matrix in plain dtype src into dst (the same number of
 * bytes, not overlapping src). Returns 0, or -1 (nothing written) when plain has no row-interleaved
 * form or ld is not a whole number of blocks. */
int dlp_pack_rows_x8(dlp_dtype plain, int64_t rows, int64_t ld, const uint8_t *src, uint8_t *dst);

/* Block b of row `row` of a [rows, ld] matrix in row-interleaved dtype x8, in the plain layout (its
 * plain format's block bytes written to plain_block). The caller keeps row < rows and b < ld / 32. */
void dlp_x8_plain_block(dlp_dtype x8, const uint8_t *matrix, int64_t rows, int64_t ld, int64_t row, int64_t b,
                        uint8_t *plain_block);

/* Rows [row_begin, row_end) of a [rows, ld] matrix in any block format, plain or row-interleaved, as f32
 * (dst [row_end - row_begin, ld]). Returns 0, or -1 (nothing written) for a dtype that is no block
 * format or rows out of range. */
int dlp_dequantize_rows(dlp_dtype dtype, int64_t rows, int64_t ld, const uint8_t *src, int64_t row_begin, int64_t row_end,
                        float *dst);

#ifdef __cplusplus
}
#endif

#endif /* DLP_REPACK_H */
