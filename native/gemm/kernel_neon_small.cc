// The small-m kernel (gemm/small_m_impl.h) for NEON: 4 q registers per row, up
// to 16 columns (16 accumulators of 32 registers). Built on arm64 only.
#include <arm_neon.h>

#include "kernels.h"
#include "neon_util.h"
#include "small_m_impl.h"

namespace densenode {

namespace {
struct Neon {
  using reg = float32x4_t;
  static constexpr int W = 4;
  static reg zero() { return vdupq_n_f32(0.0f); }
  static reg load(const float* p) { return vld1q_f32(p); }
  static reg load_n(const float* p, int n) { return neon::load_n(p, n); }
  static void store(float* p, reg x) { vst1q_f32(p, x); }
  static void store_n(float* p, reg x, int n) { neon::store_n(p, x, n); }
  static reg bcast(float x) { return vdupq_n_f32(x); }
  static reg fma(reg a, reg b, reg c) { return vfmaq_f32(c, a, b); }
  static reg mul(reg a, reg b) { return vmulq_f32(a, b); }
  static reg add(reg a, reg b) { return vaddq_f32(a, b); }
  // v > 0 ? v : 0, as neon::finish (a NaN becomes 0).
  static reg max0(reg x) { return neon::relu(x); }
};
}  // namespace

void small_m_neon(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                  int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep) {
  small_m::rows<Neon, 4>(kc, a, a_rs, a_cs, m, b, ldb, nr, c, ldc, ep);
}

}  // namespace densenode
