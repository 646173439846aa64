/* quant_dot_x86.h: the x86 block-quantized dot products, written once and compiled twice by
 * quant_dot_avx2.c: with SUFFIX avx2 (unsigned-by-signed byte products through vpmaddubsw + vpmaddwd)
 * and with SUFFIX vnni (vpdpbusd, AVX-512 VNNI on 256-bit registers). Included only from there, inside
 * a target pragma; DOT_U8S8(u, s) is the 8-lane int32 sum of four u8 x s8 products per lane. */

#define DLP_CAT2(a, b) a##_##b
#define DLP_CAT(a, b) DLP_CAT2(a, b)
#define FN(name) DLP_CAT(name, SUFFIX)
#define DLP_INLINE static inline __attribute__((always_inline))

DLP_INLINE float FN(hsum_ps)(__m256 v) {
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

DLP_INLINE int32_t FN(hsum_epi32)(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

DLP_INLINE float FN(f16)(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/* 0xff in byte i where bit i of the 32 bits at p is set (the fifth bits of a Q5 block). */
DLP_INLINE __m256i FN(bits_to_bytes)(const uint8_t *p) {
    uint32_t bits;
    memcpy(&bits, p, 4);
    const __m256i spread = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202,
                                              0x0303030303030303);
    const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), spread);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, select), select);
}

/* ---- 32-element blocks, R activation rows at once (R a constant after inlining) ---- */
/* Block b of the row against block b of R activation rows, added to acc and acc_c. */
DLP_INLINE void FN(q32_block)(const dlp_dtype dtype, const int R, const uint8_t *blk, const void *xq, size_t stride,
                              int64_t b, __m256 *acc, float *acc_c) {
    const __m256i low = _mm256_set1_epi8(0x0f);
    const float dw = FN(f16)(blk);
    float cw = 0.0f;
    __m256i u;
    if (dtype == DLP_DTYPE_Q8_0) {
        u = _mm256_loadu_si256((const __m256i *)(blk + 2));        /* signed: |w| below, sign moved to x */
    } else {
        const uint8_t *qs = blk + 2, *qh = NULL;
        if (dtype == DLP_DTYPE_Q4_0) { cw = -8.0f * dw; }
        else if (dtype == DLP_DTYPE_Q4_1) { cw = FN(f16)(blk + 2); qs = blk + 4; }
        else if (dtype == DLP_DTYPE_Q5_0) { cw = -16.0f * dw; qh = blk + 2; qs = blk + 6; }
        else { cw = FN(f16)(blk + 2); qh = blk + 4; qs = blk + 8; }
        __m128i raw = _mm_loadu_si128((const __m128i *)qs);
        u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low);
        if (qh) u = _mm256_or_si256(u, _mm256_and_si256(FN(bits_to_bytes)(qh), _mm256_set1_epi8(16)));
    }
    for (int r = 0; r < R; r++) {
        const dlp_q8_32 *x = (const dlp_q8_32 *)((const char *)xq + (size_t)r * stride) + b;
        __m256i xs = _mm256_loadu_si256((const __m256i *)x->q);
        __m256i isum = dtype == DLP_DTYPE_Q8_0 ? DOT_U8S8(_mm256_sign_epi8(u, u), _mm256_sign_epi8(xs, u))
                                               : DOT_U8S8(u, xs);
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(dw * x->d), acc[r]);
        if (dtype != DLP_DTYPE_Q8_0) acc_c[r] += cw * x->s;
    }
}

/* Even and odd blocks go to separate accumulators, so two blocks' FMA chains run side by side. */
DLP_INLINE void FN(dot_q32)(const dlp_dtype dtype, const int R, const void *w_row, const void *xq, size_t stride,
                            int64_t n_blocks, float *out) {
    const size_t block_bytes = (size_t)dlp_dtype_block_bytes(dtype);
    const uint8_t *row = (const uint8_t *)w_row;
    __m256 even[4], odd[4];
    float even_c[4], odd_c[4];
    for (int r = 0; r < R; r++) { even[r] = odd[r] = _mm256_setzero_ps(); even_c[r] = odd_c[r] = 0.0f; }
    int64_t b = 0;
    for (; b + 2 <= n_blocks; b += 2) {
        FN(q32_block)(dtype, R, row + (size_t)b * block_bytes, xq, stride, b, even, even_c);
        FN(q32_block)(dtype, R, row + (size_t)(b + 1) * block_bytes, xq, stride, b + 1, odd, odd_c);
    }
    if (b < n_blocks) FN(q32_block)(dtype, R, row + (size_t)b * block_bytes, xq, stride, b, even, even_c);
    for (int r = 0; r < R; r++) out[r] = FN(hsum_ps)(_mm256_add_ps(even[r], odd[r])) + (even_c[r] + odd_c[r]);
}

/* ---- K-quant super-blocks: unpack once, then R activation rows ---- */
DLP_INLINE void FN(unpack_k)(const dlp_dtype dtype, const uint8_t *b, dlp_kblock *w) {
    const __m256i low = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    dlp_cpu_kblock_scales(dtype, b, w);
    if (dtype == DLP_DTYPE_Q4_K || dtype == DLP_DTYPE_Q5_K) {
        const uint8_t *qs = dtype == DLP_DTYPE_Q5_K ? b + 48 : b + 16;
        __m256i hb = dtype == DLP_DTYPE_Q5_K ? _mm256_loadu_si256((const __m256i *)(b + 16)) : _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i lo = _mm256_and_si256(raw, low), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
            if (dtype == DLP_DTYPE_Q5_K) {
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * c), one), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * c + 1), one), 4));
            }
            _mm256_storeu_si256((__m256i *)(w->u + 64 * c), lo);
            _mm256_storeu_si256((__m256i *)(w->u + 64 * c + 32), hi);
        }
    } else if (dtype == DLP_DTYPE_Q6_K) {
        for (int half = 0; half < 2; half++) {
            __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b + 64 * half));
            __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b + 64 * half + 32));
            __m256i qh = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * half));
            uint8_t *u = w->u + 128 * half;
            _mm256_storeu_si256((__m256i *)u, _mm256_or_si256(_mm256_and_si256(ql0, low),
                                _mm256_slli_epi16(_mm256_and_si256(qh, three), 4)));
            _mm256_storeu_si256((__m256i *)(u + 32), _mm256_or_si256(_mm256_and_si256(ql1, low),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), three), 4)));
            _mm256_storeu_si256((__m256i *)(u + 64), _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), three), 4)));
            _mm256_storeu_si256((__m256i *)(u + 96), _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), three), 4)));
        }
    } else {                                         /* Q2_K, Q3_K: 2-bit fields (Q3_K: plus a high-mask bit) */
        const int q3 = dtype == DLP_DTYPE_Q3_K;
        const uint8_t *qs = q3 ? b + 32 : b + 16;
        __m256i hm = q3 ? _mm256_loadu_si256((const __m256i *)b) : _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * half));
            for (int s = 0; s < 4; s++) {
                __m256i v = _mm256_and_si256(_mm256_srli_epi16(raw, 2 * s), three);
                if (q3) v = _mm256_or_si256(v, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, 4 * half + s), one), 2));
                _mm256_storeu_si256((__m256i *)(w->u + 128 * half + 32 * s), v);
            }
        }
    }
}

DLP_INLINE void FN(dot_k)(const dlp_dtype dtype, const int R, const void *w_row, const void *xq, size_t stride,
                          int64_t n_blocks, float *out) {
    const size_t block_bytes = (size_t)dlp_dtype_block_bytes(dtype);
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t b = 0; b < n_blocks; b++) {
        dlp_kblock w;
        FN(unpack_k)(dtype, (const uint8_t *)w_row + (size_t)b * block_bytes, &w);
        __m256i scales[8];                           /* int16 lanes: sa[2c] x 8, then sa[2c + 1] x 8 */
        for (int c = 0; c < 8; c++) scales[c] = _mm256_set_m128i(_mm_set1_epi16(w.sa[2 * c + 1]), _mm_set1_epi16(w.sa[2 * c]));
        for (int r = 0; r < R; r++) {
            const dlp_q8_256 *x = (const dlp_q8_256 *)((const char *)xq + (size_t)r * stride) + b;
            __m256i isum = _mm256_setzero_si256();
            for (int c = 0; c < 8; c++) {
                __m256i u = _mm256_loadu_si256((const __m256i *)(w.u + 32 * c));
                __m256i xs = _mm256_loadu_si256((const __m256i *)(x->q + 32 * c));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(_mm256_maddubs_epi16(u, xs), scales[c]));
            }
            acc[r] += dlp_kblock_finish(&w, x, FN(hsum_epi32)(isum));
        }
    }
    for (int r = 0; r < R; r++) out[r] = acc[r];
}

/* ---- panel building: 8 rows unpacked in registers, then an 8 x 8 transpose of 4-byte groups ---- */
/* rows[j] holds 32 bytes of weight row j; afterwards rows[g] holds 4-byte group g of rows 0..7. */
DLP_INLINE void FN(transpose8x8_epi32)(__m256i rows[8]) {
    __m256i t0 = _mm256_unpacklo_epi32(rows[0], rows[1]), t1 = _mm256_unpackhi_epi32(rows[0], rows[1]);
    __m256i t2 = _mm256_unpacklo_epi32(rows[2], rows[3]), t3 = _mm256_unpackhi_epi32(rows[2], rows[3]);
    __m256i t4 = _mm256_unpacklo_epi32(rows[4], rows[5]), t5 = _mm256_unpackhi_epi32(rows[4], rows[5]);
    __m256i t6 = _mm256_unpacklo_epi32(rows[6], rows[7]), t7 = _mm256_unpackhi_epi32(rows[6], rows[7]);
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    rows[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    rows[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    rows[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    rows[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    rows[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    rows[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    rows[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    rows[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* One 32-element block as the panel's unsigned bytes (Q8_0 offset by 128), with its dw and cw. */
DLP_INLINE __m256i FN(panel_unpack32)(const dlp_dtype dtype, const uint8_t *blk, float *dw, float *cw) {
    *dw = FN(f16)(blk);
    if (dtype == DLP_DTYPE_Q8_0) {
        *cw = 0.0f;
        return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(blk + 2)), _mm256_set1_epi8((char)0x80));
    }
    const uint8_t *qs = blk + 2, *qh = NULL;
    if (dtype == DLP_DTYPE_Q4_0) { *cw = -8.0f * *dw; }
    else if (dtype == DLP_DTYPE_Q4_1) { *cw = FN(f16)(blk + 2); qs = blk + 4; }
    else if (dtype == DLP_DTYPE_Q5_0) { *cw = -16.0f * *dw; qh = blk + 2; qs = blk + 6; }
    else { *cw = FN(f16)(blk + 2); qh = blk + 4; qs = blk + 8; }
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m256i u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0f));
    if (qh) u = _mm256_or_si256(u, _mm256_and_si256(FN(bits_to_bytes)(qh), _mm256_set1_epi8(16)));
    return u;
}

/* dlp_cpu_qpanel_build's result, the same bytes, from SIMD unpacks and transposes. */
DLP_INLINE void FN(panel_build)(const dlp_dtype dtype, const char *w, size_t row_bytes, int rows, int64_t n_blocks,
                                char *panel) {
    const size_t block_bytes = (size_t)dlp_dtype_block_bytes(dtype);
    if (!dlp_dtype_is_k_quant(dtype)) {
        for (int64_t b = 0; b < n_blocks; b++) {
            char *p = panel + (size_t)b * (32 * 8 + 2 * 8 * sizeof(float));
            __m256i u[8];
            float *dw = (float *)(p + 256), *cw = dw + 8;
            for (int j = 0; j < 8; j++) {
                if (j < rows) {
                    u[j] = FN(panel_unpack32)(dtype, (const uint8_t *)w + (size_t)j * row_bytes + (size_t)b * block_bytes,
                                              &dw[j], &cw[j]);
                } else {
                    u[j] = _mm256_setzero_si256();
                    dw[j] = cw[j] = 0.0f;
                }
            }
            FN(transpose8x8_epi32)(u);
            for (int g = 0; g < 8; g++) _mm256_storeu_si256((__m256i *)(p + 32 * g), u[g]);
        }
        return;
    }
    const size_t stride = 256 * 8 + 2 * 16 * 8 * sizeof(int32_t) + 2 * 8 * sizeof(float);
    for (int64_t b = 0; b < n_blocks; b++) {
        char *p = panel + (size_t)b * stride;
        dlp_kblock k[8];
        for (int j = 0; j < 8; j++) {
            if (j < rows) FN(unpack_k)(dtype, (const uint8_t *)w + (size_t)j * row_bytes + (size_t)b * block_bytes, &k[j]);
            else memset(&k[j], 0, sizeof k[j]);
        }
        for (int c = 0; c < 8; c++) {                /* 32 elements of all 8 rows -> 8 groups of 4 x 8 rows */
            __m256i u[8];
            for (int j = 0; j < 8; j++) u[j] = _mm256_loadu_si256((const __m256i *)(k[j].u + 32 * c));
            FN(transpose8x8_epi32)(u);
            for (int g = 0; g < 8; g++) _mm256_storeu_si256((__m256i *)(p + 32 * (8 * c + g)), u[g]);
        }
        int32_t *sa = (int32_t *)(p + 2048), *sb = sa + 128;
        float *da = (float *)(sb + 128), *db = da + 8;
        for (int g = 0; g < 16; g++)
            for (int j = 0; j < 8; j++) {
                sa[g * 8 + j] = k[j].sa[g];
                sb[g * 8 + j] = k[j].sb[g];
            }
        for (int j = 0; j < 8; j++) {
            da[j] = k[j].da;
            db[j] = k[j].db;
        }
    }
}

static void FN(panel_build_entry)(dlp_dtype dtype, const char *w, size_t row_bytes, int rows, int64_t n_blocks,
                                  char *panel) {
    switch (dtype) {                 /* a constant dtype per case, so each unpack specializes */
    case DLP_DTYPE_Q4_0: FN(panel_build)(DLP_DTYPE_Q4_0, w, row_bytes, rows, n_blocks, panel); return;
    case DLP_DTYPE_Q4_1: FN(panel_build)(DLP_DTYPE_Q4_1, w, row_bytes, rows, n_blocks, panel); return;
    case DLP_DTYPE_Q5_0: FN(panel_build)(DLP_DTYPE_Q5_0, w, row_bytes, rows, n_blocks, panel); return;
    case DLP_DTYPE_Q5_1: FN(panel_build)(DLP_DTYPE_Q5_1, w, row_bytes, rows, n_blocks, panel); return;
    case DLP_DTYPE_Q8_0: FN(panel_build)(DLP_DTYPE_Q8_0, w, row_bytes, rows, n_blocks, panel); return;
    case DLP_DTYPE_Q2_K: FN(panel_build)(DLP_DTYPE_Q2_K, w, row_bytes, rows, n_blocks, panel); return;
    case DLP_DTYPE_Q3_K: FN(panel_build)(DLP_DTYPE_Q3_K, w, row_bytes, rows, n_blocks, panel); return;
    case DLP_DTYPE_Q4_K: FN(panel_build)(DLP_DTYPE_Q4_K, w, row_bytes, rows, n_blocks, panel); return;
    case DLP_DTYPE_Q5_K: FN(panel_build)(DLP_DTYPE_Q5_K, w, row_bytes, rows, n_blocks, panel); return;
    default: FN(panel_build)(DLP_DTYPE_Q6_K, w, row_bytes, rows, n_blocks, panel); return;
    }
}

/* ---- prefill panels (cpu_quant.h): 8 weight rows per vector, R activation rows at once ---- */
DLP_INLINE void FN(panel_q32)(const dlp_dtype dtype, const int R, const char *panel, int64_t n_blocks, const char *xq,
                              size_t stride, float *out) {
    const size_t block_bytes = 32 * 8 + 2 * 8 * sizeof(float);
    __m256 acc[4];
    for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n_blocks; b++) {
        const char *p = panel + (size_t)b * block_bytes;
        __m256i isum[4];
        for (int r = 0; r < R; r++) isum[r] = _mm256_setzero_si256();
        for (int g = 0; g < 8; g++) {
            __m256i w = _mm256_loadu_si256((const __m256i *)(p + 32 * g));
            for (int r = 0; r < R; r++) {
                int32_t four;
                memcpy(&four, ((const dlp_q8_32 *)(xq + (size_t)r * stride))[b].q + 4 * g, 4);
                isum[r] = DOT4_ACC(isum[r], w, _mm256_set1_epi32(four));
            }
        }
        const __m256 dw = _mm256_loadu_ps((const float *)(p + 256)), cw = _mm256_loadu_ps((const float *)(p + 288));
        for (int r = 0; r < R; r++) {
            const dlp_q8_32 *x = (const dlp_q8_32 *)(xq + (size_t)r * stride) + b;
            __m256i sum = isum[r];
            if (dtype == DLP_DTYPE_Q8_0) sum = _mm256_sub_epi32(sum, _mm256_set1_epi32(128 * x->sum));
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(dw, _mm256_set1_ps(x->d)), acc[r]);
            if (dtype != DLP_DTYPE_Q8_0) acc[r] = _mm256_fmadd_ps(cw, _mm256_set1_ps(x->s), acc[r]);
        }
    }
    for (int r = 0; r < R; r++) _mm256_storeu_ps(out + 8 * r, acc[r]);
}

DLP_INLINE void FN(panel_k)(const dlp_dtype dtype, const int R, const char *panel, int64_t n_blocks, const char *xq,
                            size_t stride, float *out) {
#pragma STDC FP_CONTRACT OFF
    (void)dtype;
    const size_t block_bytes = 256 * 8 + 2 * 16 * 8 * sizeof(int32_t) + 2 * 8 * sizeof(float);
    __m256 acc[4];
    for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n_blocks; b++) {
        const char *p = panel + (size_t)b * block_bytes;
        const __m256i *sa = (const __m256i *)(p + 2048), *sb = sa + 16;
        __m256i total[4];
        for (int r = 0; r < R; r++) total[r] = _mm256_setzero_si256();
        for (int g = 0; g < 16; g++) {
            __m256i part[4];
            for (int r = 0; r < R; r++) part[r] = _mm256_setzero_si256();
            for (int q = 0; q < 4; q++) {
                __m256i w = _mm256_loadu_si256((const __m256i *)(p + 32 * (4 * g + q)));
                for (int r = 0; r < R; r++) {
                    int32_t four;
                    memcpy(&four, ((const dlp_q8_256 *)(xq + (size_t)r * stride))[b].q + 16 * g + 4 * q, 4);
                    part[r] = DOT4_ACC(part[r], w, _mm256_set1_epi32(four));
                }
            }
            __m256i scale = _mm256_loadu_si256(sa + g);
            for (int r = 0; r < R; r++) total[r] = _mm256_add_epi32(total[r], _mm256_mullo_epi32(part[r], scale));
        }
        const __m256 da = _mm256_loadu_ps((const float *)(sb + 16)), db = _mm256_loadu_ps((const float *)(sb + 16) + 8);
        for (int r = 0; r < R; r++) {
            const dlp_q8_256 *x = (const dlp_q8_256 *)(xq + (size_t)r * stride) + b;
            __m256i mins = _mm256_setzero_si256();
            for (int g = 0; g < 16; g++)
                mins = _mm256_add_epi32(mins, _mm256_mullo_epi32(_mm256_loadu_si256(sb + g), _mm256_set1_epi32(x->bsums[g])));
            /* dlp_kblock_finish's operations, in its order, so the result is the reference's bit for bit */
            __m256 t = _mm256_sub_ps(_mm256_mul_ps(da, _mm256_cvtepi32_ps(total[r])), _mm256_mul_ps(db, _mm256_cvtepi32_ps(mins)));
            acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(_mm256_set1_ps(x->d), t));
        }
    }
    for (int r = 0; r < R; r++) _mm256_storeu_ps(out + 8 * r, acc[r]);
}

#define DLP_PANEL_ENTRY(kernel, name, dtype_value)                                                            \
    static void FN(name)(dlp_dtype dtype, const char *panel, int64_t n_blocks, const char *xq, size_t stride,  \
                         int rows, float *out) {                                                              \
        (void)dtype;                                                                                          \
        switch (rows) {                                                                                       \
        case 1: FN(kernel)(dtype_value, 1, panel, n_blocks, xq, stride, out); break;                          \
        case 2: FN(kernel)(dtype_value, 2, panel, n_blocks, xq, stride, out); break;                          \
        case 3: FN(kernel)(dtype_value, 3, panel, n_blocks, xq, stride, out); break;                          \
        default: FN(kernel)(dtype_value, 4, panel, n_blocks, xq, stride, out); break;                         \
        }                                                                                                     \
    }
DLP_PANEL_ENTRY(panel_q32, panel_q8_0, DLP_DTYPE_Q8_0)
DLP_PANEL_ENTRY(panel_q32, panel_q32_any, DLP_DTYPE_Q4_0)   /* every other 32-element format: same arithmetic */
DLP_PANEL_ENTRY(panel_k, panel_k_any, DLP_DTYPE_Q4_K)

static dlp_qpanel_fn FN(qpanel_for)(dlp_dtype dtype) {
    if (dtype == DLP_DTYPE_Q8_0) return FN(panel_q8_0);
    return dlp_dtype_is_k_quant(dtype) ? FN(panel_k_any) : FN(panel_q32_any);
}
#undef DLP_PANEL_ENTRY

/* ---- row-interleaved groups (DLP_DTYPE_*_X8, dlp_kernels.h): stored as panels, so nothing is built per
 * call. A chunk holds 8 bytes of each of 8 rows; a 32-bit lane pairs with the row's neighbouring lane,
 * so one broadcast of 8 activation bytes feeds both, and each row's two lanes are summed at the end. ---- */
DLP_INLINE int64_t FN(load8)(const int8_t *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

#if X8_MAX_ROWS == 8
/* AVX-512 (VNNI): a whole chunk (8 rows x 8 bytes) per 512-bit vector, up to 8 activation rows per pass
 * (8 independent accumulator chains). */
DLP_INLINE void FN(x8_q32)(const dlp_dtype plain, const int R, const char *group, int64_t n_blocks, const char *xq,
                           size_t stride, float *out) {
    const size_t column_bytes = plain == DLP_DTYPE_Q4_0 ? 144 : plain == DLP_DTYPE_Q4_1 ? 160 : 272;
    const size_t values = plain == DLP_DTYPE_Q4_1 ? 32 : 16;
    const __m512i low = _mm512_set1_epi32(0x0f0f0f0f);
    const __m512i pairs = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const __mmask16 even = 0x5555;
    __m512 acc[8];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < n_blocks; b++) {
        const char *p = group + (size_t)b * column_bytes;
        /* each row's scale on both of its lanes; the constant term on the even lane only (added once) */
        const __m512 dw = _mm512_permutexvar_ps(pairs, _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p))));
        __m512 cw = _mm512_setzero_ps();
        if (plain == DLP_DTYPE_Q4_0) cw = _mm512_maskz_mul_ps(even, dw, _mm512_set1_ps(-8.0f));
        if (plain == DLP_DTYPE_Q4_1)
            cw = _mm512_maskz_permutexvar_ps(even, pairs, _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16)))));
        const dlp_q8_32 *x[8];
        __m512i isum[8];
        for (int r = 0; r < R; r++) {
            x[r] = (const dlp_q8_32 *)(xq + (size_t)r * stride) + b;
            isum[r] = _mm512_setzero_si512();
        }
        if (plain == DLP_DTYPE_Q8_0) {
            for (int c = 0; c < 4; c++) {
                const __m512i w = _mm512_loadu_si512((const void *)(p + values + 64 * c));
                for (int r = 0; r < R; r++) isum[r] = _mm512_dpbusd_epi32(isum[r], w, _mm512_set1_epi64(FN(load8)(x[r]->q + 8 * c)));
            }
        } else {
            for (int c = 0; c < 2; c++) {
                const __m512i v = _mm512_loadu_si512((const void *)(p + values + 64 * c));
                const __m512i lo = _mm512_and_si512(v, low), hi = _mm512_and_si512(_mm512_srli_epi32(v, 4), low);
                for (int r = 0; r < R; r++) {
                    isum[r] = _mm512_dpbusd_epi32(isum[r], lo, _mm512_set1_epi64(FN(load8)(x[r]->q + 8 * c)));
                    isum[r] = _mm512_dpbusd_epi32(isum[r], hi, _mm512_set1_epi64(FN(load8)(x[r]->q + 16 + 8 * c)));
                }
            }
        }
        for (int r = 0; r < R; r++) {
            __m512i sum = isum[r];
            if (plain == DLP_DTYPE_Q8_0) sum = _mm512_mask_sub_epi32(sum, even, sum, _mm512_set1_epi32(128 * x[r]->sum));
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dw, _mm512_set1_ps(x[r]->d)), acc[r]);
            if (plain != DLP_DTYPE_Q8_0) acc[r] = _mm512_fmadd_ps(cw, _mm512_set1_ps(x[r]->s), acc[r]);
        }
    }
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15);
    for (int r = 0; r < R; r++)
        _mm256_storeu_ps(out + 8 * r, _mm256_add_ps(_mm512_castps512_ps256(_mm512_permutexvar_ps(evens, acc[r])),
                                                    _mm512_castps512_ps256(_mm512_permutexvar_ps(odds, acc[r]))));
}
#else
/* AVX2: half a chunk (4 rows x 8 bytes) per 256-bit vector; rows 0-3, then rows 4-7, each over every
 * block, up to 4 activation rows per pass (Q4 formats: Q8_0's offset bytes saturate vpmaddubsw). */
DLP_INLINE void FN(x8_q32)(const dlp_dtype plain, const int R, const char *group, int64_t n_blocks, const char *xq,
                           size_t stride, float *out) {
    const size_t column_bytes = plain == DLP_DTYPE_Q4_0 ? 144 : 160;
    const size_t values = plain == DLP_DTYPE_Q4_1 ? 32 : 16;
    const __m256i low = _mm256_set1_epi8(0x0f), pairs = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    for (int half = 0; half < 2; half++) {
        __m256 acc[4];
        for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
        for (int64_t b = 0; b < n_blocks; b++) {
            const char *p = group + (size_t)b * column_bytes;
            const __m256 dw = _mm256_permutevar8x32_ps(
                _mm256_castps128_ps256(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)(p + 8 * half)))), pairs);
            __m256 cw = plain == DLP_DTYPE_Q4_0 ? _mm256_mul_ps(dw, _mm256_set1_ps(-8.0f))
                        : _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)(p + 16 + 8 * half)))), pairs);
            cw = _mm256_blend_ps(_mm256_setzero_ps(), cw, 0x55);          /* the constant term once per row */
            const dlp_q8_32 *x[4];
            __m256i isum[4];
            for (int r = 0; r < R; r++) {
                x[r] = (const dlp_q8_32 *)(xq + (size_t)r * stride) + b;
                isum[r] = _mm256_setzero_si256();
            }
            for (int c = 0; c < 2; c++) {
                const __m256i v = _mm256_loadu_si256((const __m256i *)(p + values + 64 * c + 32 * half));
                const __m256i lo = _mm256_and_si256(v, low), hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), low);
                for (int r = 0; r < R; r++) {
                    isum[r] = DOT4_ACC(isum[r], lo, _mm256_set1_epi64x(FN(load8)(x[r]->q + 8 * c)));
                    isum[r] = DOT4_ACC(isum[r], hi, _mm256_set1_epi64x(FN(load8)(x[r]->q + 16 + 8 * c)));
                }
            }
            for (int r = 0; r < R; r++) {
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[r]), _mm256_mul_ps(dw, _mm256_set1_ps(x[r]->d)), acc[r]);
                acc[r] = _mm256_fmadd_ps(cw, _mm256_set1_ps(x[r]->s), acc[r]);
            }
        }
        for (int r = 0; r < R; r++) {                    /* lanes (2i, 2i + 1) are row 4 * half + i */
            __m256 sums = _mm256_permutevar8x32_ps(_mm256_hadd_ps(acc[r], acc[r]), _mm256_setr_epi32(0, 1, 4, 5, 0, 1, 4, 5));
            _mm_storeu_ps(out + 8 * r + 4 * half, _mm256_castps256_ps128(sums));
        }
    }
}
#endif

#define DLP_X8_CASE(R, plain) case R: FN(x8_q32)(plain, R, group, n_blocks, xq, stride, out); break;
#if X8_MAX_ROWS == 8
#define DLP_X8_CASES(plain) DLP_X8_CASE(1, plain) DLP_X8_CASE(2, plain) DLP_X8_CASE(3, plain) DLP_X8_CASE(4, plain) \
    DLP_X8_CASE(5, plain) DLP_X8_CASE(6, plain) DLP_X8_CASE(7, plain) default: FN(x8_q32)(plain, 8, group, n_blocks, xq, stride, out);
#else
#define DLP_X8_CASES(plain) DLP_X8_CASE(1, plain) DLP_X8_CASE(2, plain) DLP_X8_CASE(3, plain) \
    default: FN(x8_q32)(plain, 4, group, n_blocks, xq, stride, out);
#endif
#define DLP_X8_ENTRY(name, plain)                                                                             \
    static void FN(name)(dlp_dtype dtype, const char *group, int64_t n_blocks, const char *xq, size_t stride, \
                         int rows, float *out) {                                                              \
        (void)dtype;                                                                                          \
        switch (rows) { DLP_X8_CASES(plain) }                                                                 \
    }
DLP_X8_ENTRY(x8_q4_0, DLP_DTYPE_Q4_0)
DLP_X8_ENTRY(x8_q4_1, DLP_DTYPE_Q4_1)
#if X8_MAX_ROWS == 8
DLP_X8_ENTRY(x8_q8_0, DLP_DTYPE_Q8_0)
#endif
#undef DLP_X8_ENTRY
#undef DLP_X8_CASES
#undef DLP_X8_CASE

static dlp_qpanel_fn FN(qx8_for)(dlp_dtype dtype) {
    switch (dtype) {
    case DLP_DTYPE_Q4_0_X8: return FN(x8_q4_0);
    case DLP_DTYPE_Q4_1_X8: return FN(x8_q4_1);
#if X8_MAX_ROWS == 8
    case DLP_DTYPE_Q8_0_X8: return FN(x8_q8_0);
#endif
    default: return NULL;
    }
}

/* The table entries: rows 1 to 4, each with its own constant R so the row loop unrolls. */
#define DLP_QDOT_ENTRY(kernel, name, dtype)                                                                   \
    static void FN(name)(const void *w, const void *xq, size_t stride, int rows, int64_t n_blocks, float *out) { \
        switch (rows) {                                                                                     \
        case 1: FN(kernel)(dtype, 1, w, xq, stride, n_blocks, out); break;                                  \
        case 2: FN(kernel)(dtype, 2, w, xq, stride, n_blocks, out); break;                                  \
        case 3: FN(kernel)(dtype, 3, w, xq, stride, n_blocks, out); break;                                  \
        default: FN(kernel)(dtype, 4, w, xq, stride, n_blocks, out); break;                                 \
        }                                                                                                   \
    }
DLP_QDOT_ENTRY(dot_q32, dot_q4_0, DLP_DTYPE_Q4_0)
DLP_QDOT_ENTRY(dot_q32, dot_q4_1, DLP_DTYPE_Q4_1)
DLP_QDOT_ENTRY(dot_q32, dot_q5_0, DLP_DTYPE_Q5_0)
DLP_QDOT_ENTRY(dot_q32, dot_q5_1, DLP_DTYPE_Q5_1)
DLP_QDOT_ENTRY(dot_q32, dot_q8_0, DLP_DTYPE_Q8_0)
DLP_QDOT_ENTRY(dot_k, dot_q2_k, DLP_DTYPE_Q2_K)
DLP_QDOT_ENTRY(dot_k, dot_q3_k, DLP_DTYPE_Q3_K)
DLP_QDOT_ENTRY(dot_k, dot_q4_k, DLP_DTYPE_Q4_K)
DLP_QDOT_ENTRY(dot_k, dot_q5_k, DLP_DTYPE_Q5_K)
DLP_QDOT_ENTRY(dot_k, dot_q6_k, DLP_DTYPE_Q6_K)

static dlp_qdot_fn FN(qdot_for)(dlp_dtype dtype) {
    switch (dtype) {
    case DLP_DTYPE_Q4_0: return FN(dot_q4_0);
    case DLP_DTYPE_Q4_1: return FN(dot_q4_1);
    case DLP_DTYPE_Q5_0: return FN(dot_q5_0);
    case DLP_DTYPE_Q5_1: return FN(dot_q5_1);
    case DLP_DTYPE_Q8_0: return FN(dot_q8_0);
    case DLP_DTYPE_Q2_K: return FN(dot_q2_k);
    case DLP_DTYPE_Q3_K: return FN(dot_q3_k);
    case DLP_DTYPE_Q4_K: return FN(dot_q4_k);
    case DLP_DTYPE_Q5_K: return FN(dot_q5_k);
    case DLP_DTYPE_Q6_K: return FN(dot_q6_k);
    default: return NULL;
    }
}

#undef DLP_QDOT_ENTRY
#undef DLP_INLINE
#undef FN
#undef DLP_CAT
#undef DLP_CAT2
