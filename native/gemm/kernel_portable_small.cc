// The small-m kernel (gemm/small_m_impl.h) in plain C++: a "register" of 4
// floats that the compiler keeps in SSE2 / NEON registers. A multiply and an
// add, never fused (-ffp-contract=off), as in kernel_portable.cc. No flags.
#include "kernels.h"
#include "small_m_impl.h"

namespace densenode {

namespace {
struct Portable {
  struct reg {
    float v[4];
  };
  static constexpr int W = 4;
  static reg zero() { return reg{{0.0f, 0.0f, 0.0f, 0.0f}}; }
  static reg load(const float* p) { return reg{{p[0], p[1], p[2], p[3]}}; }
  static reg load_n(const float* p, int n) {
    reg r = zero();
    for (int i = 0; i < n; ++i) r.v[i] = p[i];
    return r;
  }
  static void store(float* p, reg x) {
    for (int i = 0; i < 4; ++i) p[i] = x.v[i];
  }
  static void store_n(float* p, reg x, int n) {
    for (int i = 0; i < n; ++i) p[i] = x.v[i];
  }
  static reg bcast(float x) { return reg{{x, x, x, x}}; }
  static reg fma(reg a, reg b, reg c) {
    for (int i = 0; i < 4; ++i) c.v[i] += a.v[i] * b.v[i];
    return c;
  }
  static reg mul(reg a, reg b) {
    for (int i = 0; i < 4; ++i) a.v[i] *= b.v[i];
    return a;
  }
  static reg add(reg a, reg b) {
    for (int i = 0; i < 4; ++i) a.v[i] += b.v[i];
    return a;
  }
  static reg max0(reg x) {
    for (int i = 0; i < 4; ++i) x.v[i] = x.v[i] < 0.0f ? 0.0f : x.v[i];  // NaN kept
    return x;
  }
};
}  // namespace

void small_m_portable(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                      int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep) {
  small_m::rows<Portable, 4>(kc, a, a_rs, a_cs, m, b, ldb, nr, c, ldc, ep);
}

}  // namespace densenode
