// sampling.cu: the `sample` op on the device, one block per row: argmax, or the top-k and top-p
// thresholds found by bisection over the ordered bit patterns of the logits (32 block reductions each),
// then a block-wide scan in id order to find the token whose running weight passes the draw. Masses are
// summed in double, as on the CPU, so both keep the same set and draw the same token.
#include "cuda_internal.cuh"

#define SAMPLE_THREADS 1024

// A uint32 key that orders like the float (-0 and +0 equal; NaN aside).
__device__ __forceinline__ uint32_t order_key(float f) {
    uint32_t bits = __float_as_uint(f);
    if (bits == 0x80000000u) bits = 0;
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

// exp((logit - max) / temperature) in double, as the CPU op computes it.
__device__ __forceinline__ double token_weight(float logit, float max, float temperature) {
    return exp((double)(logit - max) / (double)temperature);
}

// Count (mass == 0) or e-mass (mass == 1) of the row's entries with key >= bound, over the whole block.
__device__ double block_measure(const float *row, int64_t n, uint32_t bound, int mass, float max, float temperature,
                                double *shared32) {
    double local = 0.0;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
        if (order_key(row[j]) >= bound) local += mass ? token_weight(row[j], max, temperature) : 1.0;
    return dlp_block_sum_double(local, shared32);
}

// Largest key >= floor_key whose measure still reaches target (the measure only shrinks as the key grows).
__device__ uint32_t block_largest_key(const float *row, int64_t n, uint32_t floor_key, int mass, double target, float max,
                                      float temperature, double *shared32) {
    uint64_t lo = floor_key, hi = 1ull << 32;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (block_measure(row, n, (uint32_t)mid, mass, max, temperature, shared32) >= target) lo = mid; else hi = mid;
    }
    return (uint32_t)lo;
}

__global__ void __launch_bounds__(SAMPLE_THREADS)
sample_kernel(int64_t n, const float *__restrict__ logits, int64_t ldl, float temperature, int32_t top_k, float top_p,
              const float *__restrict__ uniforms, int32_t *__restrict__ out, int32_t *error_flag) {
    __shared__ double shared32[32];
    __shared__ double prefix[SAMPLE_THREADS];
    __shared__ int64_t last_index[SAMPLE_THREADS / 32];
    __shared__ int owner;
    __shared__ int64_t chosen;
    const float *row = logits + blockIdx.x * ldl;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    float max;
    int64_t argmax = dlp_block_argmax(row, n, &max);           // first index on ties
    if (!(temperature > 0.0f)) {
        if (threadIdx.x == 0) out[blockIdx.x] = (int32_t)argmax;
        return;
    }
    float u = uniforms[blockIdx.x];
    if (!(u >= 0.0f && u < 1.0f)) {
        if (threadIdx.x == 0) {
            dlp_flag(error_flag, DLP_FLAG_UNIFORM_OUT_OF_RANGE, blockIdx.x);
            out[blockIdx.x] = (int32_t)argmax;
        }
        return;
    }
    uint32_t floor_key = 0;
    if (top_k > 0 && top_k < n)
        floor_key = block_largest_key(row, n, 0, 0, (double)top_k, max, temperature, shared32);
    double kept_mass = block_measure(row, n, floor_key, 1, max, temperature, shared32);
    if (top_p < 1.0f) {
        floor_key = block_largest_key(row, n, floor_key, 1, (double)top_p * kept_mass, max, temperature, shared32);
        kept_mass = block_measure(row, n, floor_key, 1, max, temperature, shared32);
    }
    // each thread owns a contiguous chunk of ids; an inclusive scan of the chunk masses finds the owner
    int64_t chunk = (n + blockDim.x - 1) / blockDim.x;
    int64_t begin = threadIdx.x * chunk, end = begin + chunk < n ? begin + chunk : n;
    double local = 0.0;
    int64_t last_kept = -1;
    for (int64_t j = begin; j < end; j++)
        if (order_key(row[j]) >= floor_key) { local += token_weight(row[j], max, temperature); last_kept = j; }
    prefix[threadIdx.x] = local;
    if (threadIdx.x == 0) { chosen = -1; owner = (int)blockDim.x; }
    __syncthreads();
    for (int offset = 1; offset < (int)blockDim.x; offset <<= 1) {     // Hillis-Steele inclusive scan
        double add = threadIdx.x >= (unsigned)offset ? prefix[threadIdx.x - offset] : 0.0;
        __syncthreads();
        prefix[threadIdx.x] += add;
        __syncthreads();
    }
    double target = (double)u * prefix[blockDim.x - 1];
    // the owner is the lowest thread whose chunk holds kept mass and whose running total passes the draw
    if (local > 0.0 && target < prefix[threadIdx.x]) atomicMin(&owner, (int)threadIdx.x);
    __syncthreads();
    if ((int)threadIdx.x == owner) {
        double cumulative = threadIdx.x > 0 ? prefix[threadIdx.x - 1] : 0.0;
        int64_t pick = last_kept;
        for (int64_t j = begin; j < end; j++) {
            if (order_key(row[j]) < floor_key) continue;
            cumulative += token_weight(row[j], max, temperature);
            if (target < cumulative) { pick = j; break; }
        }
        chosen = pick;
    }
    __syncthreads();
    if (chosen < 0) {                                                  // rounding: the last kept token
        int64_t mine = last_kept;
        for (int offset = 16; offset > 0; offset >>= 1) {
            int64_t other = __shfl_xor_sync(0xffffffffu, mine, offset);
            mine = other > mine ? other : mine;
        }
        if (lane == 0) last_index[warp] = mine;
        __syncthreads();
        if (threadIdx.x == 0) {
            int64_t pick = -1;
            for (int w = 0; w < warps; w++) pick = last_index[w] > pick ? last_index[w] : pick;
            chosen = pick >= 0 ? pick : argmax;
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = (int32_t)chosen;
}

dlp_status dlp_cuda_sample(dlp_context *ctx, int64_t m, int64_t n, const float *logits, int64_t ldl,
                           float temperature, int32_t top_k, float top_p, const float *uniforms, int32_t *out) {
    dlp_cuda_enter(ctx);
    if (m < 0 || n <= 0 || ldl < n || !(top_p > 0.0f && top_p <= 1.0f) || !(temperature >= 0.0f && temperature < INFINITY) ||
        m > INT32_MAX)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "sample: bad arguments m=%lld n=%lld temperature=%g top_p=%g",
                             (long long)m, (long long)n, (double)temperature, (double)top_p);
    if (m > 0 && (!logits || !out || (temperature > 0.0f && !uniforms)))
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "sample: NULL %s", !logits ? "logits" : !out ? "out" : "uniforms");
    if (m == 0) return DLP_STATUS_OK;
    sample_kernel<<<(unsigned)m, SAMPLE_THREADS, 0, ctx->stream>>>(n, logits, ldl, temperature, top_k, top_p, uniforms,
                                                                   out, ctx->error_flag);
    return dlp_cuda_check_launch(ctx, "sample");
}
