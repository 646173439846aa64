/* quant_dot_avx2.c: the x86 block-quantized dot products, prefill panel products and row-interleaved
 * group products (quant_dot_x86.h) for AVX2+FMA+F16C and for AVX-512 VNNI, chosen at run time like
 * every SIMD path here (never -march=native). */
#include "cpu_quant.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#define SUFFIX avx2
#define DOT_U8S8(u, s) _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1))
#define DOT4_ACC(acc, u, s) _mm256_add_epi32(acc, DOT_U8S8(u, s))
#define X8_MAX_ROWS 4          /* 16 vector registers */
#include "quant_dot_x86.h"
#undef X8_MAX_ROWS
#undef DOT4_ACC
#undef DOT_U8S8
#undef SUFFIX
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni"))), apply_to = function)
#define SUFFIX vnni
#define DOT_U8S8(u, s) _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s)
#define DOT4_ACC(acc, u, s) _mm256_dpbusd_epi32(acc, u, s)
#define X8_MAX_ROWS 8          /* 32 vector registers: 8 independent accumulator chains */
#include "quant_dot_x86.h"
#undef X8_MAX_ROWS
#undef DOT4_ACC
#undef DOT_U8S8
#undef SUFFIX
#pragma clang attribute pop

dlp_qdot_fn dlp_cpu_qdot_avx2(dlp_dtype dtype, int vnni) {
    return vnni ? qdot_for_vnni(dtype) : qdot_for_avx2(dtype);
}

dlp_qpanel_build_fn dlp_cpu_qpanel_build_avx2(int vnni) { return vnni ? panel_build_entry_vnni : panel_build_entry_avx2; }

dlp_qpanel_fn dlp_cpu_qx8_avx2(dlp_dtype dtype, int vnni, int *max_rows) {
    *max_rows = vnni ? 8 : 4;
    /* vpmaddubsw saturates at 16 bits: Q8_0's values stored offset to 0..255 need VNNI (no AVX2 kernel) */
    return vnni ? qx8_for_vnni(dtype) : qx8_for_avx2(dtype);
}

dlp_qpanel_fn dlp_cpu_qpanel_avx2(dlp_dtype dtype, int vnni) {
    /* vpmaddubsw saturates at 16 bits: Q8_0's bytes (offset to 0..255) times 127 overflow it, so Q8_0
     * panels need VNNI; without it Q8_0 prefill keeps the row-dot path */
    if (!vnni && dtype == DLP_DTYPE_Q8_0) return NULL;
    return vnni ? qpanel_for_vnni(dtype) : qpanel_for_avx2(dtype);
}
#else
dlp_qpanel_build_fn dlp_cpu_qpanel_build_avx2(int vnni) { (void)vnni; return NULL; }

dlp_qpanel_fn dlp_cpu_qpanel_avx2(dlp_dtype dtype, int vnni) { (void)dtype; (void)vnni; return NULL; }
dlp_qpanel_fn dlp_cpu_qx8_avx2(dlp_dtype dtype, int vnni, int *max_rows) { (void)dtype; (void)vnni; *max_rows = 0; return NULL; }
dlp_qdot_fn dlp_cpu_qdot_avx2(dlp_dtype dtype, int vnni) { (void)dtype; (void)vnni; return NULL; }
#endif
