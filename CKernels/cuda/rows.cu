// rows.cu: the row-wise ops: embedding gather, RMSNorm, SiLU-mul, residual add, argmax.
#include "cuda_internal.cuh"
#include "quant_blocks.cuh"

__global__ void embedding_kernel(int64_t m, const int32_t *__restrict__ ids, const void *__restrict__ table,
                                 dlp_dtype dtype, int64_t vocab, int64_t dim, float *__restrict__ out, int64_t ldo,
                                 int32_t *error_flag) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= m * dim) return;
    int64_t row = i / dim, col = i % dim;
    int32_t id = ids[row];
    if (id < 0 || id >= vocab) {
        dlp_flag(error_flag, DLP_FLAG_TOKEN_OUT_OF_RANGE, row);
        out[row * ldo + col] = 0.0f;
        return;
    }
    out[row * ldo + col] = dlp_load(table, dtype, (int64_t)id * dim + col);
}

// A block-quantized table: one thread per (row, 32-element chunk).
__global__ void quantized_embedding_kernel(int64_t m, const int32_t *__restrict__ ids, const uint8_t *__restrict__ table,
                                           dlp_dtype dtype, int64_t row_bytes, int64_t vocab, int64_t dim,
                                           float *__restrict__ out, int64_t ldo, int32_t *error_flag) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, chunks = dim / 32;
    if (i >= m * chunks) return;
    int64_t row = i / chunks, chunk = i % chunks;
    int32_t id = ids[row];
    float v[32];
    if (id < 0 || id >= vocab) {
        dlp_flag(error_flag, DLP_FLAG_TOKEN_OUT_OF_RANGE, row);
        for (int j = 0; j < 32; j++) v[j] = 0.0f;
    } else {
        dlp_dequantize32(dtype, table + (int64_t)id * row_bytes, chunk, v);
    }
    for (int j = 0; j < 32; j++) out[row * ldo + chunk * 32 + j] = v[j];
}

dlp_status dlp_cuda_embedding(dlp_context *ctx, int64_t m, const int32_t *ids, const void *table,
                              dlp_dtype table_dtype, int64_t vocab, int64_t dim, float *out, int64_t ldo) {
    dlp_cuda_enter(ctx);
    int64_t row_bytes = dlp_dtype_row_bytes(table_dtype, dim);
    if (m < 0 || dim <= 0 || ldo < dim || vocab <= 0 || row_bytes < 0)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding: bad sizes m=%lld dim=%lld vocab=%lld dtype %d",
                             (long long)m, (long long)dim, (long long)vocab, (int)table_dtype);
    if (dlp_dtype_is_row_interleaved(table_dtype))
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "embedding: row-interleaved dtype %d is a CPU layout", (int)table_dtype);
    if (m == 0) return DLP_STATUS_OK;
    if (!dlp_dtype_is_float(table_dtype)) {
        quantized_embedding_kernel<<<dlp_blocks(m * (dim / 32), 256), 256, 0, ctx->stream>>>(
            m, ids, (const uint8_t *)table, table_dtype, row_bytes, vocab, dim, out, ldo, ctx->error_flag);
        return dlp_cuda_check_launch(ctx, "embedding (quantized)");
    }
    embedding_kernel<<<dlp_blocks(m * dim, 256), 256, 0, ctx->stream>>>(m, ids, table, table_dtype, vocab, dim, out, ldo,
                                                                       ctx->error_flag);
    return dlp_cuda_check_launch(ctx, "embedding");
}

// One block per row.
__global__ void rmsnorm_kernel(int64_t d, const float *x, int64_t ldx, const void *__restrict__ w, dlp_dtype dtype,
                               float eps, float *y, int64_t ldy) {
    __shared__ float partial[32];
    const float *xi = x + blockIdx.x * ldx;
    float *yi = y + blockIdx.x * ldy;
    float ss = 0.0f;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) ss += xi[j] * xi[j];
    float inv = rsqrtf(dlp_block_sum(ss, partial) / (float)d + eps);
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) yi[j] = xi[j] * inv * dlp_load(w, dtype, j);
}

dlp_status dlp_cuda_rmsnorm(dlp_context *ctx, int64_t m, int64_t d, const float *x, int64_t ldx,
                            const void *w, dlp_dtype w_dtype, float eps, float *y, int64_t ldy) {
    dlp_cuda_enter(ctx);
    if (m < 0 || d <= 0 || ldx < d || ldy < d || !dlp_dtype_is_float(w_dtype) || m > INT32_MAX)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rmsnorm: bad sizes m=%lld d=%lld", (long long)m, (long long)d);
    if (m == 0) return DLP_STATUS_OK;
    rmsnorm_kernel<<<(unsigned)m, 256, 0, ctx->stream>>>(d, x, ldx, w, w_dtype, eps, y, ldy);
    return dlp_cuda_check_launch(ctx, "rmsnorm");
}

__global__ void silu_mul_kernel(int64_t m, int64_t n, const float *gate, int64_t ldg, const float *up, int64_t ldu,
                                float *out, int64_t ldo) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= m * n) return;
    int64_t row = i / n, col = i % n;
    float g = gate[row * ldg + col];
    out[row * ldo + col] = g / (1.0f + expf(-g)) * up[row * ldu + col];
}

dlp_status dlp_cuda_silu_mul(dlp_context *ctx, int64_t m, int64_t n, const float *gate, int64_t ldg,
                             const float *up, int64_t ldu, float *out, int64_t ldo) {
    dlp_cuda_enter(ctx);
    if (m < 0 || n <= 0 || ldg < n || ldu < n || ldo < n)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "silu_mul: bad sizes m=%lld n=%lld", (long long)m, (long long)n);
    if (m == 0) return DLP_STATUS_OK;
    silu_mul_kernel<<<dlp_blocks(m * n, 256), 256, 0, ctx->stream>>>(m, n, gate, ldg, up, ldu, out, ldo);
    return dlp_cuda_check_launch(ctx, "silu_mul");
}

__global__ void add_kernel(int64_t n, const float *x, float *y) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] += x[i];
}

dlp_status dlp_cuda_add(dlp_context *ctx, int64_t n, const float *x, float *y) {
    dlp_cuda_enter(ctx);
    if (n < 0) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "add: bad size n=%lld", (long long)n);
    if (n == 0) return DLP_STATUS_OK;
    add_kernel<<<dlp_blocks(n, 256), 256, 0, ctx->stream>>>(n, x, y);
    return dlp_cuda_check_launch(ctx, "add");
}

// One block per row; ties keep the lower index.
__global__ void argmax_kernel(int64_t n, const float *x, int64_t ldx, int32_t *out) {
    float best;
    int64_t index = dlp_block_argmax(x + blockIdx.x * ldx, n, &best);
    if (threadIdx.x == 0) out[blockIdx.x] = (int32_t)index;
}

dlp_status dlp_cuda_argmax(dlp_context *ctx, int64_t m, int64_t n, const float *x, int64_t ldx, int32_t *out) {
    dlp_cuda_enter(ctx);
    if (m < 0 || n <= 0 || ldx < n || m > INT32_MAX)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "argmax: bad sizes m=%lld n=%lld", (long long)m, (long long)n);
    if (m == 0) return DLP_STATUS_OK;
    argmax_kernel<<<(unsigned)m, 256, 0, ctx->stream>>>(n, x, ldx, out);
    return dlp_cuda_check_launch(ctx, "argmax");
}
