// rope.cu: rotary embedding in place, Hugging Face rotate_half layout, angle = position * inv_freq[j]; and
// rope_kv_store, a layer's rope of q and k fused with its KV-cache store.
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

// rope on q and k, then k and v into the cache: one thread per (row, head of q then of k, dimension d).
// Thread d < half rotates the pair (d, d + half); for a k head it also writes the rotated pair to the
// cache, and every k thread stores its v element (and its k element past rot_dim, unrotated).
__global__ void rope_kv_store_kernel(int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim, int64_t half, float *q,
                                     int64_t ldq, float *k, int64_t ldk, const float *__restrict__ v, int64_t ldv,
                                     const int32_t *__restrict__ positions, const float *__restrict__ inv_freq,
                                     float *k_cache, float *v_cache, int64_t n_slots, int64_t max_seq,
                                     const int32_t *__restrict__ slots, int32_t *error_flag) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, width = (n_heads + n_kv) * head_dim;
    if (i >= m * width) return;
    int64_t row = i / width, head = (i % width) / head_dim, d = i % head_dim;
    int32_t pos = positions[row];
    if (pos < 0) {
        dlp_flag(error_flag, DLP_FLAG_NEGATIVE_POSITION, row);
        return;
    }
    int is_q = head < n_heads;
    int64_t kv_head = head - n_heads;
    float *x = is_q ? q + row * ldq + head * head_dim : k + row * ldk + kv_head * head_dim;
    float first = 0.0f, second = 0.0f;
    if (d < half) {
        float s, c;
        sincosf((float)pos * inv_freq[d], &s, &c);
        float a = x[d], b = x[d + half];
        first = a * c - b * s;
        second = b * c + a * s;
        x[d] = first;
        x[d + half] = second;
    }
    if (is_q) return;
    int32_t slot = slots[row];
    if (slot < 0 || slot >= n_slots || pos >= max_seq) {
        dlp_flag(error_flag, DLP_FLAG_SLOT_OUT_OF_RANGE, row);
        return;
    }
    size_t at = (((size_t)slot * n_kv + kv_head) * max_seq + pos) * head_dim;
    if (d < half) {
        k_cache[at + d] = first;
        k_cache[at + d + half] = second;
    } else if (d >= 2 * half) {
        k_cache[at + d] = x[d];
    }
    v_cache[at + d] = v[row * ldv + kv_head * head_dim + d];
}

dlp_status dlp_cuda_rope_kv_store(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                                  int64_t rot_dim, float *q, int64_t ldq, float *k, int64_t ldk, const float *v,
                                  int64_t ldv, const int32_t *positions, const float *inv_freq, float *k_cache,
                                  float *v_cache, int64_t n_slots, int64_t max_seq, const int32_t *slots) {
    dlp_cuda_enter(ctx);
    if (m < 0 || n_heads <= 0 || n_kv <= 0 || head_dim <= 0 || rot_dim <= 0 || rot_dim > head_dim || rot_dim % 2 != 0 ||
        ldq < n_heads * head_dim || ldk < n_kv * head_dim || ldv < n_kv * head_dim || n_slots <= 0 || max_seq <= 0)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                             "rope_kv_store: bad sizes m=%lld heads=%lld kv=%lld head_dim=%lld rot_dim=%lld", (long long)m,
                             (long long)n_heads, (long long)n_kv, (long long)head_dim, (long long)rot_dim);
    if (m == 0) return DLP_STATUS_OK;
    if (!q || !k || !v || !positions || !inv_freq || !k_cache || !v_cache || !slots)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "rope_kv_store: NULL pointer");
    int64_t items = m * (n_heads + n_kv) * head_dim;
    rope_kv_store_kernel<<<dlp_blocks(items, 256), 256, 0, ctx->stream>>>(m, n_heads, n_kv, head_dim, rot_dim / 2, q, ldq, k,
                                                                          ldk, v, ldv, positions, inv_freq, k_cache,
                                                                          v_cache, n_slots, max_seq, slots, ctx->error_flag);
    return dlp_cuda_check_launch(ctx, "rope_kv_store");
}
