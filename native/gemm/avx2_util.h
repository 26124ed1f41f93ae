#pragma once
// Pieces shared by the AVX2 GEMM files (kernel_avx2*.cc, built with -mavx2
// -mfma on x86-64 only).
#include <immintrin.h>

namespace densenode {
namespace avx2 {

// Lanes [0, n) set (none for n <= 0, all for n >= 8): the mask of
// maskload/maskstore, whose sign bit per lane selects it.
inline __m256i lanes(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The ReLU of every GEMM kernel, on every ISA. max(0, x): maxps returns its second operand when
// either is NaN, so a NaN stays NaN (and -0 stays -0), as in the JS backend's x < 0 ? 0 : x: bad
// data reaches the non-finite scans, not hidden as 0.
inline __m256 relu(__m256 x) { return _mm256_max_ps(_mm256_setzero_ps(), x); }

}  // namespace avx2
}  // namespace densenode
