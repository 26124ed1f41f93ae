#pragma once
#include <cstdint>
namespace densenode {
// C = act(alpha * op(A) * op(B) + beta * C + bias), all row-major float32.
// op(A) is m x k: A is stored m x k (lda >= k) or, when transA, k x m (lda >= m).
// op(B) is k x n: B is stored k x n (ldb >= n) or, when transB, n x k (ldb >= k).
// C is m x n, ldc >= n. beta == 0 means C is write-only (NaN/Inf already in C never propagates).
// bias: nullptr or n floats added to every row; relu: clamp at 0 after the bias.
// k == 0 or alpha == 0 is legal (C = act(beta*C + bias)). m or n == 0: no-op.
// packed_b: nullptr, or op(B) as pack_b_whole packed it (packed_b_floats(m,
// n, k) > 0 floats): the paths that pack B read it from there instead, with
// bitwise the same result; the others read B.
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const float* bias, bool relu, const float* packed_b = nullptr);

// Floats of a whole packed op(B) (k x n) for a product with m rows, or 0 when
// such a product reads B in place (m <= kSmallM, narrow n) and needs no pack.
// For one process the layout depends only on k and n (the ISA and KC are fixed
// at load), so a pack made for one m serves every m with a nonzero size.
int64_t packed_b_floats(int64_t m, int64_t n, int64_t k);

// Packs op(B) (B stored k x n, or n x k when transB) whole, for products that
// reuse one B, such as a model's weights across predictions.
void pack_b_whole(bool transB, int64_t n, int64_t k, const float* B, int64_t ldb, float* dst);
const char*
gemm_isa();  // "avx512" | "avx2" | "neon" | "portable" — the micro-kernel chosen at load
}  // namespace densenode
