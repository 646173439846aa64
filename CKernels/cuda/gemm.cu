// gemm.cu: y[m, n] = beta * y + x[m, k] * w[n, k]^T + bias, x and y f32, w in f32/f16/bf16.
// Decode-sized batches (m <= 8) run a GEMV kernel, templated on the dtype, that streams each weight row
// once for all m rows with 16-byte loads (each warp takes 1, 2 or 4 columns as m grows, so an activation
// read serves several weights), against activations staged in shared memory (when rows x k-slices <= 16),
// and splits k across up to 8 warps per output when n is too small to fill the GPU (the memory-bound case); larger m run cuBLAS (cublasGemmEx, f32 accumulation). cuBLAS
// needs x in w's dtype, so x is split into a high and a low 16-bit part, stacked as 2m rows and multiplied
// in one call (W is read once), and the two halves' products are summed in an epilogue: the product
// keeps about 16 mantissa bits of x instead of bf16's 8 (f16 rows are scaled by a power of two first, so
// large activations cannot overflow f16's range). Block-quantized weights (the GGUF formats):
// for m <= 8 a GEMV that dequantizes 32 weights per lane step (quant_blocks.cuh) and keeps the
// activations in f32; larger m dequantize W to f32 in scratch and take the f32 cuBLAS path.
#include "cuda_internal.cuh"
#include "quant_blocks.cuh"
#include "vector_loads.cuh"

#define GEMV_MAX_ROWS 8
#define GEMV_WARPS 8
#define GEMV_X_FLOATS 8192     // activations staged in shared memory per pass (at most 32 KiB), over the M rows

// Output columns per warp: the activations read for a weight step serve this many columns, so batches of
// 3 rows or more need less from shared memory (or L1) per weight byte than it can give while the weights
// stream from HBM.
template <int M> __host__ __device__ constexpr int gemv_columns() { return M >= 6 ? 4 : (M >= 3 ? 2 : 1); }

// Each warp computes C = gemv_columns<M>() adjacent output columns, and each column is computed by S warps
// of the block (S = 1, 2, 4 or 8: the k dimension split across them when n alone cannot fill the GPU),
// their sums added through shared memory. Vector path: each lane takes steps of 8 weights per column with
// 16-byte loads, two steps in flight for one column, one per column for several. When M * S <= 16 the
// block first stages the M activation rows in shared memory, a chunk per pass that is a whole number of
// the slices' steps (so every warp has work in every pass), and lanes whose bit 2 is set read their 8
// activations second half first (a quarter-warp's 16-byte reads then hit 8 different bank groups); with
// more rows or slices a chunk that size would not fit, and the activations are read from global memory.
// Otherwise steps of 1 (any alignment), activations from global memory. The dtype is a template
// parameter: no dtype switch inside the loop.
template <int M, dlp_dtype D, int S>
__global__ void gemv_kernel(int64_t n, int64_t k, const float *__restrict__ x, int64_t ldx, const void *__restrict__ w,
                            int64_t ldw, const void *__restrict__ bias, dlp_dtype bias_dtype, float beta,
                            float *__restrict__ y, int64_t ldy, int vectorized) {
    constexpr int C = gemv_columns<M>(), L = C == 1 ? 2 : 1;   // columns per warp; steps in flight per column
    constexpr bool staged = M * S <= 16;
    constexpr int64_t step = (int64_t)L * S * 32 * 8;    // activations of a row that one step of all slices covers
    constexpr int64_t chunk = GEMV_X_FLOATS / M / step * step;   // per row and pass (>= step when staged)
    static_assert(!staged || chunk >= step, "a staged pass must give every slice a step");
    __shared__ float partial[GEMV_WARPS][M][C];
    __shared__ __align__(16) float x_staged[staged ? M : 1][staged ? chunk : 4];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, slice = warp % S;
    int64_t col0 = ((int64_t)blockIdx.x * (GEMV_WARPS / S) + warp / S) * C;
    int columns = col0 >= n ? 0 : (n - col0 < C ? (int)(n - col0) : C);   // the warp's columns that exist
    float acc[M][C];
    for (int r = 0; r < M; r++)
        for (int c = 0; c < C; c++) acc[r][c] = 0.0f;
    int64_t done = 0;
    if (vectorized) {                                  // the same for the whole block: every warp joins the staging
        const int64_t k8 = k & ~(int64_t)7, stride = (int64_t)S * 32 * 8, pass = staged ? chunk : k8;
        const int second_half_first = (lane >> 2) & 1;
        for (int64_t base = 0; base < k8; base += pass) {
            const int64_t len = k8 - base < pass ? k8 - base : pass;
            if constexpr (staged) {
                __syncthreads();                       // every warp is done with the previous pass
                for (int64_t i = (int64_t)threadIdx.x * 4; i < M * len; i += (int64_t)blockDim.x * 4) {
                    int64_t r = i / len, c = i % len;  // len is a multiple of 8: a float4 never crosses rows
                    *(float4 *)&x_staged[r][c] = __ldg((const float4 *)(x + r * ldx + base + c));
                }
                __syncthreads();
            }
            if (columns == 0) continue;
            for (int64_t j = ((int64_t)slice * 32 + lane) * 8; j < len; j += L * stride) {
                float wv[L][C][8];
                for (int l = 0; l < L; l++)            // every load first: L * C of them in flight
                    for (int c = 0; c < C; c++)
                        if (c < columns && j + l * stride < len) {
                            load8<D>(w, (col0 + c) * ldw + base + j + l * stride, wv[l][c]);
                            swap_halves_if(wv[l][c], second_half_first);
                        }
                for (int l = 0; l < L; l++) {
                    if (j + l * stride >= len) break;
                    for (int r = 0; r < M; r++) {
                        float xv[8];
                        if constexpr (staged) load_x8<false>(&x_staged[r][j + l * stride], second_half_first, xv);
                        else load_x8<true>(x + r * ldx + base + j + l * stride, second_half_first, xv);
                        for (int c = 0; c < C; c++)
                            if (c < columns) acc[r][c] += dot8_registers(wv[l][c], xv);
                    }
                }
            }
        }
        done = k8;
    }
    for (int c = 0; c < C; c++)                        // (a constant bound: acc stays in registers)
        if (c < columns)
            for (int64_t j = done + (int64_t)slice * 32 + lane; j < k; j += (int64_t)S * 32) {
                float wj = dlp_load(w, D, (col0 + c) * ldw + j);
                for (int r = 0; r < M; r++) acc[r][c] += wj * x[r * ldx + j];
            }
    for (int r = 0; r < M; r++)
        for (int c = 0; c < C; c++) acc[r][c] = dlp_warp_sum(acc[r][c]);
    if constexpr (S > 1) {
        if (lane == 0)
            for (int r = 0; r < M; r++)
                for (int c = 0; c < C; c++) partial[warp][r][c] = acc[r][c];
        __syncthreads();
        if (slice != 0) return;
        for (int r = 0; r < M; r++)
            for (int c = 0; c < C; c++) {
                float sum = 0.0f;
                for (int s = 0; s < S; s++) sum += partial[warp + s][r][c];
                acc[r][c] = sum;
            }
    }
    if (lane != 0) return;
    for (int c = 0; c < C; c++) {
        if (c >= columns) break;
        float b = bias ? dlp_load(bias, bias_dtype, col0 + c) : 0.0f;
        for (int r = 0; r < M; r++) {
            float *out = y + r * ldy + col0 + c;
            *out = (beta != 0.0f ? beta * *out : 0.0f) + acc[r][c] + b;
        }
    }
}

// Warps per output column: the fewest (1, 2, 4, 8) that give at least two blocks per SM (a block holds
// GEMV_WARPS / S warps of C columns each).
static int gemv_split(const dlp_context *ctx, int64_t n, int columns_per_warp) {
    int64_t sms = ctx->properties.multiProcessorCount > 0 ? ctx->properties.multiProcessorCount : 1;
    int s = 1;
    while (s < GEMV_WARPS && dlp_blocks(n, (int64_t)GEMV_WARPS / s * columns_per_warp) < 2 * sms) s *= 2;
    return s;
}

template <int M, dlp_dtype D, int S>
static void launch_gemv_split(dlp_context *ctx, int64_t n, int64_t k, const float *x, int64_t ldx, const void *w, int64_t ldw,
                              const void *bias, dlp_dtype bias_dtype, float beta, float *y, int64_t ldy, int vectorized) {
    gemv_kernel<M, D, S><<<dlp_blocks(n, GEMV_WARPS / S * gemv_columns<M>()), GEMV_WARPS * 32, 0, ctx->stream>>>(
        n, k, x, ldx, w, ldw, bias, bias_dtype, beta, y, ldy, vectorized);
}

template <int M, dlp_dtype D>
static void launch_gemv_dtype(dlp_context *ctx, int64_t n, int64_t k, const float *x, int64_t ldx, const void *w, int64_t ldw,
                              const void *bias, dlp_dtype bias_dtype, float beta, float *y, int64_t ldy, int vectorized) {
    switch (gemv_split(ctx, n, gemv_columns<M>())) {
    case 1: launch_gemv_split<M, D, 1>(ctx, n, k, x, ldx, w, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
    case 2: launch_gemv_split<M, D, 2>(ctx, n, k, x, ldx, w, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
    case 4: launch_gemv_split<M, D, 4>(ctx, n, k, x, ldx, w, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
    default: launch_gemv_split<M, D, 8>(ctx, n, k, x, ldx, w, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
    }
}

template <int M>
static void launch_gemv(dlp_context *ctx, int64_t n, int64_t k, const float *x, int64_t ldx, const void *w,
                        dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype, float beta, float *y,
                        int64_t ldy, int vectorized) {
    switch (w_dtype) {
    case DLP_DTYPE_F32: launch_gemv_dtype<M, DLP_DTYPE_F32>(ctx, n, k, x, ldx, w, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
    case DLP_DTYPE_F16: launch_gemv_dtype<M, DLP_DTYPE_F16>(ctx, n, k, x, ldx, w, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
    default: launch_gemv_dtype<M, DLP_DTYPE_BF16>(ctx, n, k, x, ldx, w, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
    }
}

// One warp per output column n of a block-quantized W; lane l takes 32-element chunks l, l + 32, ...
template <int M>
__global__ void quantized_gemv_kernel(int64_t n, int64_t k, const float *__restrict__ x, int64_t ldx,
                                      const uint8_t *__restrict__ w, dlp_dtype w_dtype, int64_t row_bytes,
                                      const void *__restrict__ bias, dlp_dtype bias_dtype, float beta,
                                      float *__restrict__ y, int64_t ldy) {
    int lane = threadIdx.x & 31;
    int64_t col = (int64_t)blockIdx.x * GEMV_WARPS + (threadIdx.x >> 5);
    if (col >= n) return;
    float acc[M];
    for (int r = 0; r < M; r++) acc[r] = 0.0f;
    const uint8_t *row = w + col * row_bytes;
    for (int64_t chunk = lane; chunk < k / 32; chunk += 32) {
        float wv[32];
        dlp_dequantize32(w_dtype, row, chunk, wv);
        for (int r = 0; r < M; r++) {
            const float *xr = x + r * ldx + chunk * 32;
            float sum = 0.0f;
            for (int i = 0; i < 32; i++) sum += wv[i] * xr[i];
            acc[r] += sum;
        }
    }
    for (int r = 0; r < M; r++) {
        float v = dlp_warp_sum(acc[r]);
        if (lane == 0) {
            if (bias) v += dlp_load(bias, bias_dtype, col);
            float *dst = y + r * ldy + col;
            *dst = beta != 0.0f ? *dst + v : v;
        }
    }
}

template <int M>
static void launch_quantized_gemv(dlp_context *ctx, int64_t n, int64_t k, const float *x, int64_t ldx, const void *w,
                                  dlp_dtype w_dtype, int64_t row_bytes, const void *bias, dlp_dtype bias_dtype,
                                  float beta, float *y, int64_t ldy) {
    quantized_gemv_kernel<M><<<dlp_blocks(n, GEMV_WARPS), GEMV_WARPS * 32, 0, ctx->stream>>>(
        n, k, x, ldx, (const uint8_t *)w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy);
}

// W [n, k] of a block format to f32 [n, k] (dense): one thread per 32-element chunk.
__global__ void dequantize_rows_kernel(int64_t n, int64_t k, const uint8_t *__restrict__ w, dlp_dtype w_dtype,
                                       int64_t row_bytes, float *__restrict__ out) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, chunks = k / 32;
    if (i >= n * chunks) return;
    int64_t row = i / chunks, chunk = i % chunks;
    float v[32];
    dlp_dequantize32(w_dtype, w + row * row_bytes, chunk, v);
    for (int j = 0; j < 32; j++) out[row * k + chunk * 32 + j] = v[j];
}

// bf16 (f32's exponent range): hi = bf16(x), lo = bf16(x - hi); both [m, k] dense.
__global__ void split_bf16_kernel(int64_t m, int64_t k, const float *__restrict__ x, int64_t ldx, __nv_bfloat16 *hi,
                                  __nv_bfloat16 *lo) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= m * k) return;
    float v = x[(i / k) * ldx + i % k];
    __nv_bfloat16 h = __float2bfloat16_rn(v);
    hi[i] = h;
    lo[i] = __float2bfloat16_rn(v - __bfloat162float(h));
}

// f16 has 5 exponent bits: each row is first scaled by a power of two that brings its largest magnitude
// to about 2^10 (no overflow, no subnormals for the values that matter); row_scale[r] undoes it later.
// One block per row.
__global__ void split_f16_kernel(int64_t k, const float *__restrict__ x, int64_t ldx, __half *hi, __half *lo,
                                 float *row_scale) {
    __shared__ float partial[32];
    const float *xr = x + blockIdx.x * ldx;
    float largest = 0.0f;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) largest = fmaxf(largest, fabsf(xr[j]));
    largest = dlp_warp_max(largest);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = largest;
    __syncthreads();
    largest = (threadIdx.x & 31) < (blockDim.x >> 5) ? partial[threadIdx.x & 31] : 0.0f;
    largest = dlp_warp_max(largest);
    // a power of two (at least 2^-126, so a row of tiny values cannot make it 0)
    float scale = largest > 0.0f && isfinite(largest) ? exp2f(fmaxf(ceilf(log2f(largest)) - 10.0f, -126.0f)) : 1.0f;
    if (threadIdx.x == 0) row_scale[blockIdx.x] = scale;
    __half *h = hi + blockIdx.x * k, *l = lo + blockIdx.x * k;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
        float v = xr[j] / scale;
        __half rounded = __float2half_rn(v);
        h[j] = rounded;
        l[j] = __float2half_rn(v - __half2float(rounded));
    }
}

// y = beta * y + row_scale[r] * (product[r] + product[m + r]) + bias: the products of the hi and lo rows
// summed (row_scale NULL: 1; the f16 path's rows were scaled).
__global__ void split_epilogue_kernel(int64_t m, int64_t n, const float *__restrict__ product,
                                      const float *__restrict__ row_scale, const void *__restrict__ bias, dlp_dtype bias_dtype,
                                      float beta, float *y, int64_t ldy) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= m * n) return;
    int64_t r = i / n, c = i % n;
    float *out = y + r * ldy + c;
    float sum = product[i] + product[m * n + i];
    *out = (beta != 0.0f ? *out : 0.0f) + (row_scale ? row_scale[r] : 1.0f) * sum + (bias ? dlp_load(bias, bias_dtype, c) : 0.0f);
}

__global__ void add_bias_kernel(int64_t m, int64_t n, const void *__restrict__ bias, dlp_dtype bias_dtype, float *y,
                                int64_t ldy) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= m * n) return;
    y[(i / n) * ldy + i % n] += dlp_load(bias, bias_dtype, i % n);
}

static dlp_status blas_fail(dlp_context *ctx, cublasStatus_t status) {
    return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "gemm: cublasGemmEx failed with status %d", (int)status);
}

// product (f32 [2m, n]) = [hi; lo] (type, [2m, k]: the m hi rows, then the m lo rows) * W^T (type, [n, k]):
// one cublasGemmEx over the stacked rows, so W is read once for both halves.
static dlp_status multiply_stacked(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const void *w, cudaDataType_t type,
                                   int64_t ldw, const void *halves, float *product) {
    // cuBLAS is column-major: row-major product [2m, n] is C (n x 2m, ld n) = op_T(W as k x n, ld ldw) * H (k x 2m, ld k)
    const float one = 1.0f, zero = 0.0f;
    cublasStatus_t s = cublasGemmEx(ctx->cublas, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)(2 * m), (int)k, &one, w, type, (int)ldw,
                                    halves, type, (int)k, &zero, product, CUDA_R_32F, (int)n, CUBLAS_COMPUTE_32F,
                                    CUBLAS_GEMM_DEFAULT);
    return s == CUBLAS_STATUS_SUCCESS ? DLP_STATUS_OK : blas_fail(ctx, s);
}

// f32 W: one cublasGemmEx. f16/bf16 W: x split into hi and lo halves in W's type (f32 precision from two
// half-precision operands), one product over the stacked halves, and an epilogue that sums them with
// beta, the f16 rows' scales and the bias (so the caller adds a bias only for f32).
static dlp_status gemm_cublas(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                              const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                              float beta, float *y, int64_t ldy) {
    // cuBLAS is column-major: row-major y [m, n] is C (n x m, ld ldy) = op_T(W as k x n, ld ldw) * X (k x m, ld ldx)
    const float one = 1.0f;
    if (w_dtype == DLP_DTYPE_F32) {
        cublasStatus_t s = cublasGemmEx(ctx->cublas, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)m, (int)k, &one, w, CUDA_R_32F,
                                        (int)ldw, x, CUDA_R_32F, (int)ldx, &beta, y, CUDA_R_32F, (int)ldy,
                                        CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        return s == CUBLAS_STATUS_SUCCESS ? DLP_STATUS_OK : blas_fail(ctx, s);
    }
    // scratch: hi then lo (W's type, [m, k] each: the stacked [2m, k]), product (f32 [2m, n]), row scales (f32 [m])
    size_t elements = (size_t)m * (size_t)k;
    size_t product_offset = (4 * elements + 15) / 16 * 16, scale_offset = product_offset + 2 * (size_t)m * (size_t)n * 4;
    char *scratch = (char *)dlp_cuda_scratch(ctx, scale_offset + (size_t)m * 4);
    if (!scratch) return ctx->scratch_status;
    float *product = (float *)(scratch + product_offset), *row_scale = NULL;
    cudaDataType_t type = CUDA_R_16BF;
    if (w_dtype == DLP_DTYPE_BF16) {
        split_bf16_kernel<<<dlp_blocks((int64_t)elements, 256), 256, 0, ctx->stream>>>(
            m, k, x, ldx, (__nv_bfloat16 *)scratch, (__nv_bfloat16 *)(scratch + elements * 2));
    } else {
        type = CUDA_R_16F;
        row_scale = (float *)(scratch + scale_offset);
        split_f16_kernel<<<(unsigned)m, 256, 0, ctx->stream>>>(k, x, ldx, (__half *)scratch, (__half *)(scratch + elements * 2),
                                                              row_scale);
    }
    dlp_status status = dlp_cuda_check_launch(ctx, "gemm (split)");
    if (status != DLP_STATUS_OK) return status;
    status = multiply_stacked(ctx, m, n, k, w, type, ldw, scratch, product);
    if (status != DLP_STATUS_OK) return status;
    split_epilogue_kernel<<<dlp_blocks(m * n, 256), 256, 0, ctx->stream>>>(m, n, product, row_scale, bias, bias_dtype, beta,
                                                                           y, ldy);
    return dlp_cuda_check_launch(ctx, "gemm (split epilogue)");
}

dlp_status dlp_cuda_gemm(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                         const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                         float beta, float *y, int64_t ldy) {
    dlp_cuda_enter(ctx);
    int64_t block = dlp_dtype_block_elements(w_dtype), row_bytes = dlp_dtype_row_bytes(w_dtype, ldw);
    if (m < 0 || n <= 0 || k <= 0 || ldx < k || ldw < k || ldy < n || row_bytes < 0 || k % block != 0 ||
        (bias && !dlp_dtype_is_float(bias_dtype)) || (beta != 0.0f && beta != 1.0f) || n > INT32_MAX || k > INT32_MAX ||
        m > INT32_MAX / 2 || ldx > INT32_MAX || ldw > INT32_MAX || ldy > INT32_MAX || !x || !w || !y)
        return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "gemm: bad arguments m=%lld n=%lld k=%lld beta=%g dtype %d",
                             (long long)m, (long long)n, (long long)k, (double)beta, (int)w_dtype);
    if (dlp_dtype_is_row_interleaved(w_dtype))
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "gemm: row-interleaved dtype %d is a CPU layout", (int)w_dtype);
    if (m == 0) return DLP_STATUS_OK;
    if (!dlp_dtype_is_float(w_dtype)) {
        if (m <= GEMV_MAX_ROWS) {
            switch (m) {
            case 1: launch_quantized_gemv<1>(ctx, n, k, x, ldx, w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy); break;
            case 2: launch_quantized_gemv<2>(ctx, n, k, x, ldx, w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy); break;
            case 3: launch_quantized_gemv<3>(ctx, n, k, x, ldx, w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy); break;
            case 4: launch_quantized_gemv<4>(ctx, n, k, x, ldx, w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy); break;
            case 5: launch_quantized_gemv<5>(ctx, n, k, x, ldx, w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy); break;
            case 6: launch_quantized_gemv<6>(ctx, n, k, x, ldx, w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy); break;
            case 7: launch_quantized_gemv<7>(ctx, n, k, x, ldx, w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy); break;
            default: launch_quantized_gemv<8>(ctx, n, k, x, ldx, w, w_dtype, row_bytes, bias, bias_dtype, beta, y, ldy); break;
            }
            return dlp_cuda_check_launch(ctx, "gemm (quantized gemv)");
        }
        // prefill: W dequantized to f32 in scratch, then the f32 product (which uses no scratch of its own)
        float *dense = (float *)dlp_cuda_scratch(ctx, (size_t)n * (size_t)k * sizeof(float));
        if (!dense) return ctx->scratch_status;
        dequantize_rows_kernel<<<dlp_blocks(n * (k / 32), 256), 256, 0, ctx->stream>>>(n, k, (const uint8_t *)w, w_dtype,
                                                                                       row_bytes, dense);
        dlp_status status = dlp_cuda_check_launch(ctx, "gemm (dequantize)");
        if (status != DLP_STATUS_OK) return status;
        w = dense;
        w_dtype = DLP_DTYPE_F32;
        ldw = k;
    }
    if (m <= GEMV_MAX_ROWS) {
        size_t element = w_dtype == DLP_DTYPE_F32 ? 4 : 2;
        int vectorized = ((uintptr_t)w % 16 == 0) && ((size_t)ldw * element % 16 == 0) && ((uintptr_t)x % 16 == 0) &&
                         (ldx % 4 == 0);
        switch (m) {
        case 1: launch_gemv<1>(ctx, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
        case 2: launch_gemv<2>(ctx, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
        case 3: launch_gemv<3>(ctx, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
        case 4: launch_gemv<4>(ctx, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
        case 5: launch_gemv<5>(ctx, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
        case 6: launch_gemv<6>(ctx, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
        case 7: launch_gemv<7>(ctx, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
        default: launch_gemv<8>(ctx, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy, vectorized); break;
        }
        return dlp_cuda_check_launch(ctx, "gemm (gemv)");
    }
    dlp_status status = gemm_cublas(ctx, m, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy);
    if (status != DLP_STATUS_OK || !bias || w_dtype != DLP_DTYPE_F32) return status;
    add_bias_kernel<<<dlp_blocks(m * n, 256), 256, 0, ctx->stream>>>(m, n, bias, bias_dtype, y, ldy);
    return dlp_cuda_check_launch(ctx, "gemm (bias)");
}
