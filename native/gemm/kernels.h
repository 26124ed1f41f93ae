#pragma once
#include <cstdint>

namespace densenode {

// What the micro-kernel does with its MR x NR accumulator after the K loop:
//   c = alpha * acc + beta * c   (beta == 0: c is not read)
//   then, if bias: c += bias[j]; if relu: c = max(c, 0).
// bias/relu are set only on the last KC block of a gemm.
struct Epilogue {
  float alpha;
  float beta;
  const float* bias;  // nullptr or NR floats for this tile's columns
  bool relu;
};

// Where the kernel reads op(A)(i, p) = a[i*rs + p*cs] for its MR rows:
//   packed sliver: rs = 1, cs = MR;  transposed A in place: rs = 1, cs = lda;
//   row-major A in place: rs = lda, cs = 1.
struct ALayout {
  int64_t rs, cs;
};

// acc[i][j] = sum_p op(A)(i, p) * b[p*b_step + j], i < MR, j < NR, p < kc.
// b_step is NR for packed B (or ldb when reading B in place). c: MR x NR, ldc.
// All MR x NR values of a and b must be readable (edges are padded by caller).
using MicroKernel = void (*)(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                             float* c, int64_t ldc, const Epilogue& ep);

// Each in its own TU with its own flags. The x86 ones are stubs elsewhere and
// are never selected there.
void kernel_avx512(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                   int64_t ldc, const Epilogue& ep);
void kernel_avx2(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep);
// 14 x 16 variant of the avx512 kernel for edge slivers with nr <= 16: the
// same per-element arithmetic, half the wasted lanes.
void kernel_avx512_n16(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                       float* c, int64_t ldc, const Epilogue& ep);
void kernel_portable(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                     float* c, int64_t ldc, const Epilogue& ep);

}  // namespace densenode
