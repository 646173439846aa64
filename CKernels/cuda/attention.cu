// attention.cu: KV-cache writes and causal attention over the cache for prefill and decode alike. Each
// (row, head) is split over the sequence into n_split chunks (flash-decoding): a block per chunk keeps an
// online softmax per warp, 32 positions per warp step, merges its warps, and writes a partial (max, sum,
// acc[head_dim]); a second kernel merges the chunks. With enough (row, head) pairs to fill the GPU there
// is one chunk and the first kernel writes the output directly.
#include "cuda_internal.cuh"

#define ATTENTION_WARPS 4
#define ATTENTION_DIMS_PER_LANE 8            // head_dim <= 256
#define ATTENTION_MAX_HEAD_DIM (32 * ATTENTION_DIMS_PER_LANE)

__global__ void kv_store_kernel(int64_t m, int64_t n_kv, int64_t head_dim, const float *k, int64_t ldk, const float *v,
                                int64_t ldv, float *k_cache, float *v_cache, int64_t n_slots, int64_t max_seq,
                                const int32_t *__restrict__ slots, const int32_t *__restrict__ positions,
                                int32_t *error_flag) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    int64_t width = n_kv * head_dim;
    if (i >= m * width) return;
    int64_t row = i / width, h = (i % width) / head_dim, d = i % head_dim;
    int32_t slot = slots[row], pos = positions[row];
    if (slot < 0 || slot >= n_slots || pos < 0 || pos >= max_seq) {
        dlp_flag(error_flag, DLP_FLAG_SLOT_OUT_OF_RANGE, row);
        return;
    }
    size_t at = (((size_t)slot * n_kv + h) * max_seq + pos) * head_dim + d;
    k_cache[at] = k[row * ldk + h * head_dim + d];
    v_cache[at] = v[row * ldv + h * head_dim + d];
}

dlp_status dlp_cuda_kv_store(dlp_context *ctx, int64_t m, int64_t n_kv, int64_t head_dim,
                             const float *k, int64_t ldk, const float *v, int64_t ldv,
                             float *k_cache, float *v_cache, int64_t n_slots, int64_t max_seq,
                             const int32_t *slots, const int32_t *positions) {
    dlp_cuda_enter(ctx);
    if (m < 0 || n_kv <= 0 || head_dim <= 0 || ldk < n_kv * head_dim || ldv < n_kv * head_dim || n_slots <= 0 ||
        max_seq <= 0)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "kv_store: bad sizes m=%lld kv=%lld head_dim=%lld",
                             (long long)m, (long long)n_kv, (long long)head_dim);
    if (m == 0) return DLP_STATUS_OK;
    kv_store_kernel<<<dlp_blocks(m * n_kv * head_dim, 256), 256, 0, ctx->stream>>>(
        m, n_kv, head_dim, k, ldk, v, ldv, k_cache, v_cache, n_slots, max_seq, slots, positions, ctx->error_flag);
    return dlp_cuda_check_launch(ctx, "kv_store");
}

// grid (m * n_heads, n_split), ATTENTION_WARPS warps. partial_*: [m * n_heads, n_split] (+ head_dim for acc).
// A warp takes 32 positions per step, one per lane: each lane computes its position's score against q (in
// shared memory) with 16-byte loads of the key, the warp folds the 32 scores into its online softmax with
// one max and one sum, and then adds the 32 weighted value rows, lane d owning dimensions d, d + 32, ...
// (coalesced loads of each value row). The block's warps take alternate steps and are merged at the end.
__global__ void attention_chunk_kernel(int64_t n_heads, int64_t n_kv, int64_t head_dim, const float *__restrict__ q,
                                       int64_t ldq, const float *__restrict__ k_cache, const float *__restrict__ v_cache,
                                       int64_t n_slots, int64_t max_seq, const int32_t *__restrict__ slots,
                                       const int32_t *__restrict__ positions, int32_t window, float scale,
                                       float *__restrict__ partial_max, float *__restrict__ partial_sum,
                                       float *__restrict__ partial_acc, float *__restrict__ out, int64_t ldo,
                                       int32_t *error_flag) {
    __shared__ __align__(16) float q_scaled[ATTENTION_MAX_HEAD_DIM];
    __shared__ float step_weight[ATTENTION_WARPS][32];
    __shared__ float warp_max[ATTENTION_WARPS], warp_sum[ATTENTION_WARPS];
    __shared__ float warp_acc[ATTENTION_WARPS][ATTENTION_MAX_HEAD_DIM];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int64_t pair = blockIdx.x, row = pair / n_heads, h = pair % n_heads;
    int64_t n_split = gridDim.y, split = blockIdx.y;
    int64_t pos = positions[row];
    if (slots[row] < 0 || slots[row] >= n_slots || pos < 0 || pos >= max_seq) {   // the same for the whole block
        if (threadIdx.x == 0) dlp_flag(error_flag, DLP_FLAG_SLOT_OUT_OF_RANGE, row);
        pos = -1;                                      // an empty range: the output row becomes zeros
    }
    int64_t first = window > 0 && pos - window + 1 > 0 ? pos - window + 1 : 0;
    int64_t chunk = (pos - first + 1 + n_split - 1) / n_split;
    int64_t start = first + split * chunk, end = start + chunk < pos + 1 ? start + chunk : pos + 1;
    size_t base = pos < 0 ? 0 : ((size_t)slots[row] * n_kv + (size_t)(h / (n_heads / n_kv))) * max_seq * head_dim;
    const float *kc = k_cache + base, *vc = v_cache + base;
    for (int64_t d = threadIdx.x; d < head_dim; d += blockDim.x) q_scaled[d] = q[row * ldq + h * head_dim + d] * scale;
    __syncthreads();
    // 16-byte key loads when every key row starts 16-byte aligned
    const int vectorized = head_dim % 4 == 0 && (uintptr_t)kc % 16 == 0;
    float acc[ATTENTION_DIMS_PER_LANE];
    for (int j = 0; j < ATTENTION_DIMS_PER_LANE; j++) acc[j] = 0.0f;
    float running_max = -INFINITY, denominator = 0.0f;
    for (int64_t t0 = start + (int64_t)warp * 32; t0 < end; t0 += ATTENTION_WARPS * 32) {
        int64_t t = t0 + lane;
        float s = -INFINITY;
        if (t < end) {
            const float *kt = kc + t * head_dim;
            float dot = 0.0f;
            if (vectorized) {
                for (int64_t d = 0; d < head_dim; d += 4) {
                    float4 k4 = __ldg((const float4 *)(kt + d)), q4 = *(const float4 *)(q_scaled + d);
                    dot += k4.x * q4.x + k4.y * q4.y + k4.z * q4.z + k4.w * q4.w;
                }
            } else {
                for (int64_t d = 0; d < head_dim; d++) dot += kt[d] * q_scaled[d];
            }
            s = dot;
        }
        // lane 0's position is always < end, so the step's max is a score
        float new_max = fmaxf(running_max, dlp_warp_max(s));
        float correction = expf(running_max - new_max), weight = t < end ? expf(s - new_max) : 0.0f;
        denominator = denominator * correction + dlp_warp_sum(weight);
        step_weight[warp][lane] = weight;
        __syncwarp();
        int steps = end - t0 < 32 ? (int)(end - t0) : 32;
        for (int j = 0; j < ATTENTION_DIMS_PER_LANE; j++) acc[j] *= correction;
        for (int p = 0; p < steps; p++) {
            const float *vt = vc + (t0 + p) * head_dim;
            float w = step_weight[warp][p];
            for (int j = 0; j < ATTENTION_DIMS_PER_LANE; j++) {
                int64_t d = lane + 32 * j;
                if (d < head_dim) acc[j] += w * vt[d];
            }
        }
        __syncwarp();                                  // step_weight is rewritten by the next step
        running_max = new_max;
    }
    if (lane == 0) { warp_max[warp] = running_max; warp_sum[warp] = denominator; }
    for (int j = 0; j < ATTENTION_DIMS_PER_LANE; j++) {
        int64_t d = lane + 32 * j;
        if (d < head_dim) warp_acc[warp][d] = acc[j];
    }
    __syncthreads();
    float block_max = -INFINITY;
    for (int w = 0; w < ATTENTION_WARPS; w++) block_max = fmaxf(block_max, warp_max[w]);
    float block_sum = 0.0f;
    for (int w = 0; w < ATTENTION_WARPS; w++)
        if (warp_max[w] > -INFINITY) block_sum += warp_sum[w] * expf(warp_max[w] - block_max);
    for (int64_t d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float value = 0.0f;
        for (int w = 0; w < ATTENTION_WARPS; w++)
            if (warp_max[w] > -INFINITY) value += warp_acc[w][d] * expf(warp_max[w] - block_max);
        if (n_split == 1)
            out[row * ldo + h * head_dim + d] = block_sum > 0.0f ? value / block_sum : 0.0f;
        else
            partial_acc[(pair * n_split + split) * head_dim + d] = value;
    }
    if (n_split > 1 && threadIdx.x == 0) {
        partial_max[pair * n_split + split] = block_max;
        partial_sum[pair * n_split + split] = block_sum;
    }
}

// grid (m * n_heads): merges the n_split partials of one (row, head).
__global__ void attention_merge_kernel(int64_t n_heads, int64_t head_dim, int64_t n_split,
                                       const float *__restrict__ partial_max, const float *__restrict__ partial_sum,
                                       const float *__restrict__ partial_acc, float *__restrict__ out, int64_t ldo) {
    int64_t pair = blockIdx.x, row = pair / n_heads, h = pair % n_heads;
    const float *pm = partial_max + pair * n_split, *ps = partial_sum + pair * n_split;
    float top = -INFINITY;
    for (int64_t c = 0; c < n_split; c++) top = fmaxf(top, pm[c]);
    float total = 0.0f;
    for (int64_t c = 0; c < n_split; c++)
        if (pm[c] > -INFINITY) total += ps[c] * expf(pm[c] - top);
    for (int64_t d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float value = 0.0f;
        for (int64_t c = 0; c < n_split; c++)
            if (pm[c] > -INFINITY) value += partial_acc[(pair * n_split + c) * head_dim + d] * expf(pm[c] - top);
        out[row * ldo + h * head_dim + d] = total > 0.0f ? value / total : 0.0f;
    }
}

dlp_status dlp_cuda_attention(dlp_context *ctx, int64_t m, int64_t n_heads, int64_t n_kv, int64_t head_dim,
                              const float *q, int64_t ldq, const float *k_cache, const float *v_cache,
                              int64_t n_slots, int64_t max_seq, const int32_t *slots, const int32_t *positions,
                              int32_t window, float scale, float *out, int64_t ldo) {
    dlp_cuda_enter(ctx);
    if (m < 0 || n_heads <= 0 || n_kv <= 0 || n_heads % n_kv != 0 || head_dim <= 0 || ldq < n_heads * head_dim ||
        ldo < n_heads * head_dim || n_slots <= 0 || max_seq <= 0 || m * n_heads > INT32_MAX)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "attention: bad sizes m=%lld heads=%lld kv=%lld head_dim=%lld",
                             (long long)m, (long long)n_heads, (long long)n_kv, (long long)head_dim);
    if (head_dim > ATTENTION_MAX_HEAD_DIM)
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "attention: head_dim %lld > %d", (long long)head_dim,
                             ATTENTION_MAX_HEAD_DIM);
    if (m == 0) return DLP_STATUS_OK;
    int64_t pairs = m * n_heads;
    // split the sequence only when the (row, head) pairs alone cannot fill the GPU
    int64_t n_split = 1;
    if (pairs < 2 * (int64_t)ctx->properties.multiProcessorCount) {
        n_split = max_seq / 256;
        n_split = n_split < 1 ? 1 : (n_split > 16 ? 16 : n_split);
    }
    float *partial_max = NULL, *partial_sum = NULL, *partial_acc = NULL;
    if (n_split > 1) {
        size_t parts = (size_t)pairs * (size_t)n_split;
        float *scratch = (float *)dlp_cuda_scratch(ctx, parts * (2 + (size_t)head_dim) * sizeof(float));
        if (!scratch) return ctx->scratch_status;
        partial_max = scratch;
        partial_sum = scratch + parts;
        partial_acc = scratch + 2 * parts;
    }
    dim3 grid((unsigned)pairs, (unsigned)n_split);
    attention_chunk_kernel<<<grid, ATTENTION_WARPS * 32, 0, ctx->stream>>>(
        n_heads, n_kv, head_dim, q, ldq, k_cache, v_cache, n_slots, max_seq, slots, positions, window, scale, partial_max,
        partial_sum, partial_acc, out, ldo, ctx->error_flag);
    dlp_status status = dlp_cuda_check_launch(ctx, "attention");
    if (status != DLP_STATUS_OK || n_split == 1) return status;
    attention_merge_kernel<<<(unsigned)pairs, 128, 0, ctx->stream>>>(n_heads, head_dim, n_split, partial_max, partial_sum,
                                                                     partial_acc, out, ldo);
    return dlp_cuda_check_launch(ctx, "attention (merge)");
}
