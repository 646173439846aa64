/* cpu_internal.h: what the CPU kernel files share: the context (thread pool, scratch, error text),
 * the work-splitting helper, f16/bf16 conversions and the runtime CPU feature flags. */
#ifndef DLP_CPU_INTERNAL_H
#define DLP_CPU_INTERNAL_H

#include "dlp_kernels.h"
#include <stdint.h>
#include <string.h>

typedef struct dlp_thread_pool dlp_thread_pool;

/* A task runs items [begin, end) of a range split by dlp_parallel_for, on pool thread `thread`. */
typedef void (*dlp_range_fn)(void *arg, int64_t begin, int64_t end, int32_t thread);

dlp_thread_pool *dlp_thread_pool_create(int32_t n_threads);
void dlp_thread_pool_destroy(dlp_thread_pool *pool);
int32_t dlp_thread_pool_size(const dlp_thread_pool *pool);
/* Splits [0, n) into one contiguous chunk per thread (the caller runs the first) and waits for all.
 * Runs inline when n < 2 * min_items_per_thread. */
void dlp_parallel_for(dlp_thread_pool *pool, int64_t n, int64_t min_items_per_thread, dlp_range_fn fn, void *arg);
/* A task that runs once on each of the pool's n_threads threads (thread in [0, n_threads)). */
typedef void (*dlp_thread_fn)(void *arg, int32_t thread, int32_t n_threads);
/* Runs fn on every thread of the pool and waits for all; fn may call dlp_parallel_barrier. */
void dlp_parallel_run(dlp_thread_pool *pool, dlp_thread_fn fn, void *arg);
/* Inside dlp_parallel_run only: returns once every thread of the pool has reached it. */
void dlp_parallel_barrier(dlp_thread_pool *pool);

/* The last quantized activations of a block-quantized gemm (activation_memo.c). */
typedef struct {
    char *xq; size_t xq_capacity;    /* m rows in the weight format's activation blocks */
    float *x; size_t x_capacity;     /* [m, k]: the f32 rows they were made from */
    const float *source;             /* where those rows were read */
    int64_t m, k, ldx;
    int k_quant;                     /* dlp_q8_256 blocks (1) or dlp_q8_32 (0) */
    int valid;
} dlp_activation_memo;

struct dlp_context {
    dlp_thread_pool *pool;
    int32_t n_threads;
    int has_avx2;            /* AVX2 + FMA + F16C available at run time */
    int has_vnni;            /* AVX-512 VL + VNNI available (and allowed) at run time */
    float *scratch;          /* grows on demand; gemm widens f16/bf16 weight tiles here (one region per thread),
                              * or keeps x quantized and the per-thread panels of a block-quantized W */
    size_t scratch_floats;
    dlp_activation_memo activations; /* quantized x, reused while a gemm's x is unchanged */
    char error[512];
    char description[256];
};

struct dlp_buffer {
    void *data;
    size_t bytes;
    int owned;               /* 0: wraps caller memory (buffer_from_host) */
};

/* Records a message on ctx and returns status (printf-style). */
dlp_status dlp_cpu_fail(dlp_context *ctx, dlp_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns scratch of at least n floats, or NULL (and records the error) when allocation fails. */
float *dlp_cpu_scratch(dlp_context *ctx, size_t n);

static inline float dlp_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {                               /* subnormal: normalize */
            int e = -1;
            do { e++; mant <<= 1; } while ((mant & 0x400) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float dlp_bfloat_to_float(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Element i of a weight vector stored in dtype. */
static inline float dlp_load_weight(const void *w, dlp_dtype dtype, int64_t i) {
    switch (dtype) {
    case DLP_DTYPE_F16: return dlp_half_to_float(((const uint16_t *)w)[i]);
    case DLP_DTYPE_BF16: return dlp_bfloat_to_float(((const uint16_t *)w)[i]);
    default: return ((const float *)w)[i];
    }
}

/* f32, f16 or bf16: what norms, biases and adapter banks may be (the block formats are weights only). */
static inline int dlp_dtype_is_float(dlp_dtype d) {
    return d == DLP_DTYPE_F32 || d == DLP_DTYPE_F16 || d == DLP_DTYPE_BF16;
}

static inline size_t dlp_dtype_size(dlp_dtype d) { return d == DLP_DTYPE_F32 ? 4 : 2; }

/* Widens row[0..n) of dtype to f32 (AVX2 path when available). */
void dlp_cpu_widen_row(const dlp_context *ctx, const void *row, dlp_dtype dtype, int64_t n, float *out);
/* y[i] += alpha * x[i] for i < n, x in dtype (AVX2 path when available). */
void dlp_cpu_axpy(const dlp_context *ctx, float alpha, const void *x, dlp_dtype dtype, float *y, int64_t n);
/* sum_i x[i] * w[i], w in dtype (AVX2 path when available). */
float dlp_cpu_dot(const dlp_context *ctx, const float *x, const void *w, dlp_dtype dtype, int64_t n);
/* out[r] = sum_i x[i] * w_r[i] for the four rows w_r = w + r * stride bytes (x is read once). */
void dlp_cpu_dot4(const dlp_context *ctx, const float *x, const void *w, size_t stride, dlp_dtype dtype, int64_t n,
                  float out[4]);
/* y[i] += sum_r alpha[r] * w_r[i] for the four rows w_r = w + r * stride bytes (y is read and written once). */
void dlp_cpu_axpy4(const dlp_context *ctx, const float alpha[4], const void *w, size_t stride, dlp_dtype dtype, float *y,
                   int64_t n);

/* The op entry points of the table, one file each group. */
dlp_status dlp_cpu_gemm(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                        const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                        float beta, float *y, int64_t ldy);
dlp_status dlp_cpu_embedding(dlp_context *ctx, int64_t m, const int32_t *ids, const void *table,
                             dlp_dtype table_dtype, int64_t vocab, int64_t dim, float *out, int64_t ldo);
dlp_status dlp_cpu_rmsnorm(dlp_context *ctx, int64_t m, int64_t d, const float *x, int64_t ldx,
                           const void *w, dlp_dtype w_dtype, float eps, float *y, int64_t ldy);
dlp_status dlp_cpu_rope(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
                        float *x, int64_t ldx, const int32_t *positions, const float *inv_freq);
dlp_status dlp_cpu_kv_store(dlp_context *ctx, int64_t m, int64_t n_kv, int64_t head_dim,
                            const float *k, int64_t ldk, const float *v, int64_t ldv,
                            float *k_cache, float *v_cache, int64_t n_slots, int64_t max_seq,
                            const int32_t *slots, const int32_t *positions);
dlp_status dlp_cpu_rope_kv_store(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                                 int64_t rot_dim, float *q, int64_t ldq, float *k, int64_t ldk, const float *v,
                                 int64_t ldv, const int32_t *positions, const float *inv_freq, float *k_cache,
                                 float *v_cache, int64_t n_slots, int64_t max_seq, const int32_t *slots);
dlp_status dlp_cpu_embedding_bag(dlp_context *ctx, int64_t s, const float *table, int64_t rows, int64_t dim,
                                 const int32_t *features, const int32_t *offsets, float *out, int64_t ldo);
dlp_status dlp_cpu_relu(dlp_context *ctx, int64_t m, int64_t n, float *x, int64_t ldx);
dlp_status dlp_cpu_attention(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                             const float *q, int64_t ldq, const float *k_cache, const float *v_cache,
                             int64_t n_slots, int64_t max_seq, const int32_t *slots, const int32_t *positions,
                             int32_t window, float scale, float *out, int64_t ldo);
dlp_status dlp_cpu_silu_mul(dlp_context *ctx, int64_t m, int64_t n, const float *gate, int64_t ldg,
                            const float *up, int64_t ldu, float *out, int64_t ldo);
dlp_status dlp_cpu_add(dlp_context *ctx, int64_t n, const float *x, float *y);
dlp_status dlp_cpu_argmax(dlp_context *ctx, int64_t m, int64_t n, const float *x, int64_t ldx, int32_t *out);

dlp_status dlp_cpu_lora_shrink(dlp_context *ctx, int64_t m, int64_t d_in, int64_t r_max, int64_t k_slots,
                               const float *x, int64_t ldx, const void *a_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                               const int32_t *ranks, const float *scales, int64_t n_plans,
                               const int32_t *plan_adapters, const float *plan_weights, const int32_t *plan_of_row,
                               float *t);
dlp_status dlp_cpu_lora_expand(dlp_context *ctx, int64_t m, int64_t d_out, int64_t r_max, int64_t k_slots,
                               const float *t, const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                               const int32_t *ranks,
                               int64_t n_plans, const int32_t *plan_adapters, const int32_t *plan_of_row,
                               float *y, int64_t ldy);
/* The expand of one projection (lora.c), shared with gemm.c's fused gemm_lora. */
typedef struct {
    const dlp_context *ctx;
    int64_t m, d_out, r_max, k_slots;
    const float *t;                  /* f32 [m, k_slots * r_max] */
    const void *b_bank; dlp_dtype bank_dtype;   /* [n_adapters, r_max, d_out] */
    const int32_t *ranks;
    const int32_t *plan_adapters; const int32_t *plan_of_row;
    float *y; int64_t ldy;
} dlp_lora_expand_args;

/* The shrink of one projection (lora.c), shared with gemm.c's gemm_lora. */
typedef struct {
    const dlp_context *ctx;
    int64_t d_in, r_max, k_slots;
    const float *x; int64_t ldx;     /* f32 [m, d_in] */
    const void *a_bank; dlp_dtype bank_dtype;   /* [n_adapters, r_max, d_in] */
    const int32_t *ranks; const float *scales;
    const int32_t *plan_adapters; const float *plan_weights; const int32_t *plan_of_row;
    float *t;                        /* f32 [m, k_slots * r_max] */
} dlp_lora_shrink_args;

/* The shrink of m rows is split into units: (row, slot, group of four rank indices) triples,
 * unit = (i * k_slots + s) * ceil(r_max / 4) + g. This many of them: */
int64_t dlp_cpu_lora_shrink_units(const dlp_lora_shrink_args *a, int64_t m);
/* The shrink's units [begin, end). */
void dlp_cpu_lora_shrink_range(const dlp_lora_shrink_args *a, int64_t begin, int64_t end);

/* The shrink of m rows over the pool. */
void dlp_cpu_lora_shrink_run(dlp_context *ctx, const dlp_lora_shrink_args *args, int64_t m);

/* A run of bytes a kernel is about to read (for software prefetch). */
typedef struct { const char *start; int64_t bytes; } dlp_span;

/* The bank bytes that shrink units [unit_begin, unit_end) and the expand of output features
 * [n_begin, n_end) read, as at most `capacity` spans (the rest is left out); returns the count. */
int dlp_cpu_lora_spans(const dlp_lora_shrink_args *shrink, int64_t unit_begin, int64_t unit_end,
                       const dlp_lora_expand_args *expand, int64_t n_begin, int64_t n_end,
                       dlp_span *spans, int capacity);

/* Checks lora_expand's arguments (recording the error on ctx). */
dlp_status dlp_cpu_lora_expand_check(dlp_context *ctx, const char *op, int64_t m, int64_t d_out, int64_t r_max,
                                     int64_t k_slots, int64_t n_adapters, const int32_t *ranks, int64_t n_plans,
                                     const int32_t *plan_adapters, const int32_t *plan_of_row, int64_t ldy,
                                     dlp_dtype bank_dtype);
/* y[:, n_begin:n_end] += the adapters' share of those output features. */
void dlp_cpu_lora_expand_columns(const dlp_lora_expand_args *a, int64_t n_begin, int64_t n_end);
/* The expand of every output feature over the pool. */
void dlp_cpu_lora_expand_run(dlp_context *ctx, const dlp_lora_expand_args *args);

dlp_status dlp_cpu_gemm_lora(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                             const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                             float beta, float *y, int64_t ldy, int64_t r_max, int64_t k_slots, const void *a_bank,
                             const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters, const int32_t *ranks,
                             const float *scales, int64_t n_plans, const int32_t *plan_adapters,
                             const float *plan_weights, const int32_t *plan_of_row, float *t);
dlp_status dlp_cpu_sample(dlp_context *ctx, int64_t m, int64_t n, const float *logits, int64_t ldl,
                          float temperature, int32_t top_k, float top_p, const float *uniforms, int32_t *out);
dlp_status dlp_cpu_route_top_p(dlp_context *ctx, int64_t s, int64_t n_classes, const float *logits, int64_t ldl,
                               float top_p, int32_t k_max, int32_t weighting, int32_t *plan_adapters,
                               float *plan_weights);

#endif
