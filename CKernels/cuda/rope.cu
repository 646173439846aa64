// rope.cu: rotary embedding in place, Hugging Face rotate_half layout, angle = position * inv_freq[j].
#include "cuda_internal.cuh"

// One thread per (row, head, pair j < rot_dim / 2).
__global__ void rope_kernel(int64_t m, int64_t n_heads, int64_t head_dim, int64_t half, float *x, int64_t ldx,
                            const int32_t *__restrict__ positions, const float *__restrict__ inv_freq,
                            int32_t *error_flag) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= m * n_heads * half) return;
    int64_t j = i % half, head = (i / half) % n_heads, row = i / (half * n_heads);
    if (positions[row] < 0) {
        dlp_flag(error_flag, DLP_FLAG_NEGATIVE_POSITION, row);
        return;
    }
    float *p = x + row * ldx + head * head_dim;
    float s, c;
    sincosf((float)positions[row] * inv_freq[j], &s, &c);
    float a = p[j], b = p[j + half];
    p[j] = a * c - b * s;
    p[j + half] = b * c + a * s;
}

dlp_status dlp_cuda_rope(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
                         float *x, int64_t ldx, const int32_t *positions, const float *inv_freq) {
    dlp_cuda_enter(ctx);
    if (m < 0 || n_heads <= 0 || head_dim <= 0 || rot_dim <= 0 || rot_dim > head_dim || rot_dim % 2 != 0 ||
        ldx < n_heads * head_dim)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rope: bad sizes m=%lld heads=%lld head_dim=%lld rot_dim=%lld",
                             (long long)m, (long long)n_heads, (long long)head_dim, (long long)rot_dim);
    if (m == 0) return DLP_STATUS_OK;
    int64_t items = m * n_heads * (rot_dim / 2);
    rope_kernel<<<dlp_blocks(items, 256), 256, 0, ctx->stream>>>(m, n_heads, head_dim, rot_dim / 2, x, ldx, positions,
                                                                 inv_freq, ctx->error_flag);
    return dlp_cuda_check_launch(ctx, "rope");
}
