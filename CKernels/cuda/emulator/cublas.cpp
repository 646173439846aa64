// cublas.cpp (emulator): the cuBLAS handle and cublasGemmEx as a reference loop: column-major
// C (m x n) = alpha * op(A) * op(B) + beta * C with A and B in f32, f16 or bf16, f32 accumulation and an
// f32 C, checked like cuBLAS checks its arguments and queued on the handle's stream.
#include "emulator.h"
#include "include/cublas_v2.h"
#include "include/cuda_bf16.h"
#include "include/cuda_fp16.h"
#include <stdio.h>

struct dlp_emu_blas {
    cudaStream_t stream = nullptr;
};

namespace {

float element(const void *matrix, cudaDataType_t type, size_t index) {
    switch (type) {
    case CUDA_R_16F: return __half2float(((const __half *)matrix)[index]);
    case CUDA_R_16BF: return __bfloat162float(((const __nv_bfloat16 *)matrix)[index]);
    default: return ((const float *)matrix)[index];
    }
}

bool supported(cudaDataType_t type) { return type == CUDA_R_32F || type == CUDA_R_16F || type == CUDA_R_16BF; }

}   // namespace

cublasStatus_t cublasCreate(cublasHandle_t *handle) {
    *handle = new dlp_emu_blas;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    (void)mode;
    return handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

cublasStatus_t cublasSetWorkspace(cublasHandle_t handle, void *workspace, size_t bytes) {
    (void)workspace;
    (void)bytes;
    return handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
                            const void *alpha, const void *a, cudaDataType_t a_type, int lda, const void *b,
                            cudaDataType_t b_type, int ldb, const void *beta, void *c, cudaDataType_t c_type, int ldc,
                            cublasComputeType_t compute, cublasGemmAlgo_t algo) {
    (void)algo;
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    int a_rows = transa == CUBLAS_OP_N ? m : k, b_rows = transb == CUBLAS_OP_N ? k : n;
    if (m < 0 || n < 0 || k < 0 || lda < (a_rows > 1 ? a_rows : 1) || ldb < (b_rows > 1 ? b_rows : 1) || ldc < (m > 1 ? m : 1))
        return CUBLAS_STATUS_INVALID_VALUE;
    if (!supported(a_type) || !supported(b_type) || a_type != b_type || c_type != CUDA_R_32F || compute != CUBLAS_COMPUTE_32F)
        return CUBLAS_STATUS_NOT_SUPPORTED;
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    // host-pointer scalars are read when the call is made (a recorded call keeps these values)
    float alpha_value = *(const float *)alpha, beta_value = *(const float *)beta;
    float *out = (float *)c;
    cudaError_t queued = dlp_emu::enqueue(handle->stream, "cublasGemmEx", [=] {
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                float sum = 0.0f;
                for (int p = 0; p < k; p++) {
                    float av = transa == CUBLAS_OP_N ? element(a, a_type, (size_t)p * lda + i) : element(a, a_type, (size_t)i * lda + p);
                    float bv = transb == CUBLAS_OP_N ? element(b, b_type, (size_t)j * ldb + p) : element(b, b_type, (size_t)p * ldb + j);
                    sum += av * bv;
                }
                float *dst = out + (size_t)j * ldc + i;
                *dst = alpha_value * sum + (beta_value != 0.0f ? beta_value * *dst : 0.0f);
            }
    });
    return queued == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}
