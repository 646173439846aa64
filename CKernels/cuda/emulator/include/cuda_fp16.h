// cuda_fp16.h (emulator): __half as its 16 bits, with the conversions the kernels use (round to nearest
// even, as the GPU's __float2half_rn).
#ifndef DLP_EMU_CUDA_FP16_H
#define DLP_EMU_CUDA_FP16_H

#include <stdint.h>
#include <string.h>

struct __half {
    uint16_t bits;
};

inline float __half2float(__half h) {
    uint32_t sign = (uint32_t)(h.bits & 0x8000u) << 16, exponent = (h.bits >> 10) & 0x1fu, mantissa = h.bits & 0x3ffu, out;
    if (exponent == 0x1fu) {
        out = sign | 0x7f800000u | (mantissa << 13);                // inf, NaN
    } else if (exponent == 0) {
        if (mantissa == 0) {
            out = sign;
        } else {                                                    // subnormal: normalize
            int shift = 0;
            while (!(mantissa & 0x400u)) { mantissa <<= 1; shift++; }
            out = sign | ((uint32_t)(127 - 15 + 1 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
        }
    } else {
        out = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &out, 4);
    return f;
}

inline __half __float2half_rn(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, magnitude = x & 0x7fffffffu;
    __half h;
    if (magnitude > 0x7f800000u) { h.bits = (uint16_t)(sign | 0x7e00u); return h; }          // NaN
    if (magnitude >= 0x477ff000u) { h.bits = (uint16_t)(sign | 0x7c00u); return h; }         // rounds past 65504: inf
    if (magnitude < 0x38800000u) {                                                           // below 2^-14: subnormal or 0
        if (magnitude < 0x33000000u) { h.bits = (uint16_t)sign; return h; }                  // below half the smallest
        uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
        // the value is mantissa * 2^(e - 150); in units of 2^-24 (the smallest subnormal), mantissa >> (126 - e)
        int shift = 126 - (int)(magnitude >> 23);
        uint32_t kept = mantissa >> shift, rest = mantissa & ((1u << shift) - 1), half_way = 1u << (shift - 1);
        if (rest > half_way || (rest == half_way && (kept & 1))) kept++;
        h.bits = (uint16_t)(sign | kept);
        return h;
    }
    uint32_t rebased = magnitude - ((127u - 15u) << 23);
    uint32_t kept = rebased >> 13, rest = rebased & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (kept & 1))) kept++;
    h.bits = (uint16_t)(sign | kept);
    return h;
}

inline __half __ushort_as_half(unsigned short bits) { __half h; h.bits = bits; return h; }

#endif
