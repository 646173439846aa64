/* repack.c: plain Q4_0/Q4_1/Q8_0 blocks to and from their row-interleaved copies (dlp_repack.h). */
#include "dlp_repack.h"
#include "dlp_dequantize.h"
#include <string.h>

dlp_dtype dlp_dtype_row_interleaved(dlp_dtype plain) {
    switch (plain) {
    case DLP_DTYPE_Q4_0: return DLP_DTYPE_Q4_0_X8;
    case DLP_DTYPE_Q4_1: return DLP_DTYPE_Q4_1_X8;
    case DLP_DTYPE_Q8_0: return DLP_DTYPE_Q8_0_X8;
    default: return DLP_DTYPE_COUNT;
    }
}

/* Where in a group's block column the values start (after d[8], and Q4_1's m[8]). */
static size_t values_offset(dlp_dtype plain) { return plain == DLP_DTYPE_Q4_1 ? 32 : 16; }

/* Row j's plain block -> its place in a group's block column g (8 * block bytes). */
static void pack_block(dlp_dtype plain, const uint8_t *block, int j, uint8_t *g) {
    memcpy(g + 2 * j, block, 2);                               /* d */
    if (plain == DLP_DTYPE_Q8_0) {
        for (int c = 0; c < 4; c++)
            for (int e = 0; e < 8; e++) g[16 + 64 * c + 8 * j + e] = (uint8_t)(block[2 + 8 * c + e] ^ 0x80);
        return;
    }
    const uint8_t *qs = block + 2;
    if (plain == DLP_DTYPE_Q4_1) {
        memcpy(g + 16 + 2 * j, block + 2, 2);                  /* m */
        qs = block + 4;
    }
    uint8_t *values = g + values_offset(plain);
    for (int c = 0; c < 2; c++) memcpy(values + 64 * c + 8 * j, qs + 8 * c, 8);
}

/* The inverse of pack_block. */
static void unpack_block(dlp_dtype plain, const uint8_t *g, int j, uint8_t *block) {
    memcpy(block, g + 2 * j, 2);
    if (plain == DLP_DTYPE_Q8_0) {
        for (int c = 0; c < 4; c++)
            for (int e = 0; e < 8; e++) block[2 + 8 * c + e] = (uint8_t)(g[16 + 64 * c + 8 * j + e] ^ 0x80);
        return;
    }
    uint8_t *qs = block + 2;
    if (plain == DLP_DTYPE_Q4_1) {
        memcpy(block + 2, g + 16 + 2 * j, 2);
        qs = block + 4;
    }
    const uint8_t *values = g + values_offset(plain);
    for (int c = 0; c < 2; c++) memcpy(qs + 8 * c, values + 64 * c + 8 * j, 8);
}

int dlp_pack_rows_x8(dlp_dtype plain, int64_t rows, int64_t ld, const uint8_t *src, uint8_t *dst) {
    int64_t row_bytes = dlp_dtype_row_bytes(plain, ld);
    if (dlp_dtype_row_interleaved(plain) == DLP_DTYPE_COUNT || rows < 0 || row_bytes <= 0) return -1;
    size_t bb = (size_t)dlp_dtype_block_bytes(plain);
    int64_t blocks = ld / 32, groups = rows / 8;
    for (int64_t grp = 0; grp < groups; grp++) {
        const uint8_t *rows8 = src + (size_t)grp * 8 * (size_t)row_bytes;
        uint8_t *out = dst + (size_t)grp * 8 * (size_t)row_bytes;
        for (int64_t b = 0; b < blocks; b++)
            for (int j = 0; j < 8; j++) pack_block(plain, rows8 + (size_t)j * (size_t)row_bytes + (size_t)b * bb, j, out + (size_t)b * 8 * bb);
    }
    size_t done = (size_t)groups * 8 * (size_t)row_bytes;
    memcpy(dst + done, src + done, (size_t)(rows - groups * 8) * (size_t)row_bytes);
    return 0;
}

void dlp_x8_plain_block(dlp_dtype x8, const uint8_t *matrix, int64_t rows, int64_t ld, int64_t row, int64_t b,
                        uint8_t *plain_block) {
    dlp_dtype plain = dlp_dtype_plain(x8);
    size_t row_bytes = (size_t)dlp_dtype_row_bytes(plain, ld), bb = (size_t)dlp_dtype_block_bytes(plain);
    if (row >= rows / 8 * 8) {                                  /* the plain tail */
        memcpy(plain_block, matrix + (size_t)row * row_bytes + (size_t)b * bb, bb);
        return;
    }
    const uint8_t *g = matrix + (size_t)(row / 8) * 8 * row_bytes + (size_t)b * 8 * bb;
    unpack_block(plain, g, (int)(row % 8), plain_block);
}

int dlp_dequantize_rows(dlp_dtype dtype, int64_t rows, int64_t ld, const uint8_t *src, int64_t row_begin, int64_t row_end,
                        float *dst) {
    dlp_dtype plain = dlp_dtype_plain(dtype);
    int64_t block = dlp_dtype_block_elements(plain), row_bytes = dlp_dtype_row_bytes(plain, ld);
    if (block < 32 || row_bytes <= 0 || row_begin < 0 || row_begin > row_end || row_end > rows) return -1;
    for (int64_t r = row_begin; r < row_end; r++) {
        float *out = dst + (r - row_begin) * ld;
        if (!dlp_dtype_is_row_interleaved(dtype)) {
            dlp_dequantize_blocks(plain, src + (size_t)r * (size_t)row_bytes, ld / block, out);
            continue;
        }
        for (int64_t b = 0; b < ld / 32; b++) {
            uint8_t plain_block[34];
            dlp_x8_plain_block(dtype, src, rows, ld, r, b, plain_block);
            dlp_dequantize_blocks(plain, plain_block, 1, out + b * 32);
        }
    }
    return 0;
}
