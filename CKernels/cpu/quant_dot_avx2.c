/* quant_dot_avx2.c: the x86 block-quantized dot products (quant_dot_x86.h) for AVX2+FMA+F16C and for
 * AVX-512 VNNI, chosen at run time like every SIMD path here (never -march=native). */
#include "cpu_quant.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#define SUFFIX avx2
#define DOT_U8S8(u, s) _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1))
#include "quant_dot_x86.h"
#undef DOT_U8S8
#undef SUFFIX
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni"))), apply_to = function)
#define SUFFIX vnni
#define DOT_U8S8(u, s) _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s)
#include "quant_dot_x86.h"
#undef DOT_U8S8
#undef SUFFIX
#pragma clang attribute pop

dlp_qdot_fn dlp_cpu_qdot_avx2(dlp_dtype dtype, int vnni) {
    return vnni ? qdot_for_vnni(dtype) : qdot_for_avx2(dtype);
}
#endif
