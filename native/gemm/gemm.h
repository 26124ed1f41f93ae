#pragma once
#include <cstdint>
namespace densenode {
// C = act(alpha * op(A) * op(B) + beta * C + bias), all row-major float32.
// op(A) is m x k: A is stored m x k (lda >= k) or, when transA, k x m (lda >= m).
// op(B) is k x n: B is stored k x n (ldb >= n) or, when transB, n x k (ldb >= k).
// C is m x n, ldc >= n. beta == 0 means C is write-only (NaN/Inf already in C never propagates).
// bias: nullptr or n floats added to every row; relu: clamp at 0 after the bias.
// k == 0 or alpha == 0 is legal (C = act(beta*C + bias)). m or n == 0: no-op.
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const float* bias, bool relu);
const char*
gemm_isa();  // "avx512" | "avx2" | "neon" | "portable" — the micro-kernel chosen at load
}  // namespace densenode
