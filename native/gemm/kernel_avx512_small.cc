// The small-m kernel (gemm/small_m_impl.h) for AVX-512: 4 zmm per row, up to
// 64 columns (16 accumulators of 32 registers). Built with the AVX-512 flags,
// on x86-64 only.
#include <immintrin.h>

#include "avx512_util.h"
#include "kernels.h"
#include "small_m_impl.h"

namespace densenode {

namespace {
struct Avx512 {
  using reg = __m512;
  static constexpr int W = 16;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static reg load_n(const float* p, int n) { return _mm512_maskz_loadu_ps(avx512::lanes(n), p); }
  static void store(float* p, reg x) { _mm512_storeu_ps(p, x); }
  static void store_n(float* p, reg x, int n) { _mm512_mask_storeu_ps(p, avx512::lanes(n), x); }
  static reg bcast(float x) { return _mm512_set1_ps(x); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg max0(reg x) { return avx512::relu(x); }
};
}  // namespace

void small_m_avx512(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                    int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep) {
  small_m::rows<Avx512, 4>(kc, a, a_rs, a_cs, m, b, ldb, nr, c, ldc, ep);
}

}  // namespace densenode
