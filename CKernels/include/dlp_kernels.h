/* dlp_kernels.h: THE kernel ABI of dlp-gpu. A versioned table of function pointers that every backend
 * (the CPU one compiled into the package, the CUDA one in libdlp_cuda.so) fills in, in the style of
 * ggml's backend interface: opaque context and buffer handles, explicit sizes and leading dimensions on
 * every argument, int32 status codes with a per-context last-error string, no hidden globals.
 *
 * Conventions
 * - Every float pointer passed to an op is a device address: dlp_buffer_data(buffer) plus a byte
 *   offset. On the CPU backend that is a host pointer; on CUDA it is device memory.
 * - Matrices are row-major; "ld" arguments are leading dimensions (elements between rows).
 * - Activations are f32. Weights keep their stored dtype (f32, f16, bf16, or a GGUF block format) and
 *   are converted inside the kernels; accumulation is always f32.
 * - Block-quantized weights (DLP_DTYPE_Q*, the GGUF layouts, see dlp_dequantize.h): a row of ld
 *   elements is ld / block_elements blocks of block_bytes each, rows back to back; ld and the row
 *   length k are multiples of the block size (32, or 256 for the K-quants). They are accepted as the
 *   weights of gemm and gemm_lora and as embedding tables, by the backends whose weight_dtypes has
 *   their bit; norms, biases and adapter banks are f32, f16 or bf16 only. A backend either computes
 *   as llama.cpp's CPU code does (the CPU here: activation rows quantized to 8 bits per block, scale
 *   and sum term rounded to f16 for the 32-element formats, an f32 scale and sums per 16 for the
 *   K-quants; integer inner loops; results within the activations' 8-bit rounding of a dequantized
 *   f32 product) or dequantizes the weights inside its kernels and keeps f32 activations (CUDA here:
 *   the dequantized f32 product itself).
 * - Ops enqueue work; results are visible to the host after buffer_download (which synchronizes).
 * - A non-zero status means nothing useful was written; last_error(ctx) says what and where.
 * - Index arrays (ids, slots, positions, plans) live in device memory, so a device backend can only see
 *   a bad index inside its kernels: it skips the row and reports INVALID_ARGUMENT at the next
 *   synchronize or buffer_download rather than from the op. The CPU backend reports it from the op.
 */
#ifndef DLP_KERNELS_H
#define DLP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every change of the table's layout or of an op's meaning. */
#define DLP_KERNELS_API_VERSION 12

/* The symbol a backend plugin (libdlp_cuda.so) exports, of type dlp_get_kernel_table_fn. */
#define DLP_PLUGIN_ENTRY_SYMBOL "dlp_plugin_kernel_table"

typedef enum dlp_dtype {
    DLP_DTYPE_F32 = 0,
    DLP_DTYPE_F16 = 1,
    DLP_DTYPE_BF16 = 2,
    /* GGUF block formats (weights and embedding tables only) */
    DLP_DTYPE_Q4_0 = 3,   /* 32 per block, 18 bytes */
    DLP_DTYPE_Q4_1 = 4,   /* 32 per block, 20 bytes */
    DLP_DTYPE_Q5_0 = 5,   /* 32 per block, 22 bytes */
    DLP_DTYPE_Q5_1 = 6,   /* 32 per block, 24 bytes */
    DLP_DTYPE_Q8_0 = 7,   /* 32 per block, 34 bytes */
    DLP_DTYPE_Q2_K = 8,   /* 256 per block, 84 bytes */
    DLP_DTYPE_Q3_K = 9,   /* 256 per block, 110 bytes */
    DLP_DTYPE_Q4_K = 10,  /* 256 per block, 144 bytes */
    DLP_DTYPE_Q5_K = 11,  /* 256 per block, 176 bytes */
    DLP_DTYPE_Q6_K = 12,  /* 256 per block, 210 bytes */
    /* Row-interleaved copies of Q4_0, Q4_1 and Q8_0 (the CPU backend's layout for integer kernels that
     * multiply 8 weight rows per instruction; made at load by dlp_pack_rows_x8, dlp_repack.h). A matrix
     * of n rows is n / 8 groups of 8 rows, then the n % 8 last rows in the plain format. A group holds,
     * for each block column b, the 8 rows' blocks b side by side:
     *   Q4_0_X8: f16 d[8], then 2 chunks c of [8 rows][8 bytes]: nibble bytes 8c..8c+7 of each row's
     *            block (low nibbles: elements 8c..8c+7, high nibbles: elements 16+8c..16+8c+7)   144 bytes
     *   Q4_1_X8: f16 d[8], f16 m[8], then the same 2 chunks of nibbles                         160 bytes
     *   Q8_0_X8: f16 d[8], then 4 chunks c of [8 rows][8 bytes]: elements 8c..8c+7 as q + 128  272 bytes
     * so a row takes the plain format's bytes and sizes, ld and row bytes are the plain format's. Only
     * gemm and gemm_lora (with n = all the matrix's rows) and embedding take them. */
    DLP_DTYPE_Q4_0_X8 = 13,
    DLP_DTYPE_Q4_1_X8 = 14,
    DLP_DTYPE_Q8_0_X8 = 15,
    DLP_DTYPE_COUNT = 16,
} dlp_dtype;

/* Elements per block of a dtype (1 for f32/f16/bf16; 0 for a value that is no dtype). */
static inline int64_t dlp_dtype_block_elements(dlp_dtype d) {
    switch (d) {
    case DLP_DTYPE_F32: case DLP_DTYPE_F16: case DLP_DTYPE_BF16: return 1;
    case DLP_DTYPE_Q4_0: case DLP_DTYPE_Q4_1: case DLP_DTYPE_Q5_0: case DLP_DTYPE_Q5_1: case DLP_DTYPE_Q8_0: return 32;
    case DLP_DTYPE_Q4_0_X8: case DLP_DTYPE_Q4_1_X8: case DLP_DTYPE_Q8_0_X8: return 32;
    case DLP_DTYPE_Q2_K: case DLP_DTYPE_Q3_K: case DLP_DTYPE_Q4_K: case DLP_DTYPE_Q5_K: case DLP_DTYPE_Q6_K: return 256;
    default: return 0;
    }
}

/* Bytes per block of a dtype (0 for a value that is no dtype). */
static inline int64_t dlp_dtype_block_bytes(dlp_dtype d) {
    static const int64_t bytes[DLP_DTYPE_COUNT] = {4, 2, 2, 18, 20, 22, 24, 34, 84, 110, 144, 176, 210, 18, 20, 34};
    return (int)d >= 0 && d < DLP_DTYPE_COUNT ? bytes[d] : 0;
}

/* 1 for the row-interleaved dtypes (DLP_DTYPE_*_X8). */
static inline int dlp_dtype_is_row_interleaved(dlp_dtype d) { return d >= DLP_DTYPE_Q4_0_X8 && d < DLP_DTYPE_COUNT; }

/* The plain format of a row-interleaved dtype (itself for every other). */
static inline dlp_dtype dlp_dtype_plain(dlp_dtype d) {
    switch (d) {
    case DLP_DTYPE_Q4_0_X8: return DLP_DTYPE_Q4_0;
    case DLP_DTYPE_Q4_1_X8: return DLP_DTYPE_Q4_1;
    case DLP_DTYPE_Q8_0_X8: return DLP_DTYPE_Q8_0;
    default: return d;
    }
}

/* Bytes of a row of ld elements (ld a multiple of the block size), or -1 when it is not one. */
static inline int64_t dlp_dtype_row_bytes(dlp_dtype d, int64_t ld) {
    int64_t block = dlp_dtype_block_elements(d);
    if (block <= 0 || ld < 0 || ld % block != 0) return -1;
    return ld / block * dlp_dtype_block_bytes(d);
}

typedef enum dlp_status {
    DLP_STATUS_OK = 0,
    DLP_STATUS_INVALID_ARGUMENT = 1,   /* a size, index or pointer is out of range */
    DLP_STATUS_OUT_OF_MEMORY = 2,
    DLP_STATUS_DEVICE_ERROR = 3,       /* the device reported a failure (CUDA error, launch failure) */
    DLP_STATUS_UNSUPPORTED = 4,        /* dtype or shape this backend does not implement */
} dlp_status;

/* context_create flags */
#define DLP_CONTEXT_REFERENCE_KERNELS 1u  /* use the plain reference implementation of every op (no SIMD) */
#define DLP_CONTEXT_NO_AVX512 2u          /* CPU: no AVX-512 paths even where the CPU has them (AVX2 at most) */

typedef struct dlp_context dlp_context; /* one backend instance: device, streams, thread pool */
typedef struct dlp_buffer dlp_buffer;   /* one allocation in the backend's memory */
typedef struct dlp_graph dlp_graph;     /* a recorded sequence of ops, replayed as one launch */

typedef struct dlp_kernel_table {
    uint32_t api_version;               /* DLP_KERNELS_API_VERSION of the implementation */
    const char *name;                   /* "cpu", "cuda" */
    /* Bit (1 << dtype) set for every dtype gemm, gemm_lora and embedding accept as weights or table
     * (the row-interleaved ones: where the backend has kernels that gain from them). */
    uint64_t weight_dtypes;

    /* ---- lifetime ---- */
    /* n_threads: CPU worker threads (0 = all cores); device backends ignore it.
     * flags: DLP_CONTEXT_* bits. On failure *out_ctx is NULL, or a context that only answers last_error
     * (say, "no CUDA device: ...") and must still be passed to context_destroy. */
    dlp_status (*context_create)(int32_t n_threads, uint32_t flags, dlp_context **out_ctx);
    void (*context_destroy)(dlp_context *ctx);
    /* The message of the last failed call on ctx (never NULL; "" when none). */
    const char *(*last_error)(const dlp_context *ctx);
    /* One line describing the device (CPU features and threads, GPU name and memory). */
    const char *(*device_description)(const dlp_context *ctx);

    /* ---- buffers ---- */
    dlp_status (*buffer_alloc)(dlp_context *ctx, size_t bytes, dlp_buffer **out_buf); /* zero-filled */
    /* A buffer over host memory the caller keeps alive (an mmap'ed weight file). The CPU backend uses
     * the memory in place (no copy); device backends allocate and upload. */
    dlp_status (*buffer_from_host)(dlp_context *ctx, const void *host, size_t bytes, dlp_buffer **out_buf);
    void (*buffer_free)(dlp_context *ctx, dlp_buffer *buf);
    void *(*buffer_data)(const dlp_buffer *buf);   /* device address of byte 0 */
    size_t (*buffer_size)(const dlp_buffer *buf);
    dlp_status (*buffer_upload)(dlp_context *ctx, dlp_buffer *buf, size_t offset, const void *src, size_t bytes);
    dlp_status (*buffer_download)(dlp_context *ctx, const dlp_buffer *buf, size_t offset, void *dst, size_t bytes);
    dlp_status (*synchronize)(dlp_context *ctx);

    /* ---- graphs (optional: NULL where the backend has none; the CPU has none) ----
     * graph_begin starts recording on ctx: the ops called until graph_end are recorded with their
     * arguments, not run. graph_end stops recording and returns the graph (out_graph NULL: discards it),
     * or fails when an op could not be recorded; recording has stopped either way. graph_launch replays every recorded op with
     * the same arguments: same addresses, same sizes, reading whatever those addresses hold at replay.
     * The caller keeps every buffer a graph names alive and unmoved while it may replay it. A backend
     * whose own scratch memory moved since the recording refuses the launch with UNSUPPORTED (nothing
     * ran); record again. Uploads, downloads, allocations and synchronize are refused while recording;
     * buffers and graphs freed meanwhile are released when it ends. */
    dlp_status (*graph_begin)(dlp_context *ctx);
    dlp_status (*graph_end)(dlp_context *ctx, dlp_graph **out_graph);
    dlp_status (*graph_launch)(dlp_context *ctx, dlp_graph *graph);
    void (*graph_free)(dlp_context *ctx, dlp_graph *graph);

    /* ---- ops ---- */

    /* y[m, n] = beta * y[m, n] + sum_k x[m, k] * w[n, k] + bias[n]
     * x: f32 [m, k] (ld ldx); w: [n, k] in w_dtype (ld ldw, a multiple of the block size for the
     * quantized dtypes, as is k), the layout of a PyTorch Linear weight;
     * bias: [n] in bias_dtype or NULL; y: f32 [m, n] (ld ldy); beta is 0 or 1. */
    dlp_status (*gemm)(dlp_context *ctx, int64_t m, int64_t n, int64_t k,
                       const float *x, int64_t ldx, const void *w, dlp_dtype w_dtype, int64_t ldw,
                       const void *bias, dlp_dtype bias_dtype, float beta, float *y, int64_t ldy);

    /* out[i, :] = table[ids[i], :]. ids: int32 [m], each in [0, vocab); table: [vocab, dim] in
     * table_dtype (rows dequantized for the block formats: dim a multiple of the block size);
     * out: f32 [m, dim] (ld ldo). An id out of range is DLP_STATUS_INVALID_ARGUMENT. */
    dlp_status (*embedding)(dlp_context *ctx, int64_t m, const int32_t *ids, const void *table,
                            dlp_dtype table_dtype, int64_t vocab, int64_t dim, float *out, int64_t ldo);

    /* y[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * w. x, y: f32 [m, d] (may alias); w: [d]. */
    dlp_status (*rmsnorm)(dlp_context *ctx, int64_t m, int64_t d, const float *x, int64_t ldx,
                          const void *w, dlp_dtype w_dtype, float eps, float *y, int64_t ldy);

    /* Rotary embedding in place, Hugging Face "rotate_half" layout: for each row i and head h, the pair
     * (x[j], x[j + rot_dim/2]), j < rot_dim/2, turns by angle positions[i] * inv_freq[j].
     * x: f32 [m, n_heads * head_dim] (ld ldx); positions: int32 [m]; inv_freq: f32 [rot_dim / 2]
     * (host-computed, so every rope scaling is just a different inv_freq); rot_dim <= head_dim, even. */
    dlp_status (*rope)(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
                       float *x, int64_t ldx, const int32_t *positions, const float *inv_freq);

    /* Writes keys and values of m rows into the cache. k, v: f32 [m, n_kv * head_dim] (ld ldk, ldv);
     * caches: f32 [n_slots, n_kv, max_seq, head_dim]; row i goes to slot slots[i], position positions[i]. */
    dlp_status (*kv_store)(dlp_context *ctx, int64_t m, int64_t n_kv, int64_t head_dim,
                           const float *k, int64_t ldk, const float *v, int64_t ldv,
                           float *k_cache, float *v_cache, int64_t n_slots, int64_t max_seq,
                           const int32_t *slots, const int32_t *positions);

    /* rope on q (n_heads heads) and k (n_kv heads) in place, then k and v stored into the cache: the two
     * rope calls and kv_store of a layer as one op, with their arguments and results (q: f32 [m, ldq]). */
    dlp_status (*rope_kv_store)(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                                int64_t rot_dim, float *q, int64_t ldq, float *k, int64_t ldk, const float *v,
                                int64_t ldv, const int32_t *positions, const float *inv_freq, float *k_cache,
                                float *v_cache, int64_t n_slots, int64_t max_seq, const int32_t *slots);

    /* Causal attention over the cache, for prefill and decode alike: query row i (slot slots[i], position
     * p = positions[i]) attends to cache positions max(0, p - window + 1) ... p of its slot (window <= 0:
     * no window). Query head h reads kv head h / (n_heads / n_kv). q: f32 [m, n_heads * head_dim];
     * out: f32 [m, n_heads * head_dim]; caches as in kv_store; scale usually 1/sqrt(head_dim). */
    dlp_status (*attention)(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                            const float *q, int64_t ldq, const float *k_cache, const float *v_cache,
                            int64_t n_slots, int64_t max_seq, const int32_t *slots, const int32_t *positions,
                            int32_t window, float scale, float *out, int64_t ldo);

    /* out[i, j] = silu(gate[i, j]) * up[i, j]; all f32 [m, n] with their own leading dimensions. */
    dlp_status (*silu_mul)(dlp_context *ctx, int64_t m, int64_t n, const float *gate, int64_t ldg,
                           const float *up, int64_t ldu, float *out, int64_t ldo);

    /* y[i] += x[i] for i < n (f32). */
    dlp_status (*add)(dlp_context *ctx, int64_t n, const float *x, float *y);

    /* out[i] = argmax_j x[i, j] (first index on ties). x: f32 [m, n]; out: int32 [m] (device). */
    dlp_status (*argmax)(dlp_context *ctx, int64_t m, int64_t n, const float *x, int64_t ldx, int32_t *out);

    /* ---- multi-LoRA (one adapted projection; the bank stacks every loaded adapter) ----
     * A plan is k_slots (adapter, weight) pairs; every row points at a plan (or -1: no adapter).
     *   plan_of_row:   int32 [m], in [-1, n_plans)
     *   plan_adapters: int32 [n_plans, k_slots], adapter index in [0, n_adapters) or -1 for an empty slot
     *   plan_weights:  f32   [n_plans, k_slots]
     *   ranks:         int32 [n_adapters], rank of each adapter at this projection (0: not adapted here)
     *   scales:        f32   [n_adapters], alpha / r (or alpha / sqrt(r) with rsLoRA)
     *   a_bank:        [n_adapters, r_max, d_in] in bank_dtype   (rows >= rank are zero padding)
     *   b_bank:        [n_adapters, r_max, d_out] in bank_dtype  B transposed: row j is column j of B, so
     *                                                     the expand is a run of contiguous axpys (rows >=
     *                                                     rank are zero padding)
     *   bank_dtype:    f32, or f16/bf16 to halve the adapter bytes each token streams
     *   t:             f32   [m, k_slots * r_max], the intermediate, kept in f32
     * Shrink, every slot of every row at once:
     *   t[i, s*r_max + j] = weight(p, s) * scale(a) * sum_k x[i, k] * A[a, j, k]   (j < rank(a); else 0)
     * with p = plan_of_row[i], a = plan_adapters[p, s]. Expand, a weighted add into the projection output:
     *   y[i, n] += sum_s sum_{j < rank(a)} b_bank[a, j, n] * t[i, s*r_max + j]
     * so k fused adapters of rank r cost about one adapter of rank k*r. */
    dlp_status (*lora_shrink)(dlp_context *ctx, int64_t m, int64_t d_in, int64_t r_max, int64_t k_slots,
                              const float *x, int64_t ldx, const void *a_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                              const int32_t *ranks, const float *scales, int64_t n_plans,
                              const int32_t *plan_adapters, const float *plan_weights, const int32_t *plan_of_row,
                              float *t);
    dlp_status (*lora_expand)(dlp_context *ctx, int64_t m, int64_t d_out, int64_t r_max, int64_t k_slots,
                              const float *t, const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                              const int32_t *ranks, int64_t n_plans, const int32_t *plan_adapters,
                              const int32_t *plan_of_row,
                              float *y, int64_t ldy);
    /* A whole adapted projection as one op: y = beta * y + x w^T + bias + the adapters' share, that is
     * lora_shrink of x into t and then lora_expand of t into y. The arguments are gemm's, then the bank
     * and plans (lora_shrink's and lora_expand's, with d_in = k and d_out = n), then t: f32
     * [m, k_slots * r_max], scratch that is left holding the shrink. On the CPU, for decode-sized
     * batches (m < 8), one parallel region does it all: each thread streams its rows of w while
     * prefetching the bank bytes it needs next, runs its share of the shrink, and after a barrier adds
     * the expand of its own output features. */
    dlp_status (*gemm_lora)(dlp_context *ctx, int64_t m, int64_t n, int64_t k,
                            const float *x, int64_t ldx, const void *w, dlp_dtype w_dtype, int64_t ldw,
                            const void *bias, dlp_dtype bias_dtype, float beta, float *y, int64_t ldy,
                            int64_t r_max, int64_t k_slots, const void *a_bank, const void *b_bank,
                            dlp_dtype bank_dtype, int64_t n_adapters, const int32_t *ranks, const float *scales,
                            int64_t n_plans, const int32_t *plan_adapters, const float *plan_weights,
                            const int32_t *plan_of_row, float *t);

    /* ---- decisions on the device (no host round trip for logits or router scores) ---- */

    /* Next-token sampling for m rows of logits, the rule of the Swift reference (NucleusSampling.swift):
     * temperature <= 0: the argmax (first index on ties). Otherwise the kept set starts as the tokens whose
     * logit is >= the top_k-th largest logit (top_k <= 0 or >= n: every token), each weighted by
     * e_i = exp((logit_i - max) / temperature); with top_p < 1 it shrinks to the tokens whose logit is >= v
     * for the largest v at which the e-mass of {logit >= v} still reaches top_p of the kept mass (ties at a
     * threshold are all kept). The draw walks the kept tokens in ascending id order and returns the first
     * whose running e-sum exceeds uniforms[i] * (kept mass) (the last kept token if rounding leaves none).
     * logits: f32 [m, n] (ld ldl); uniforms: f32 [m] in [0, 1), from the host's seeded generator (unread,
     * and may be NULL, when temperature <= 0); out: int32 [m]. Logits must not be NaN; -0 equals +0. */
    dlp_status (*sample)(dlp_context *ctx, int64_t m, int64_t n, const float *logits, int64_t ldl,
                         float temperature, int32_t top_k, float top_p, const float *uniforms, int32_t *out);

    /* The DLP plugin's top-p mixing, fused: router logits of s sentences -> softmax -> classes sorted by
     * probability (ties: lower class first) -> kept up to and including the one whose cumulative
     * probability reaches top_p (at least 1, at most k_max) -> weights (weighting 0: softmax over the kept
     * probabilities, as the DLP-LoRA code; 1: kept probabilities divided by their sum) -> one plan row per
     * sentence, ready for lora_shrink. logits: f32 [s, n_classes] (ld ldl); plan_adapters: int32 [s, k_max]
     * (class index, -1 after the kept ones); plan_weights: f32 [s, k_max] (0 after the kept ones). A device
     * backend may answer UNSUPPORTED for more than 1024 classes. */
    /* The router's embedding bag for s sentences: out[i, :] = the mean of table rows
     * features[offsets[i] .. offsets[i + 1]) (summed in feature order, then times 1 / count), zeros for a
     * sentence without features. table: f32 [rows, dim]; features: int32, each in [0, rows); offsets:
     * int32 [s + 1], non-decreasing from 0; out: f32 [s, dim] (ld ldo). */
    dlp_status (*embedding_bag)(dlp_context *ctx, int64_t s, const float *table, int64_t rows, int64_t dim,
                                const int32_t *features, const int32_t *offsets, float *out, int64_t ldo);

    /* x = max(x, 0) in place over m rows of n (ld ldx): the router's hidden activation. */
    dlp_status (*relu)(dlp_context *ctx, int64_t m, int64_t n, float *x, int64_t ldx);

    dlp_status (*route_top_p)(dlp_context *ctx, int64_t s, int64_t n_classes, const float *logits, int64_t ldl,
                              float top_p, int32_t k_max, int32_t weighting, int32_t *plan_adapters,
                              float *plan_weights);
} dlp_kernel_table;

typedef const dlp_kernel_table *(*dlp_get_kernel_table_fn)(void);

/* The CPU implementation, compiled into the package. */
const dlp_kernel_table *dlp_cpu_kernel_table(void);

#ifdef __cplusplus
}
#endif

#endif /* DLP_KERNELS_H */
