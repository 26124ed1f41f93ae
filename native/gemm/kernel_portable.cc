// Portable micro-kernel, 6 x 8, plain C++ written so the compiler can keep the
// accumulator in vector registers (SSE2 on x86-64, NEON on arm64). No flags.
#include "blocking.h"
#include "kernels.h"
#include "narrow_tables.h"

namespace densenode {

namespace {
constexpr int MR = kBlockPortable.mr;
constexpr int NR = kBlockPortable.nr;
constexpr int NMR = kNarrowPortable.mr;
constexpr int kMaxCols = 8;

// Element j of a C row (ci) through the epilogue (kernels.h), as both portable
// tiles write it: ci[j] is read only when beta != 0.
inline float finish(const Epilogue& ep, float acc, const float* ci, int j) {
  float v = ep.alpha * acc;
  if (ep.beta != 0.0f) v += ep.beta * ci[j];
  if (ep.bias) v += ep.bias[j];
  if (ep.relu) v = v < 0.0f ? 0.0f : v;  // NaN kept (avx2_util.h)
  return v;
}

// NMR rows x N columns of C, vectorised along the rows (the inner loop).
// The tile as T::run<NV, N> for narrow::table (NV: one "vector" of NMR
// floats, as written).
struct Narrow {
  template <int NV, int N>
  static void run(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                  float* c, int64_t ldc, const Epilogue& ep) {
    float acc[N][NMR] = {};
    for (int64_t p = 0; p < kc; ++p) {
      for (int j = 0; j < N; ++j) {
        const float bj = b[j];
        for (int i = 0; i < NMR; ++i) acc[j][i] += a[i] * bj;
      }
      a += a_cs;
      b += b_rs;
    }
    const Epilogue e = ep;  // a local copy: a store to C could alias *ep
    for (int i = 0; i < mr; ++i) {
      float* ci = c + i * ldc;
      for (int j = 0; j < N; ++j) ci[j] = finish(e, acc[j][i], ci, j);
    }
  }
};
constexpr auto kTab = narrow::table<Narrow, 1, kMaxCols>();
}  // namespace

// nr columns in ceil(nr/8) near-equal passes over the panel.
void narrow_portable(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                     int nr, float* c, int64_t ldc, const Epilogue& ep) {
  narrow::passes(kTab, kc, a, a_cs, b, b_rs, mr, nr, c, ldc, ep);
}

// kc steps of a 6-row A sliver (op(A)(i,p) = a[i*rs + p*cs]) times a kc x 8
// B sliver (row stride b_step), epilogue into the 6 x 8 tile c (row stride ldc).
void kernel_portable(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                     float* c, int64_t ldc, const Epilogue& ep) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    float bv[NR];
    for (int j = 0; j < NR; ++j) bv[j] = b[j];
    for (int i = 0; i < MR; ++i) {
      const float ai = a[i * al.rs];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * bv[j];
    }
    a += al.cs;
    b += b_step;
  }
  const Epilogue e = ep;  // a local copy: a store to C could alias *ep
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    for (int j = 0; j < NR; ++j) ci[j] = finish(e, acc[i][j], ci, j);
  }
}

}  // namespace densenode
