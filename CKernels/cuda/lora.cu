// lora.cu: the batched multi-LoRA kernels (punica's SGMV/BGMV idea, our own code). Every row points at a
// plan of k_slots (adapter, weight) pairs in the stacked bank; one shrink launch computes every slot of
// every row (t = weight * scale * A x, f32) and one expand launch adds every slot's B t into y, so rows
// with different plans share the launches; gemm_lora is the shrink, the product and the expand.
#include "cuda_internal.cuh"

#define SHRINK_WARPS 4

// grid (m, k_slots, ceil(r_max / SHRINK_WARPS)); one warp per rank index j: one dot of length d_in.
// The adapter of (row, slot) and its rank, or -1 when the row or slot has none. Indices outside the bank
// (which the CPU rejects up front; here they are only visible on the device) are flagged and skipped.
__device__ __forceinline__ int32_t slot_adapter(int64_t row, int64_t slot, int64_t k_slots, int64_t r_max,
                                                int64_t n_plans, int64_t n_adapters, const int32_t *plan_of_row,
                                                const int32_t *plan_adapters, const int32_t *ranks, int32_t *rank,
                                                int32_t *error_flag) {
    int32_t plan = plan_of_row[row];
    if (plan < 0) return -1;
    if (plan >= n_plans) { dlp_flag(error_flag, DLP_FLAG_PLAN_OUT_OF_RANGE, row); return -1; }
    int32_t adapter = plan_adapters[plan * k_slots + slot];
    if (adapter < 0) return -1;
    if (adapter >= n_adapters || ranks[adapter] < 0 || ranks[adapter] > r_max) {
        dlp_flag(error_flag, DLP_FLAG_PLAN_OUT_OF_RANGE, row);
        return -1;
    }
    *rank = ranks[adapter];
    return adapter;
}

__global__ void lora_shrink_kernel(int64_t d_in, int64_t r_max, int64_t k_slots, const float *__restrict__ x, int64_t ldx,
                                   const void *__restrict__ a_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                                   const int32_t *__restrict__ ranks,
                                   const float *__restrict__ scales, int64_t n_plans, const int32_t *__restrict__ plan_adapters,
                                   const float *__restrict__ plan_weights, const int32_t *__restrict__ plan_of_row,
                                   float *__restrict__ t, int32_t *error_flag) {
    int lane = threadIdx.x & 31;
    int64_t row = blockIdx.x, slot = blockIdx.y, j = (int64_t)blockIdx.z * SHRINK_WARPS + (threadIdx.x >> 5);
    if (j >= r_max) return;
    int32_t rank = 0;
    int32_t adapter = slot_adapter(row, slot, k_slots, r_max, n_plans, n_adapters, plan_of_row, plan_adapters, ranks, &rank,
                                   error_flag);
    float *out = t + row * k_slots * r_max + slot * r_max + j;
    if (adapter < 0 || j >= rank) {
        if (lane == 0) *out = 0.0f;
        return;
    }
    size_t a_row = ((size_t)adapter * r_max + j) * d_in;
    const float *xi = x + row * ldx;
    float sum = 0.0f;
    for (int64_t k = lane; k < d_in; k += 32) sum += xi[k] * dlp_load(a_bank, bank_dtype, a_row + k);
    sum = dlp_warp_sum(sum);
    if (lane == 0) *out = plan_weights[plan_of_row[row] * k_slots + slot] * scales[adapter] * sum;
}

// grid (m, ceil(d_out / 256)); thread per output column, every slot and rank of the row's plan.
__global__ void lora_expand_kernel(int64_t d_out, int64_t r_max, int64_t k_slots, const float *__restrict__ t,
                                   const void *__restrict__ b_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                                   const int32_t *__restrict__ ranks,
                                   int64_t n_plans, const int32_t *__restrict__ plan_adapters,
                                   const int32_t *__restrict__ plan_of_row, float *__restrict__ y, int64_t ldy,
                                   int32_t *error_flag) {
    int64_t row = blockIdx.x, col = (int64_t)blockIdx.y * blockDim.x + threadIdx.x;
    if (col >= d_out) return;
    const float *ti = t + row * k_slots * r_max;
    float sum = 0.0f;
    for (int64_t slot = 0; slot < k_slots; slot++) {
        int32_t rank = 0;
        int32_t adapter = slot_adapter(row, slot, k_slots, r_max, n_plans, n_adapters, plan_of_row, plan_adapters, ranks,
                                       &rank, error_flag);
        if (adapter < 0) continue;
        size_t b_column = (size_t)adapter * r_max * d_out + col;
        for (int32_t j = 0; j < rank; j++) sum += dlp_load(b_bank, bank_dtype, b_column + (size_t)j * d_out) * ti[slot * r_max + j];
    }
    if (plan_of_row[row] >= 0) y[row * ldy + col] += sum;
}

static dlp_status check_plans(dlp_context *ctx, const char *op, int64_t m, int64_t r_max, int64_t k_slots,
                              int64_t n_adapters, int64_t n_plans, dlp_dtype bank_dtype, const int32_t *ranks,
                              const int32_t *plan_adapters, const int32_t *plan_of_row) {
    if (!dlp_dtype_is_float(bank_dtype) || m < 0 || r_max <= 0 || k_slots <= 0 || n_adapters <= 0 || n_plans < 0 || m > INT32_MAX || k_slots > 65535 ||
        r_max > 65535 * 4)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "%s: bad sizes m=%lld r_max=%lld k=%lld adapters=%lld plans=%lld",
                             op, (long long)m, (long long)r_max, (long long)k_slots, (long long)n_adapters,
                             (long long)n_plans);
    if (!ranks || (m > 0 && !plan_of_row) || (n_plans > 0 && !plan_adapters))
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "%s: a NULL rank or plan table", op);
    return DLP_STATUS_OK;
}

dlp_status dlp_cuda_lora_shrink(dlp_context *ctx, int64_t m, int64_t d_in, int64_t r_max, int64_t k_slots,
                                const float *x, int64_t ldx, const void *a_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                                const int32_t *ranks, const float *scales, int64_t n_plans,
                                const int32_t *plan_adapters, const float *plan_weights, const int32_t *plan_of_row,
                                float *t) {
    dlp_cuda_enter(ctx);
    dlp_status status = check_plans(ctx, "lora_shrink", m, r_max, k_slots, n_adapters, n_plans, bank_dtype, ranks,
                                    plan_adapters, plan_of_row);
    if (status != DLP_STATUS_OK) return status;
    if (d_in <= 0 || ldx < d_in)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "lora_shrink: bad d_in=%lld ldx=%lld", (long long)d_in,
                             (long long)ldx);
    if (m == 0) return DLP_STATUS_OK;
    if (!x || !a_bank || !scales || !t || (n_plans > 0 && !plan_weights))
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "lora_shrink: a NULL bank, scale, weight, x or t pointer");
    dim3 grid((unsigned)m, (unsigned)k_slots, dlp_blocks(r_max, SHRINK_WARPS));
    lora_shrink_kernel<<<grid, SHRINK_WARPS * 32, 0, ctx->stream>>>(d_in, r_max, k_slots, x, ldx, a_bank, bank_dtype, n_adapters, ranks,
                                                                    scales, n_plans, plan_adapters, plan_weights, plan_of_row,
                                                                    t, ctx->error_flag);
    return dlp_cuda_check_launch(ctx, "lora_shrink");
}

dlp_status dlp_cuda_lora_expand(dlp_context *ctx, int64_t m, int64_t d_out, int64_t r_max, int64_t k_slots,
                                const float *t, const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                                const int32_t *ranks,
                                int64_t n_plans, const int32_t *plan_adapters, const int32_t *plan_of_row,
                                float *y, int64_t ldy) {
    dlp_cuda_enter(ctx);
    dlp_status status = check_plans(ctx, "lora_expand", m, r_max, k_slots, n_adapters, n_plans, bank_dtype, ranks,
                                    plan_adapters, plan_of_row);
    if (status != DLP_STATUS_OK) return status;
    if (d_out <= 0 || ldy < d_out)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "lora_expand: bad d_out=%lld ldy=%lld", (long long)d_out,
                             (long long)ldy);
    if (m == 0) return DLP_STATUS_OK;
    if (!t || !b_bank || !y)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "lora_expand: a NULL bank, t or y pointer");
    if (d_out > 65535LL * 256)
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "lora_expand: d_out=%lld is too wide", (long long)d_out);
    dim3 grid((unsigned)m, dlp_blocks(d_out, 256));
    lora_expand_kernel<<<grid, 256, 0, ctx->stream>>>(d_out, r_max, k_slots, t, b_bank, bank_dtype, n_adapters, ranks, n_plans,
                                                      plan_adapters, plan_of_row, y, ldy, ctx->error_flag);
    return dlp_cuda_check_launch(ctx, "lora_expand");
}

// On the GPU gemm_lora is three launches queued back to back: the shrink, the product, the expand.
dlp_status dlp_cuda_gemm_lora(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                              const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                              float beta, float *y, int64_t ldy, int64_t r_max, int64_t k_slots, const void *a_bank,
                              const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters, const int32_t *ranks,
                              const float *scales, int64_t n_plans, const int32_t *plan_adapters,
                              const float *plan_weights, const int32_t *plan_of_row, float *t) {
    // the expand's arguments are checked before the product writes y (a failed op leaves y alone)
    dlp_status status = check_plans(ctx, "gemm_lora", m, r_max, k_slots, n_adapters, n_plans, bank_dtype, ranks,
                                    plan_adapters, plan_of_row);
    if (status != DLP_STATUS_OK) return status;
    if (dlp_dtype_is_row_interleaved(w_dtype))
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "gemm_lora: row-interleaved dtype %d is a CPU layout", (int)w_dtype);
    if (n > 65535LL * 256)
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "gemm_lora: n=%lld is too wide", (long long)n);
    if (m > 0 && !b_bank) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "gemm_lora: a NULL B bank");
    status = dlp_cuda_lora_shrink(ctx, m, k, r_max, k_slots, x, ldx, a_bank, bank_dtype, n_adapters, ranks, scales,
                                  n_plans, plan_adapters, plan_weights, plan_of_row, t);
    if (status != DLP_STATUS_OK) return status;
    status = dlp_cuda_gemm(ctx, m, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy);
    if (status != DLP_STATUS_OK) return status;
    return dlp_cuda_lora_expand(ctx, m, n, r_max, k_slots, t, b_bank, bank_dtype, n_adapters, ranks, n_plans, plan_adapters,
                                plan_of_row, y, ldy);
}
