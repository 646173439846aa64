/* quant_panel.c: builds the prefill panels of cpu_quant.h: 8 weight rows of a block format unpacked to
 * unsigned bytes and interleaved four bytes per row, with their scales gathered per block (the x86
 * panel product in quant_dot_x86.h reads them). Built once per 8 rows per call and reused for every
 * activation row of the prefill. */
#include "cpu_quant.h"

size_t dlp_cpu_qpanel_block_bytes(dlp_dtype dtype) {
    return dlp_dtype_is_k_quant(dtype) ? 256 * 8 + 2 * 16 * 8 * sizeof(int32_t) + 2 * 8 * sizeof(float)
                                       : 32 * 8 + 2 * 8 * sizeof(float);
}

void dlp_cpu_qpanel_build(dlp_dtype dtype, const char *w, size_t row_bytes, int rows, int64_t n_blocks, char *panel) {
    size_t block_bytes = (size_t)dlp_dtype_block_bytes(dtype), stride = dlp_cpu_qpanel_block_bytes(dtype);
    memset(panel, 0, stride * (size_t)n_blocks);
    for (int64_t b = 0; b < n_blocks; b++) {
        char *p = panel + (size_t)b * stride;
        for (int j = 0; j < rows; j++) {
            const uint8_t *block = (const uint8_t *)w + (size_t)j * row_bytes + (size_t)b * block_bytes;
            if (dlp_dtype_is_k_quant(dtype)) {
                dlp_kblock k;
                dlp_cpu_unpack_kblock(dtype, block, &k);
                for (int g = 0; g < 64; g++) memcpy(p + (g * 8 + j) * 4, k.u + 4 * g, 4);
                int32_t *sa = (int32_t *)(p + 2048), *sb = sa + 128;
                float *da = (float *)(sb + 128), *db = da + 8;
                for (int g = 0; g < 16; g++) {
                    sa[g * 8 + j] = k.sa[g];
                    sb[g * 8 + j] = k.sb[g];
                }
                da[j] = k.da;
                db[j] = k.db;
            } else {
                uint8_t u[32];
                float *dw = (float *)(p + 256), *cw = dw + 8;
                dlp_cpu_unpack_q32(dtype, block, u, &dw[j], &cw[j]);
                for (int g = 0; g < 8; g++) memcpy(p + (g * 8 + j) * 4, u + 4 * g, 4);
            }
        }
    }
}
