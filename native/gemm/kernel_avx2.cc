// AVX2+FMA micro-kernel, 6 x 16. Built with -mavx2 -mfma, on x86-64 only.
#include <immintrin.h>

#include "blocking.h"
#include "kernels.h"

namespace densenode {

namespace {
constexpr int MR = kBlockAvx2.mr;
constexpr int NR = kBlockAvx2.nr;
static_assert(NR == 16, "kernel holds each tile row in two ymm");

inline __m256 finish(__m256 acc, const float* c, const Epilogue& ep, __m256 valpha, __m256 vbeta,
                     __m256 bias) {
  __m256 v = _mm256_mul_ps(acc, valpha);
  if (ep.beta != 0.0f) v = _mm256_fmadd_ps(_mm256_loadu_ps(c), vbeta, v);
  if (ep.bias) v = _mm256_add_ps(v, bias);
  if (ep.relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
  return v;
}

template <bool PackedA>
inline void tile(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();

#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(PackedA ? a + i : a + i * al.rs);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += PackedA ? al.cs : 1;
    b += b_step;
  }

  const __m256 valpha = _mm256_set1_ps(ep.alpha), vbeta = _mm256_set1_ps(ep.beta);
  const __m256 bias0 = ep.bias ? _mm256_loadu_ps(ep.bias) : _mm256_setzero_ps();
  const __m256 bias1 = ep.bias ? _mm256_loadu_ps(ep.bias + 8) : _mm256_setzero_ps();
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    const __m256 v0 = finish(acc[i][0], ci, ep, valpha, vbeta, bias0);
    const __m256 v1 = finish(acc[i][1], ci + 8, ep, valpha, vbeta, bias1);
    _mm256_storeu_ps(ci, v0);
    _mm256_storeu_ps(ci + 8, v1);
  }
}

}  // namespace

// kc steps of a 6-row A sliver (layout al) times a kc x 16 B sliver (row
// stride b_step), epilogue into the 6 x 16 tile c (row stride ldc).
void kernel_avx2(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep) {
  if (al.rs == 1)
    tile<true>(kc, a, al, b, b_step, c, ldc, ep);
  else
    tile<false>(kc, a, al, b, b_step, c, ldc, ep);
}

}  // namespace densenode
