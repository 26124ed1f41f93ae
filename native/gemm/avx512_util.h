#pragma once
// Pieces shared by the AVX-512 GEMM files (kernel_avx512*.cc, built with the
// AVX-512 flags on x86-64 only).
#include <immintrin.h>

#include <cstdint>

namespace densenode {
namespace avx512 {

// Lanes [0, n) of a 16-float vector (none for n <= 0, all for n >= 16).
inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

// max(0, x), NaN and -0 kept, as avx2::relu. The maskz form: plain _mm512_max_ps trips a GCC 12
// -Wmaybe-uninitialized.
inline __m512 relu(__m512 x) { return _mm512_maskz_max_ps(0xFFFF, _mm512_setzero_ps(), x); }

}  // namespace avx512
}  // namespace densenode
