// vector_loads.cuh: 16-byte loads of weights of a dtype fixed at compile time, widened to f32, and their
// dot with f32 activations (in global or shared memory): shared by the GEMV (gemm.cu) and the LoRA shrink
// (lora.cu).
#ifndef DLP_VECTOR_LOADS_CUH
#define DLP_VECTOR_LOADS_CUH

#include "cuda_internal.cuh"

// 8 consecutive weights of dtype D from w (16-byte aligned) as f32: one 16-byte load for 16-bit
// types, two for f32.
template <dlp_dtype D>
__device__ __forceinline__ void load8(const void *w, int64_t index, float out[8]) {
    if constexpr (D == DLP_DTYPE_F32) {
        const float4 *p = (const float4 *)((const float *)w + index);
        float4 a = __ldg(p), b = __ldg(p + 1);
        out[0] = a.x; out[1] = a.y; out[2] = a.z; out[3] = a.w;
        out[4] = b.x; out[5] = b.y; out[6] = b.z; out[7] = b.w;
    } else {
        uint4 raw = __ldg((const uint4 *)((const uint16_t *)w + index));
        const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
        for (int i = 0; i < 4; i++) {
            uint16_t lo = (uint16_t)(words[i] & 0xffffu), hi = (uint16_t)(words[i] >> 16);
            if constexpr (D == DLP_DTYPE_F16) {
                out[2 * i] = __half2float(__ushort_as_half(lo));
                out[2 * i + 1] = __half2float(__ushort_as_half(hi));
            } else {
                out[2 * i] = __uint_as_float((uint32_t)lo << 16);
                out[2 * i + 1] = __uint_as_float((uint32_t)hi << 16);
            }
        }
    }
}

// The dot of 8 weights with 8 activations from xp (16-byte aligned).
__device__ __forceinline__ float dot8(const float wv[8], const float *xp) {
    float4 a = __ldg((const float4 *)xp), b = __ldg((const float4 *)xp + 1);
    return wv[0] * a.x + wv[1] * a.y + wv[2] * a.z + wv[3] * a.w + wv[4] * b.x + wv[5] * b.y + wv[6] * b.z + wv[7] * b.w;
}

// wv's two halves swapped when `swap` is set (a select per element, no dynamic indexing into registers).
__device__ __forceinline__ void swap_halves_if(float wv[8], int swap) {
    for (int i = 0; i < 4; i++) {
        float first = wv[i], second = wv[i + 4];
        wv[i] = swap ? second : first;
        wv[i + 4] = swap ? first : second;
    }
}

// 8 activations as registers, second half first when `second_half_first` is set (to pair with weights whose
// halves swap_halves_if swapped; alternating lanes then spread a quarter-warp's 16-byte shared-memory reads
// over all 32 banks): from shared memory, or (Global) from global memory through the read-only cache.
// xp is 16-byte aligned.
template <bool Global>
__device__ __forceinline__ void load_x8(const float *xp, int second_half_first, float xv[8]) {
    const float4 *p = (const float4 *)xp;
    float4 a, b;
    if constexpr (Global) {
        a = __ldg(p + second_half_first);
        b = __ldg(p + (second_half_first ^ 1));
    } else {
        a = p[second_half_first];
        b = p[second_half_first ^ 1];
    }
    xv[0] = a.x; xv[1] = a.y; xv[2] = a.z; xv[3] = a.w;
    xv[4] = b.x; xv[5] = b.y; xv[6] = b.z; xv[7] = b.w;
}

// The dot of 8 weights with 8 activations, both in registers.
__device__ __forceinline__ float dot8_registers(const float wv[8], const float xv[8]) {
    return wv[0] * xv[0] + wv[1] * xv[1] + wv[2] * xv[2] + wv[3] * xv[3] + wv[4] * xv[4] + wv[5] * xv[5] + wv[6] * xv[6] +
           wv[7] * xv[7];
}

#endif
