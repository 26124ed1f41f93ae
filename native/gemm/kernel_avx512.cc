// AVX-512 micro-kernels: 14 x 32 (main) and 14 x 16 (narrow edge slivers).
// Built with -mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma -mavx2; stubs
// on non-x86 (never selected there).
#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "blocking.h"

namespace densenode {

namespace {
constexpr int MR = kBlockAvx512.mr;
static_assert(kBlockAvx512.nr == 32, "main kernel holds each tile row in two zmm");

// c = alpha*acc (+ beta*c) (+ bias) (relu) for one 16-float vector of C.
inline __m512 finish(__m512 acc, const float* c, const Epilogue& ep, __m512 valpha, __m512 vbeta,
                     __m512 bias) {
  __m512 v = _mm512_mul_ps(acc, valpha);
  if (ep.beta != 0.0f) v = _mm512_fmadd_ps(_mm512_loadu_ps(c), vbeta, v);
  if (ep.bias) v = _mm512_add_ps(v, bias);
  // maskz form: plain _mm512_max_ps trips a GCC 12 -Wmaybe-uninitialized.
  if (ep.relu) v = _mm512_maskz_max_ps(0xFFFF, v, _mm512_setzero_ps());
  return v;
}

// MR x (16*NV) tile. PackedA: op(A)(i,p) = a[p*cs + i] (contiguous MR floats
// per step: packed sliver or transposed A in place); else a[i*rs + p].
template <int NV, bool PackedA>
inline void tile(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep) {
  __m512 acc[MR][NV];
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();

  const int64_t step = PackedA ? al.cs : 1;
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 14
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(PackedA ? a[i] : a[i * al.rs]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += step;
    b += b_step;
  }

  const __m512 valpha = _mm512_set1_ps(ep.alpha), vbeta = _mm512_set1_ps(ep.beta);
  __m512 bias[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v)
    bias[v] = ep.bias ? _mm512_loadu_ps(ep.bias + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      float* cp = c + i * ldc + 16 * v;
      _mm512_storeu_ps(cp, finish(acc[i][v], cp, ep, valpha, vbeta, bias[v]));
    }
}
}  // namespace

// kc steps of a 14-row A sliver (layout al) times a kc x 32 B sliver (row
// stride b_step), epilogue into the 14 x 32 tile c (row stride ldc).
void kernel_avx512(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                   int64_t ldc, const Epilogue& ep) {
  if (al.rs == 1)
    tile<2, true>(kc, a, al, b, b_step, c, ldc, ep);
  else
    tile<2, false>(kc, a, al, b, b_step, c, ldc, ep);
}

// Same with a kc x 16 B sliver into a 14 x 16 tile.
void kernel_avx512_n16(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                       float* c, int64_t ldc, const Epilogue& ep) {
  if (al.rs == 1)
    tile<1, true>(kc, a, al, b, b_step, c, ldc, ep);
  else
    tile<1, false>(kc, a, al, b, b_step, c, ldc, ep);
}

}  // namespace densenode

#else  // not x86: never selected by the dispatcher

#include <cstdlib>
namespace densenode {
void kernel_avx512(int64_t, const float*, ALayout, const float*, int64_t, float*, int64_t,
                   const Epilogue&) {
  std::abort();
}
void kernel_avx512_n16(int64_t, const float*, ALayout, const float*, int64_t, float*, int64_t,
                       const Epilogue&) {
  std::abort();
}
}  // namespace densenode

#endif
