/* dlp_host_blas.h: host-side f32 matrix products for code that runs on the CPU whatever the backend
 * (the router's mini-MLP: training and routing). Row-major; thin wrappers over OpenBLAS so that Swift
 * does not depend on a particular cblas.h. Not part of the kernel table. */
#ifndef DLP_HOST_BLAS_H
#define DLP_HOST_BLAS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* C[m, n] = alpha * op(A) op(B) + beta * C, op(X) = X or X^T (trans_x != 0). Row-major, leading
 * dimensions lda/ldb/ldc. */
void dlp_host_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

#ifdef __cplusplus
}
#endif

#endif
