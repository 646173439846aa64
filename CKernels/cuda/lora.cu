// lora.cu: the batched multi-LoRA kernels (punica's SGMV/BGMV idea, our own code). Every row points at a
// plan of k_slots (adapter, weight) pairs in the stacked bank; one shrink launch computes every slot of
// every row (t = weight * scale * A x, f32) and one expand launch adds every slot's B t into y, so rows
// with different plans share the launches; gemm_lora is the shrink, the product and the expand. Two
// forms, as in punica: for decode (few rows), where few rows must still fill the GPU,
// the shrink gives each (row, slot, rank index) a block whose warps split d_in, with 16-byte loads of A in
// the bank's dtype (a template parameter), and the expand gives each 32 output columns of a row a block
// whose warps split each slot's rank indices; for prefill, tiles of LORA_TILE_ROWS rows, whose runs of rows
// with one adapter (a sentence's rows) read A and B once per run instead of once per row, and whose shrink
// reads x once per 16 rank indices. The expand takes the tiles past LORA_TILE_ROWS rows, the shrink once
// they fill the GPU (launch_shrink).
#include "cuda_internal.cuh"
#include "vector_loads.cuh"

#define SHRINK_WARPS 4
#define EXPAND_WARPS 4
#define LORA_TILE_ROWS 8       // rows per block in the prefill form
#define SHRINK_TILED_WARPS 8   // the prefill shrink's warps: each computes 2 rank indices per pass over x
#define SHRINK_TILED_CHUNK 512 // x values per staged row and pass in the prefill shrink (8 rows: 16 KiB)

// The adapter of (row, slot) and its rank, or -1 when the row or slot has none. Indices outside the bank
// (which the CPU rejects up front; here they are only visible on the device) are flagged and skipped.
__device__ __forceinline__ int32_t slot_adapter(int64_t row, int64_t slot, int64_t k_slots, int64_t r_max,
                                                int64_t n_plans, int64_t n_adapters, const int32_t *plan_of_row,
                                                const int32_t *plan_adapters, const int32_t *ranks, int32_t *rank,
                                                int32_t *error_flag) {
    int32_t plan = plan_of_row[row];
    if (plan == -1) return -1;
    if (plan < -1 || plan >= n_plans) { dlp_flag(error_flag, DLP_FLAG_PLAN_OUT_OF_RANGE, row); return -1; }
    int32_t adapter = plan_adapters[plan * k_slots + slot];
    if (adapter == -1) return -1;
    if (adapter < -1) { dlp_flag(error_flag, DLP_FLAG_PLAN_OUT_OF_RANGE, row); return -1; }
    if (adapter >= n_adapters || ranks[adapter] < 0 || ranks[adapter] > r_max) {
        dlp_flag(error_flag, DLP_FLAG_PLAN_OUT_OF_RANGE, row);
        return -1;
    }
    *rank = ranks[adapter];
    return adapter;
}

// grid (m, k_slots, r_max): the block of (row, slot, rank index j) splits the dot of length d_in over its
// SHRINK_WARPS warps (8 weights per lane step when `vectorized`), then adds the warps' sums.
template <dlp_dtype D>
__global__ void lora_shrink_kernel(int64_t d_in, int64_t r_max, int64_t k_slots, const float *__restrict__ x, int64_t ldx,
                                   const void *__restrict__ a_bank, int64_t n_adapters, const int32_t *__restrict__ ranks,
                                   const float *__restrict__ scales, int64_t n_plans, const int32_t *__restrict__ plan_adapters,
                                   const float *__restrict__ plan_weights, const int32_t *__restrict__ plan_of_row,
                                   float *__restrict__ t, int32_t *error_flag, int vectorized) {
    __shared__ float partial[SHRINK_WARPS];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int64_t row = blockIdx.x, slot = blockIdx.y, j = blockIdx.z;
    int32_t rank = 0;
    int32_t adapter = slot_adapter(row, slot, k_slots, r_max, n_plans, n_adapters, plan_of_row, plan_adapters, ranks, &rank,
                                   error_flag);
    float *out = t + row * k_slots * r_max + slot * r_max + j;
    if (adapter < 0 || j >= rank) {                  // the same for the whole block
        if (threadIdx.x == 0) *out = 0.0f;
        return;
    }
    size_t a_row = ((size_t)adapter * r_max + j) * d_in;
    const float *xi = x + row * ldx;
    float sum = 0.0f;
    int64_t done = 0;
    if (vectorized) {
        int64_t d8 = d_in & ~(int64_t)7;
        for (int64_t k = (int64_t)threadIdx.x * 8; k < d8; k += (int64_t)blockDim.x * 8) {
            float wv[8];
            load8<D>(a_bank, a_row + k, wv);
            sum += dot8(wv, xi + k);
        }
        done = d8;
    }
    for (int64_t k = done + threadIdx.x; k < d_in; k += blockDim.x) sum += xi[k] * dlp_load(a_bank, D, a_row + k);
    sum = dlp_warp_sum(sum);
    if (lane == 0) partial[warp] = sum;
    __syncthreads();
    if (threadIdx.x == 0) {
        float total = 0.0f;
        for (int w = 0; w < SHRINK_WARPS; w++) total += partial[w];
        *out = plan_weights[plan_of_row[row] * k_slots + slot] * scales[adapter] * total;
    }
}

// grid (m, ceil(d_out / 32)): lane = output column, warp w takes the rank indices w, w + EXPAND_WARPS, ...
// of every slot, the slot's adapter looked up once (so the B loads of a slot are independent and unrolled,
// several in flight); the warps' sums are added through shared memory and into y. A row no term reaches
// (no plan, or only empty slots) is left alone, as the CPU leaves it (a -0 stays -0).
template <dlp_dtype D>
__global__ void lora_expand_kernel(int64_t d_out, int64_t r_max, int64_t k_slots, const float *__restrict__ t,
                                   const void *__restrict__ b_bank, int64_t n_adapters, const int32_t *__restrict__ ranks,
                                   int64_t n_plans, const int32_t *__restrict__ plan_adapters,
                                   const int32_t *__restrict__ plan_of_row, float *__restrict__ y, int64_t ldy,
                                   int32_t *error_flag) {
    __shared__ float partial[EXPAND_WARPS][32];
    __shared__ int reached[EXPAND_WARPS];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int64_t row = blockIdx.x, col = (int64_t)blockIdx.y * 32 + lane;
    const float *ti = t + row * k_slots * r_max;
    float sum = 0.0f;
    int terms = 0;                                     // the same for every lane of the warp
    for (int64_t slot = 0; slot < k_slots; slot++) {
        int32_t rank = 0;
        int32_t adapter = slot_adapter(row, slot, k_slots, r_max, n_plans, n_adapters, plan_of_row, plan_adapters, ranks,
                                       &rank, error_flag);
        if (adapter < 0 || rank <= warp) continue;
        terms++;
        if (col >= d_out) continue;
        const size_t b_rows = (size_t)adapter * r_max * d_out + col;
        const float *ts = ti + slot * r_max;
#pragma unroll 4
        for (int32_t j = warp; j < rank; j += EXPAND_WARPS) sum += dlp_load(b_bank, D, b_rows + (size_t)j * d_out) * ts[j];
    }
    partial[warp][lane] = sum;
    if (lane == 0) reached[warp] = terms;
    __syncthreads();
    if (warp != 0 || col >= d_out) return;
    float total = 0.0f;
    int any = 0;
    for (int w = 0; w < EXPAND_WARPS; w++) {
        total += partial[w][lane];
        any += reached[w];
    }
    if (any) y[row * ldy + col] += total;
}

// Prefill form (many rows: launch_shrink and launch_expand choose): rows in tiles of LORA_TILE_ROWS. A sentence's rows share a plan and
// are contiguous, so a tile's rows are one or two groups with the same adapter in a slot; each group
// reads A's row (shrink) or B's columns (expand) once for all its rows instead of once per row.

// grid (ceil(m / LORA_TILE_ROWS), k_slots), SHRINK_TILED_WARPS warps: one slot for the tile's rows. Rows
// are taken a group at a time (the rows with one adapter in this slot); for a group the block stages the
// rows' x in shared memory, SHRINK_TILED_CHUNK values of each row per pass, and warp w computes the rank
// indices j0 + 2w and j0 + 2w + 1 (lanes split the chunk, 8 values per lane step, the A row read once per
// group), with j0 stepping by 2 * SHRINK_TILED_WARPS: x is read once per 16 rank indices, not once per
// index. Rank indices a row does not have (past its adapter's rank, or no adapter) get t = 0.
template <dlp_dtype D>
__global__ void lora_shrink_tiled_kernel(int64_t m, int64_t d_in, int64_t r_max, int64_t k_slots,
                                         const float *__restrict__ x, int64_t ldx, const void *__restrict__ a_bank,
                                         int64_t n_adapters, const int32_t *__restrict__ ranks,
                                         const float *__restrict__ scales, int64_t n_plans,
                                         const int32_t *__restrict__ plan_adapters, const float *__restrict__ plan_weights,
                                         const int32_t *__restrict__ plan_of_row, float *__restrict__ t,
                                         int32_t *error_flag, int vectorized) {
    __shared__ __align__(16) float x_staged[LORA_TILE_ROWS][SHRINK_TILED_CHUNK];   // [tile row][chunk of d_in]
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int64_t first = (int64_t)blockIdx.x * LORA_TILE_ROWS, slot = blockIdx.y;
    int rows = m - first < LORA_TILE_ROWS ? (int)(m - first) : LORA_TILE_ROWS;
    int32_t adapter_of[LORA_TILE_ROWS], rank_of[LORA_TILE_ROWS];   // the same in every thread
    unsigned pending = 0;                              // rows with an adapter in this slot, still to compute
    for (int r = 0; r < LORA_TILE_ROWS; r++) {
        rank_of[r] = 0;
        adapter_of[r] = r < rows ? slot_adapter(first + r, slot, k_slots, r_max, n_plans, n_adapters, plan_of_row,
                                                plan_adapters, ranks, &rank_of[r], error_flag)
                                 : -1;
        if (adapter_of[r] >= 0 && rank_of[r] > 0) pending |= 1u << r;
        else rank_of[r] = 0;
    }
    for (int64_t i = threadIdx.x; i < (int64_t)rows * r_max; i += blockDim.x) {   // t = 0 past each row's rank
        int r = (int)(i / r_max);
        int64_t j = i % r_max;
        if (j >= rank_of[r]) t[(first + r) * k_slots * r_max + slot * r_max + j] = 0.0f;
    }
    const int second_half_first = (lane >> 2) & 1;
    while (pending) {
        int32_t adapter = adapter_of[__ffs((int)pending) - 1];
        unsigned group = 0;
        for (int r = 0; r < LORA_TILE_ROWS; r++)
            if ((pending >> r & 1) && adapter_of[r] == adapter) group |= 1u << r;
        pending &= ~group;
        const int32_t rank = rank_of[__ffs((int)group) - 1];   // one adapter: one rank
        const int64_t d8 = vectorized ? d_in & ~(int64_t)7 : 0;
        for (int32_t j0 = 0; j0 < rank; j0 += 2 * SHRINK_TILED_WARPS) {
            const int32_t j_a = j0 + 2 * warp, j_b = j_a + 1;  // this warp's rank indices (used if < rank)
            const size_t a_row = ((size_t)adapter * r_max + j_a) * d_in, b_row = a_row + (size_t)d_in;
            float acc_a[LORA_TILE_ROWS], acc_b[LORA_TILE_ROWS];
            for (int r = 0; r < LORA_TILE_ROWS; r++) acc_a[r] = acc_b[r] = 0.0f;
            for (int64_t base = 0; base < d8; base += SHRINK_TILED_CHUNK) {
                const int64_t len = d8 - base < SHRINK_TILED_CHUNK ? d8 - base : SHRINK_TILED_CHUNK;
                __syncthreads();                       // every warp is done with the previous chunk
                for (int64_t i = (int64_t)threadIdx.x * 4; i < LORA_TILE_ROWS * len; i += (int64_t)blockDim.x * 4) {
                    int r = (int)(i / len);
                    int64_t c = i % len;               // len is a multiple of 8: a float4 never crosses rows
                    if (group >> r & 1) *(float4 *)&x_staged[r][c] = __ldg((const float4 *)(x + (first + r) * ldx + base + c));
                }
                __syncthreads();
                if (j_a >= rank) continue;
                for (int64_t k = (int64_t)lane * 8; k < len; k += 32 * 8) {
                    float wa[8], wb[8];
                    load8<D>(a_bank, a_row + base + k, wa);
                    swap_halves_if(wa, second_half_first);
                    if (j_b < rank) {
                        load8<D>(a_bank, b_row + base + k, wb);
                        swap_halves_if(wb, second_half_first);
                    }
                    for (int r = 0; r < LORA_TILE_ROWS; r++) {
                        if (!(group >> r & 1)) continue;
                        float xv[8];                   // read once for both rank indices
                        load_x8<false>(&x_staged[r][k], second_half_first, xv);
                        acc_a[r] += dot8_registers(wa, xv);
                        if (j_b < rank) acc_b[r] += dot8_registers(wb, xv);
                    }
                }
            }
            if (j_a >= rank) continue;                 // the same for the whole warp; no barrier follows
            for (int64_t k = d8 + lane; k < d_in; k += 32) {   // the tail (all of d_in when not vectorized)
                float a = dlp_load(a_bank, D, a_row + k), b = j_b < rank ? dlp_load(a_bank, D, b_row + k) : 0.0f;
                for (int r = 0; r < LORA_TILE_ROWS; r++) {
                    if (!(group >> r & 1)) continue;
                    float xv = x[(first + r) * ldx + k];
                    acc_a[r] += a * xv;
                    acc_b[r] += b * xv;
                }
            }
            for (int r = 0; r < LORA_TILE_ROWS; r++) {
                if (!(group >> r & 1)) continue;       // the group is the same for the whole block
                float sum_a = dlp_warp_sum(acc_a[r]), sum_b = dlp_warp_sum(acc_b[r]);
                if (lane != 0) continue;
                int64_t row = first + r;
                float weight = plan_weights[plan_of_row[row] * k_slots + slot] * scales[adapter];
                float *out = t + row * k_slots * r_max + slot * r_max;
                out[j_a] = weight * sum_a;
                if (j_b < rank) out[j_b] = weight * sum_b;
            }
        }
    }
}

// grid (ceil(m / LORA_TILE_ROWS), ceil(d_out / 32)), EXPAND_WARPS warps: lane = output column, warp w takes
// the rank indices w, w + EXPAND_WARPS, ... of every slot, the tile's adapters in a slot looked up once per
// slot; a B element is loaded once for a run of rows with the same adapter. Rows no term reaches are left
// alone.
template <dlp_dtype D>
__global__ void lora_expand_tiled_kernel(int64_t m, int64_t d_out, int64_t r_max, int64_t k_slots, const float *__restrict__ t,
                                         const void *__restrict__ b_bank, int64_t n_adapters,
                                         const int32_t *__restrict__ ranks, int64_t n_plans,
                                         const int32_t *__restrict__ plan_adapters, const int32_t *__restrict__ plan_of_row,
                                         float *__restrict__ y, int64_t ldy, int32_t *error_flag) {
    __shared__ float partial[EXPAND_WARPS][LORA_TILE_ROWS][32];
    __shared__ unsigned reached[EXPAND_WARPS];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int64_t first = (int64_t)blockIdx.x * LORA_TILE_ROWS, col = (int64_t)blockIdx.y * 32 + lane;
    int rows = m - first < LORA_TILE_ROWS ? (int)(m - first) : LORA_TILE_ROWS;
    float sum[LORA_TILE_ROWS];
    for (int r = 0; r < LORA_TILE_ROWS; r++) sum[r] = 0.0f;
    unsigned terms = 0;                                // rows some term reached (the same for the whole warp)
    for (int64_t slot = 0; slot < k_slots; slot++) {
        int32_t adapter_of[LORA_TILE_ROWS], rank_of[LORA_TILE_ROWS], most = 0;   // rank 0: no adapter
        for (int r = 0; r < LORA_TILE_ROWS; r++) {
            adapter_of[r] = -1;
            rank_of[r] = 0;
            if (r >= rows) continue;
            int32_t rank = 0;
            adapter_of[r] = slot_adapter(first + r, slot, k_slots, r_max, n_plans, n_adapters, plan_of_row, plan_adapters,
                                         ranks, &rank, error_flag);
            rank_of[r] = adapter_of[r] < 0 ? 0 : rank;
            if (rank_of[r] > warp) terms |= 1u << r;
            most = rank_of[r] > most ? rank_of[r] : most;
        }
        for (int32_t j = warp; j < most; j += EXPAND_WARPS) {
            int32_t loaded = -1;
            float b = 0.0f;
            for (int r = 0; r < LORA_TILE_ROWS; r++) {
                if (j >= rank_of[r]) continue;         // also rows past the tile's end (rank 0)
                if (adapter_of[r] != loaded) {
                    b = col < d_out ? dlp_load(b_bank, D, ((size_t)adapter_of[r] * r_max + j) * d_out + col) : 0.0f;
                    loaded = adapter_of[r];
                }
                sum[r] += b * t[(first + r) * k_slots * r_max + slot * r_max + j];
            }
        }
    }
    for (int r = 0; r < LORA_TILE_ROWS; r++) partial[warp][r][lane] = sum[r];
    if (lane == 0) reached[warp] = terms;
    __syncthreads();
    if (col >= d_out) return;
    unsigned any = 0;
    for (int w = 0; w < EXPAND_WARPS; w++) any |= reached[w];
    for (int r = warp; r < rows; r += EXPAND_WARPS) {   // each warp writes some of the tile's rows
        if (!(any >> r & 1)) continue;
        float total = 0.0f;
        for (int w = 0; w < EXPAND_WARPS; w++) total += partial[w][r][lane];
        y[(first + r) * ldy + col] += total;
    }
}

// The prefill form once its blocks (a tile and a slot each) give every SM two, the decode form before
// that (a block per row, slot and rank index: enough blocks for few rows; a batch of 32 decode rows with
// K=3 is 12 tiled blocks but 1536 of these).
template <dlp_dtype D>
static void launch_shrink(dlp_context *ctx, int64_t m, int64_t d_in, int64_t r_max, int64_t k_slots, const float *x, int64_t ldx,
                          const void *a_bank, int64_t n_adapters, const int32_t *ranks, const float *scales, int64_t n_plans,
                          const int32_t *plan_adapters, const float *plan_weights, const int32_t *plan_of_row, float *t,
                          int vectorized) {
    int64_t sms = ctx->properties.multiProcessorCount > 0 ? ctx->properties.multiProcessorCount : 1;
    if (m > LORA_TILE_ROWS && (int64_t)dlp_blocks(m, LORA_TILE_ROWS) * k_slots >= 2 * sms) {
        dim3 grid(dlp_blocks(m, LORA_TILE_ROWS), (unsigned)k_slots);
        lora_shrink_tiled_kernel<D><<<grid, SHRINK_TILED_WARPS * 32, 0, ctx->stream>>>(
            m, d_in, r_max, k_slots, x, ldx, a_bank, n_adapters, ranks, scales, n_plans, plan_adapters, plan_weights, plan_of_row, t,
            ctx->error_flag, vectorized);
    } else {
        dim3 grid((unsigned)m, (unsigned)k_slots, (unsigned)r_max);
        lora_shrink_kernel<D><<<grid, SHRINK_WARPS * 32, 0, ctx->stream>>>(
            d_in, r_max, k_slots, x, ldx, a_bank, n_adapters, ranks, scales, n_plans, plan_adapters, plan_weights, plan_of_row, t,
            ctx->error_flag, vectorized);
    }
}

template <dlp_dtype D>
static void launch_expand(dlp_context *ctx, int64_t m, int64_t d_out, int64_t r_max, int64_t k_slots, const float *t,
                          const void *b_bank, int64_t n_adapters, const int32_t *ranks, int64_t n_plans,
                          const int32_t *plan_adapters, const int32_t *plan_of_row, float *y, int64_t ldy) {
    if (m > LORA_TILE_ROWS) {
        dim3 grid(dlp_blocks(m, LORA_TILE_ROWS), dlp_blocks(d_out, 32));
        lora_expand_tiled_kernel<D><<<grid, EXPAND_WARPS * 32, 0, ctx->stream>>>(
            m, d_out, r_max, k_slots, t, b_bank, n_adapters, ranks, n_plans, plan_adapters, plan_of_row, y, ldy, ctx->error_flag);
    } else {
        dim3 grid((unsigned)m, dlp_blocks(d_out, 32));
        lora_expand_kernel<D><<<grid, EXPAND_WARPS * 32, 0, ctx->stream>>>(
            d_out, r_max, k_slots, t, b_bank, n_adapters, ranks, n_plans, plan_adapters, plan_of_row, y, ldy, ctx->error_flag);
    }
}

static dlp_status check_plans(dlp_context *ctx, const char *op, int64_t m, int64_t r_max, int64_t k_slots,
                              int64_t n_adapters, int64_t n_plans, dlp_dtype bank_dtype, const int32_t *ranks,
                              const int32_t *plan_adapters, const int32_t *plan_of_row) {
    if (!dlp_dtype_is_float(bank_dtype) || m < 0 || r_max <= 0 || k_slots <= 0 || n_adapters <= 0 || n_plans < 0 || m > INT32_MAX || k_slots > 65535 ||
        r_max > 65535)
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
    int64_t row_bytes = dlp_dtype_row_bytes(bank_dtype, d_in);   // one rank index's row of A
    int vectorized = (uintptr_t)a_bank % 16 == 0 && row_bytes % 16 == 0 && (uintptr_t)x % 16 == 0 && ldx % 4 == 0;
    switch (bank_dtype) {
    case DLP_DTYPE_F32:
        launch_shrink<DLP_DTYPE_F32>(ctx, m, d_in, r_max, k_slots, x, ldx, a_bank, n_adapters, ranks, scales, n_plans, plan_adapters,
                                     plan_weights, plan_of_row, t, vectorized);
        break;
    case DLP_DTYPE_F16:
        launch_shrink<DLP_DTYPE_F16>(ctx, m, d_in, r_max, k_slots, x, ldx, a_bank, n_adapters, ranks, scales, n_plans, plan_adapters,
                                     plan_weights, plan_of_row, t, vectorized);
        break;
    default:
        launch_shrink<DLP_DTYPE_BF16>(ctx, m, d_in, r_max, k_slots, x, ldx, a_bank, n_adapters, ranks, scales, n_plans,
                                      plan_adapters, plan_weights, plan_of_row, t, vectorized);
        break;
    }
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
    if (d_out > 65535LL * 32)
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "lora_expand: d_out=%lld is too wide", (long long)d_out);
    switch (bank_dtype) {
    case DLP_DTYPE_F32:
        launch_expand<DLP_DTYPE_F32>(ctx, m, d_out, r_max, k_slots, t, b_bank, n_adapters, ranks, n_plans, plan_adapters, plan_of_row,
                                     y, ldy);
        break;
    case DLP_DTYPE_F16:
        launch_expand<DLP_DTYPE_F16>(ctx, m, d_out, r_max, k_slots, t, b_bank, n_adapters, ranks, n_plans, plan_adapters, plan_of_row,
                                     y, ldy);
        break;
    default:
        launch_expand<DLP_DTYPE_BF16>(ctx, m, d_out, r_max, k_slots, t, b_bank, n_adapters, ranks, n_plans, plan_adapters,
                                      plan_of_row, y, ldy);
        break;
    }
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
    if (n > 65535LL * 32)
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
