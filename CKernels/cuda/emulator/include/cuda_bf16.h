// cuda_bf16.h (emulator): __nv_bfloat16 as its 16 bits (the top half of an f32), rounded to nearest even.
#ifndef DLP_EMU_CUDA_BF16_H
#define DLP_EMU_CUDA_BF16_H

#include <stdint.h>
#include <string.h>

struct __nv_bfloat16 {
    uint16_t bits;
};

inline float __bfloat162float(__nv_bfloat16 b) {
    uint32_t x = (uint32_t)b.bits << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

inline __nv_bfloat16 __float2bfloat16_rn(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    __nv_bfloat16 b;
    if ((x & 0x7fffffffu) > 0x7f800000u) { b.bits = (uint16_t)((x >> 16) | 0x40u); return b; }   // NaN stays NaN
    x += 0x7fffu + ((x >> 16) & 1u);
    b.bits = (uint16_t)(x >> 16);
    return b;
}

#endif
