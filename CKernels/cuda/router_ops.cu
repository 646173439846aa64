// router_ops.cu: the router's forward ops besides gemm and route_top_p: the embedding bag over each
// sentence's hashed features (the host's arithmetic: rows summed in feature order, then times 1 / count)
// and the ReLU between its dense layers.
#include "cuda_internal.cuh"

// One block per sentence, threads over the embedding width. A feature outside the table, or offsets that
// are negative, decrease or do not start at 0, are flagged and the sentence left at zero.
__global__ void embedding_bag_kernel(int64_t s, const float *__restrict__ table, int64_t rows, int64_t dim,
                                     const int32_t *__restrict__ features, const int32_t *__restrict__ offsets,
                                     float *__restrict__ out, int64_t ldo, int32_t *error_flag) {
    int64_t i = blockIdx.x;
    if (i >= s) return;
    int32_t first = offsets[i], next = offsets[i + 1];
    // compared, not subtracted: offsets that go below 0 or back are refused before any feature is read
    int bad = first < 0 || next < first || (i == 0 && first != 0) || (next > first && !features);
    for (int32_t f = first; !bad && f < next; f++) bad = features[f] < 0 || features[f] >= rows;
    int32_t count = bad ? 0 : next - first;
    float *o = out + i * ldo;
    if (bad) {
        if (threadIdx.x == 0) dlp_flag(error_flag, DLP_FLAG_FEATURE_OUT_OF_RANGE, i);
        for (int64_t d = threadIdx.x; d < dim; d += blockDim.x) o[d] = 0.0f;
        return;
    }
    float scale = count > 0 ? 1.0f / (float)count : 0.0f;
    for (int64_t d = threadIdx.x; d < dim; d += blockDim.x) {
        float sum = 0.0f;
        for (int32_t f = first; f < first + count; f++) sum += table[(int64_t)features[f] * dim + d];
        o[d] = count > 0 ? sum * scale : 0.0f;
    }
}

__global__ void relu_kernel(int64_t m, int64_t n, float *x, int64_t ldx) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= m * n) return;
    float *v = x + (i / n) * ldx + i % n;
    if (*v < 0.0f) *v = 0.0f;
}

dlp_status dlp_cuda_embedding_bag(dlp_context *ctx, int64_t s, const float *table, int64_t rows, int64_t dim,
                                  const int32_t *features, const int32_t *offsets, float *out, int64_t ldo) {
    dlp_cuda_enter(ctx);
    if (s < 0 || rows <= 0 || dim <= 0 || ldo < dim || s > INT32_MAX)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding_bag: bad sizes s=%lld rows=%lld dim=%lld",
                             (long long)s, (long long)rows, (long long)dim);
    if (s == 0) return DLP_STATUS_OK;
    if (!table || !offsets || !out)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "embedding_bag: NULL pointer");
    int threads = dim < 256 ? (int)((dim + 31) / 32 * 32) : 256;
    embedding_bag_kernel<<<(unsigned)s, threads, 0, ctx->stream>>>(s, table, rows, dim, features, offsets, out, ldo,
                                                                   ctx->error_flag);
    return dlp_cuda_check_launch(ctx, "embedding_bag");
}

dlp_status dlp_cuda_relu(dlp_context *ctx, int64_t m, int64_t n, float *x, int64_t ldx) {
    dlp_cuda_enter(ctx);
    if (m < 0 || n <= 0 || ldx < n)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "relu: bad sizes m=%lld n=%lld ldx=%lld", (long long)m,
                             (long long)n, (long long)ldx);
    if (m == 0) return DLP_STATUS_OK;
    if (!x) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "relu: NULL x");
    relu_kernel<<<dlp_blocks(m * n, 256), 256, 0, ctx->stream>>>(m, n, x, ldx);
    return dlp_cuda_check_launch(ctx, "relu");
}
