// The small-m kernel (gemm/small_m_impl.h) for AVX2+FMA. Built with -mavx2
// -mfma, on x86-64 only.
#include <immintrin.h>

#include "avx2_util.h"
#include "kernels.h"
#include "small_m_impl.h"

namespace densenode {

namespace {
struct Avx2 {
  using reg = __m256;
  static constexpr int W = 8;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static reg load_n(const float* p, int n) { return _mm256_maskload_ps(p, avx2::lanes(n)); }
  static void store(float* p, reg x) { _mm256_storeu_ps(p, x); }
  static void store_n(float* p, reg x, int n) { _mm256_maskstore_ps(p, avx2::lanes(n), x); }
  static reg bcast(float x) { return _mm256_set1_ps(x); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg max0(reg x) { return avx2::relu(x); }
};
}  // namespace

// Up to 32 columns: 4 registers per row for 1-2 rows (8 independent
// accumulators hide the FMA latency); 3-4 rows take the columns as two
// 16-wide halves, as 16 registers would not hold 4 x 4 accumulators.
void small_m_avx2(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                  int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep) {
  if (m <= 2) {
    small_m::rows<Avx2, 4>(kc, a, a_rs, a_cs, m, b, ldb, nr, c, ldc, ep);
    return;
  }
  const int first = nr < 16 ? nr : 16;
  small_m::rows<Avx2, 2>(kc, a, a_rs, a_cs, m, b, ldb, first, c, ldc, ep);
  if (nr > 16) {
    Epilogue rest = ep;
    if (ep.bias) rest.bias = ep.bias + 16;
    small_m::rows<Avx2, 2>(kc, a, a_rs, a_cs, m, b + 16, ldb, nr - 16, c + 16, ldc, rest);
  }
}

}  // namespace densenode
