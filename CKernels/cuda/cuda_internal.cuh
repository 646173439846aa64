// cuda_internal.cuh: what the CUDA kernel files share: the context (device, stream, cuBLAS handle,
// device scratch, the device error flag, the error text), argument checks, launch checks and the
// f16/bf16 loads. Every op enqueues on ctx->stream; nothing here synchronizes except where noted.
#ifndef DLP_CUDA_INTERNAL_CUH
#define DLP_CUDA_INTERNAL_CUH

#include "dlp_kernels.h"
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#define DLP_STAGING_SLOTS 4
#define DLP_STAGING_BYTES (64 << 10)    // uploads up to this size go through a pinned slot, without a wait

struct dlp_context {
    int device;
    cudaStream_t stream;
    cublasHandle_t cublas;
    cudaDeviceProp properties;   // read once at context_create
    double peak_bandwidth;       // bytes/s from the memory clock and bus width (0: unknown)
    void *scratch;               // device scratch: split activations for cuBLAS, attention partials
    size_t scratch_bytes;
    uint64_t scratch_moves;      // times the scratch was freed (a graph recorded before is stale)
    dlp_status scratch_status;   // why dlp_cuda_scratch last returned NULL
    void *cublas_workspace;      // cuBLAS' workspace, set once so recorded cuBLAS calls allocate nothing
    int recording;               // between graph_begin and graph_end: ops are captured, not run
    void *staging[DLP_STAGING_SLOTS];                // pinned host slots for small uploads (staging.cu)
    cudaEvent_t staging_done[DLP_STAGING_SLOTS];     // recorded behind each slot's last copy
    int staging_next;
    void **deferred;             // device memory freed while recording, released when it ends
    dlp_graph **deferred_graphs; // graphs freed while recording, likewise
    size_t n_deferred, n_deferred_graphs;
    int32_t *error_flag;         // device int32 [2]: a kernel's error code and its row (0: none)
    int usable;                  // 0: a failed create that only carries its error text
    char error[512];
    char description[320];
};

struct dlp_buffer {
    void *data;
    size_t bytes;
};

// Error codes kernels write into ctx->error_flag[0] (reported by the next synchronize or download).
enum {
    DLP_FLAG_TOKEN_OUT_OF_RANGE = 1,
    DLP_FLAG_UNIFORM_OUT_OF_RANGE = 2,
    DLP_FLAG_SLOT_OUT_OF_RANGE = 3,      // kv_store/attention: a slot or position outside the cache
    DLP_FLAG_PLAN_OUT_OF_RANGE = 4,      // lora: a plan, adapter or rank outside the bank
    DLP_FLAG_NEGATIVE_POSITION = 5,      // rope
    DLP_FLAG_FEATURE_OUT_OF_RANGE = 6,   // embedding_bag: a feature or offset outside the table or list
};

// Records the first flagged error of a kernel (code, row); later ones are dropped until it is reported.
__device__ __forceinline__ void dlp_flag(int32_t *error_flag, int32_t code, int64_t row) {
    if (atomicCAS(error_flag, 0, code) == 0) error_flag[1] = (int32_t)row;
}

// Makes ctx's device current on the calling thread (Swift may call from any thread); cheap.
static inline void dlp_cuda_enter(const dlp_context *ctx) { cudaSetDevice(ctx->device); }

// Records a message on ctx and returns status (printf-style).
dlp_status dlp_cuda_fail(dlp_context *ctx, dlp_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Checks the launch just made (no synchronization): a failure becomes DLP_STATUS_DEVICE_ERROR naming op.
dlp_status dlp_cuda_check_launch(dlp_context *ctx, const char *op);

// Device scratch of at least bytes (grows; growing waits for the stream, so it fails while recording a
// graph), or NULL with the error recorded and its status in ctx->scratch_status.
void *dlp_cuda_scratch(dlp_context *ctx, size_t bytes);

static inline int dlp_dtype_is_float(dlp_dtype d) {
    return d == DLP_DTYPE_F32 || d == DLP_DTYPE_F16 || d == DLP_DTYPE_BF16;
}

static inline unsigned dlp_blocks(int64_t items, int threads) {
    return (unsigned)((items + threads - 1) / threads);
}

// Element i of a vector stored in dtype, as f32.
__device__ __forceinline__ float dlp_load(const void *w, dlp_dtype dtype, int64_t i) {
    switch (dtype) {
    case DLP_DTYPE_F16: return __half2float(((const __half *)w)[i]);
    case DLP_DTYPE_BF16: return __bfloat162float(((const __nv_bfloat16 *)w)[i]);
    default: return ((const float *)w)[i];
    }
}

__device__ __forceinline__ float dlp_warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float dlp_warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// Sum over a block of blockDim.x (a multiple of 32, <= 1024) threads; every thread gets the total.
__device__ __forceinline__ float dlp_block_sum(float v, float *shared32) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = dlp_warp_sum(v);
    __syncthreads();
    if (lane == 0) shared32[warp] = v;
    __syncthreads();
    float total = lane < warps ? shared32[lane] : 0.0f;
    return dlp_warp_sum(total);
}

// Double-precision sum over a block (the sampler's masses, so thresholds match the CPU's double sums).
__device__ __forceinline__ double dlp_block_sum_double(double v, double *shared32) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    __syncthreads();
    if (lane == 0) shared32[warp] = v;
    __syncthreads();
    double total = lane < warps ? shared32[lane] : 0.0;
    for (int offset = 16; offset > 0; offset >>= 1) total += __shfl_xor_sync(0xffffffffu, total, offset);
    return total;
}

// The largest value of a row and its first index, over a block of blockDim.x threads (a multiple of 32,
// <= 1024) striding through row[0..n); every thread gets the result (index 0 for an empty or all-NaN row).
__device__ __forceinline__ int64_t dlp_block_argmax(const float *row, int64_t n, float *best_value_out) {
    __shared__ float best_value[32];
    __shared__ int64_t best_index[32];
    float value = -INFINITY;
    int64_t index = n;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
        if (row[j] > value || index == n) { value = row[j]; index = j; }
    for (int offset = 16; offset > 0; offset >>= 1) {
        float v = __shfl_xor_sync(0xffffffffu, value, offset);
        int64_t i = __shfl_xor_sync(0xffffffffu, index, offset);
        if (v > value || (v == value && i < index)) { value = v; index = i; }
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) { best_value[warp] = value; best_index[warp] = index; }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < (int)(blockDim.x >> 5); w++)
            if (best_value[w] > value || (best_value[w] == value && best_index[w] < index)) {
                value = best_value[w];
                index = best_index[w];
            }
        best_value[0] = value;
        best_index[0] = index;
    }
    __syncthreads();
    *best_value_out = best_value[0];
    return best_index[0] < n ? best_index[0] : 0;
}

// The op entry points, one file per group.
dlp_status dlp_cuda_gemm(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                         const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                         float beta, float *y, int64_t ldy);
dlp_status dlp_cuda_embedding(dlp_context *ctx, int64_t m, const int32_t *ids, const void *table,
                              dlp_dtype table_dtype, int64_t vocab, int64_t dim, float *out, int64_t ldo);
dlp_status dlp_cuda_rmsnorm(dlp_context *ctx, int64_t m, int64_t d, const float *x, int64_t ldx,
                            const void *w, dlp_dtype w_dtype, float eps, float *y, int64_t ldy);
dlp_status dlp_cuda_rope(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
                         float *x, int64_t ldx, const int32_t *positions, const float *inv_freq);
dlp_status dlp_cuda_kv_store(dlp_context *ctx, int64_t m, int64_t n_kv, int64_t head_dim,
                             const float *k, int64_t ldk, const float *v, int64_t ldv,
                             float *k_cache, float *v_cache, int64_t n_slots, int64_t max_seq,
                             const int32_t *slots, const int32_t *positions);
dlp_status dlp_cuda_attention(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                              const float *q, int64_t ldq, const float *k_cache, const float *v_cache,
                              int64_t n_slots, int64_t max_seq, const int32_t *slots, const int32_t *positions,
                              int32_t window, float scale, float *out, int64_t ldo);
dlp_status dlp_cuda_silu_mul(dlp_context *ctx, int64_t m, int64_t n, const float *gate, int64_t ldg,
                             const float *up, int64_t ldu, float *out, int64_t ldo);
dlp_status dlp_cuda_add(dlp_context *ctx, int64_t n, const float *x, float *y);
dlp_status dlp_cuda_argmax(dlp_context *ctx, int64_t m, int64_t n, const float *x, int64_t ldx, int32_t *out);
dlp_status dlp_cuda_lora_shrink(dlp_context *ctx, int64_t m, int64_t d_in, int64_t r_max, int64_t k_slots,
                                const float *x, int64_t ldx, const void *a_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                                const int32_t *ranks, const float *scales, int64_t n_plans,
                                const int32_t *plan_adapters, const float *plan_weights, const int32_t *plan_of_row,
                                float *t);
dlp_status dlp_cuda_lora_expand(dlp_context *ctx, int64_t m, int64_t d_out, int64_t r_max, int64_t k_slots,
                                const float *t, const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                                const int32_t *ranks,
                                int64_t n_plans, const int32_t *plan_adapters, const int32_t *plan_of_row,
                                float *y, int64_t ldy);
dlp_status dlp_cuda_gemm_lora(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                              const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                              float beta, float *y, int64_t ldy, int64_t r_max, int64_t k_slots, const void *a_bank,
                              const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters, const int32_t *ranks,
                              const float *scales, int64_t n_plans, const int32_t *plan_adapters,
                              const float *plan_weights, const int32_t *plan_of_row, float *t);
dlp_status dlp_cuda_rope_kv_store(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                                  int64_t rot_dim, float *q, int64_t ldq, float *k, int64_t ldk, const float *v,
                                  int64_t ldv, const int32_t *positions, const float *inv_freq, float *k_cache,
                                  float *v_cache, int64_t n_slots, int64_t max_seq, const int32_t *slots);
// router_ops.cu
dlp_status dlp_cuda_embedding_bag(dlp_context *ctx, int64_t s, const float *table, int64_t rows, int64_t dim,
                                  const int32_t *features, const int32_t *offsets, float *out, int64_t ldo);
dlp_status dlp_cuda_relu(dlp_context *ctx, int64_t m, int64_t n, float *x, int64_t ldx);
// staging.cu: the pinned slots (created with the context), and an upload of at most DLP_STAGING_BYTES
// through the next slot: returns once src is copied, the device copy queued on the stream.
dlp_status dlp_cuda_staging_create(dlp_context *ctx);
void dlp_cuda_staging_destroy(dlp_context *ctx);
dlp_status dlp_cuda_staged_upload(dlp_context *ctx, void *dst, const void *src, size_t bytes);
// graph.cu
// Frees device memory (a graph) once the recording in progress ends; then, and at context_destroy,
// dlp_cuda_free_deferred releases what was deferred.
void dlp_cuda_defer_free(dlp_context *ctx, void *data);
void dlp_cuda_free_deferred(dlp_context *ctx);
dlp_status dlp_cuda_graph_begin(dlp_context *ctx);
dlp_status dlp_cuda_graph_end(dlp_context *ctx, dlp_graph **out_graph);
dlp_status dlp_cuda_graph_launch(dlp_context *ctx, dlp_graph *graph);
void dlp_cuda_graph_free(dlp_context *ctx, dlp_graph *graph);

dlp_status dlp_cuda_sample(dlp_context *ctx, int64_t m, int64_t n, const float *logits, int64_t ldl,
                           float temperature, int32_t top_k, float top_p, const float *uniforms, int32_t *out);
dlp_status dlp_cuda_route_top_p(dlp_context *ctx, int64_t s, int64_t n_classes, const float *logits, int64_t ldl,
                                float top_p, int32_t k_max, int32_t weighting, int32_t *plan_adapters,
                                float *plan_weights);

#endif
