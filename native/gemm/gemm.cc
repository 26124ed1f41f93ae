// Placeholder GEMM: correct, not fast (replaced by the packed SIMD version).
#include "gemm/gemm.h"

namespace densenode {

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const float* bias, bool relu) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) {
        float a = transA ? A[p * lda + i] : A[i * lda + p];
        float b = transB ? B[j * ldb + p] : B[p * ldb + j];
        acc += a * b;
      }
      float c = alpha * acc;
      if (beta != 0.0f) c += beta * C[i * ldc + j];
      if (bias) c += bias[j];
      if (relu && c < 0.0f) c = 0.0f;
      C[i * ldc + j] = c;
    }
  }
}

const char* gemm_isa() { return "portable"; }

}  // namespace densenode
