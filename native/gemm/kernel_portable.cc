// Portable micro-kernel, 6 x 8, plain C++ written so the compiler can keep the
// accumulator in vector registers (SSE2 on x86-64, NEON on arm64). No flags.
#include <array>
#include <cstddef>
#include <utility>

#include "blocking.h"
#include "kernels.h"

namespace densenode {

namespace {
constexpr int MR = kBlockPortable.mr;
constexpr int NR = kBlockPortable.nr;
constexpr int NMR = kNarrowPortable.mr;
constexpr int kMaxCols = 8;

// NMR rows x N columns of C, vectorised along the rows (the inner loop).
template <int N>
void narrow_tile(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
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
  for (int i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    for (int j = 0; j < N; ++j) {
      float v = ep.alpha * acc[j][i];
      if (ep.beta != 0.0f) v += ep.beta * ci[j];
      if (ep.bias) v += ep.bias[j];
      if (ep.relu) v = v > 0.0f ? v : 0.0f;
      ci[j] = v;
    }
  }
}

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, int, float*, int64_t,
                        const Epilogue&);
template <std::size_t... I>
constexpr std::array<TileFn, sizeof...(I)> make_table(std::index_sequence<I...>) {
  return {&narrow_tile<int(I) + 1>...};
}
constexpr auto kTab = make_table(std::make_index_sequence<kMaxCols>{});
}  // namespace

// nr columns in ceil(nr/8) near-equal passes over the panel.
void narrow_portable(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                     int nr, float* c, int64_t ldc, const Epilogue& ep) {
  const int passes = (nr + kMaxCols - 1) / kMaxCols;
  Epilogue e = ep;
  for (int s = 0, j0 = 0; s < passes; ++s) {
    const int w = (nr - j0) / (passes - s);
    if (ep.bias) e.bias = ep.bias + j0;
    kTab[w - 1](kc, a, a_cs, b + j0, b_rs, mr, c + j0, ldc, e);
    j0 += w;
  }
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
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    for (int j = 0; j < NR; ++j) {
      float v = ep.alpha * acc[i][j];
      if (ep.beta != 0.0f) v += ep.beta * ci[j];
      if (ep.bias) v += ep.bias[j];
      if (ep.relu) v = v > 0.0f ? v : 0.0f;
      ci[j] = v;
    }
  }
}

}  // namespace densenode
