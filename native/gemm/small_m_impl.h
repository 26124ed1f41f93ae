#pragma once
// The small-m kernel (m <= kSmallM rows of C: a prediction on a few rows), one
// copy per ISA: the including TU defines a vector type V and instantiates it
// with its own flags. B is read in place (row-major, ldb) and never packed:
// with so few rows each B element is used m times, so packing it would cost
// more than the product. Each output element sees the same operations in the
// same order as in the main micro-kernels (one fma per k step into its
// accumulator, then the same epilogue), so a row's result does not depend on
// how many rows were predicted together.
//
// V provides: reg; W (floats per reg); zero(); load(p); load_n(p, n) and
// store_n(p, x, n) for the first n lanes, 0 < n < W (others neither read
// nor written); store(p, x); bcast(float); fma(a, b, c) = a*b + c; mul; add; max0.
#include <cstdint>

#include "kernels.h"

namespace densenode {
namespace small_m {

// R rows x NV registers of columns; Tail: only the first nr columns exist.
template <class V, int R, int NV, bool Tail>
inline void tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
                 int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep) {
  using reg = typename V::reg;
  constexpr int W = V::W;
  int n[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) n[v] = Tail ? (nr - v * W < 0 ? 0 : nr - v * W) : W;
  reg acc[R][NV];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = V::zero();
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    const float* bp = b + p * ldb;
    reg bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)  // a vector past the last column reads nothing
      bv[v] = !Tail || n[v] >= W ? V::load(bp + v * W)
              : n[v] > 0         ? V::load_n(bp + v * W, n[v])
                                 : V::zero();
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const reg ar = V::bcast(a[r * a_rs + p * a_cs]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = V::fma(ar, bv[v], acc[r][v]);
    }
  }
  const Epilogue e = ep;  // a local copy: a store to C could alias *ep
  const reg valpha = V::bcast(e.alpha), vbeta = V::bcast(e.beta);
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (Tail && n[v] == 0) continue;
      float* cp = c + r * ldc + v * W;
      const bool full = !Tail || n[v] >= W;
      reg x = e.alpha == 1.0f ? acc[r][v] : V::mul(acc[r][v], valpha);
      if (e.beta != 0.0f) x = V::fma(full ? V::load(cp) : V::load_n(cp, n[v]), vbeta, x);
      if (e.bias) x = V::add(x, full ? V::load(e.bias + v * W) : V::load_n(e.bias + v * W, n[v]));
      if (e.relu) x = V::max0(x);
      if (full)
        V::store(cp, x);
      else
        V::store_n(cp, x, n[v]);
    }
}

template <class V, int NV, int R>
inline void rows_of(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
                    int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep) {
  if (nr < NV * V::W)
    tile<V, R, NV, true>(kc, a, a_rs, a_cs, b, ldb, nr, c, ldc, ep);
  else
    tile<V, R, NV, false>(kc, a, a_rs, a_cs, b, ldb, nr, c, ldc, ep);
}

// Rows [0, m) x columns [0, nr) of C, 1 <= m <= 4, nr <= NV * W; the bias
// pointer is for these columns.
template <class V, int NV>
inline void rows(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                 int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep) {
  switch (m) {
    case 1: return rows_of<V, NV, 1>(kc, a, a_rs, a_cs, b, ldb, nr, c, ldc, ep);
    case 2: return rows_of<V, NV, 2>(kc, a, a_rs, a_cs, b, ldb, nr, c, ldc, ep);
    case 3: return rows_of<V, NV, 3>(kc, a, a_rs, a_cs, b, ldb, nr, c, ldc, ep);
    default: return rows_of<V, NV, 4>(kc, a, a_rs, a_cs, b, ldb, nr, c, ldc, ep);
  }
}

}  // namespace small_m
}  // namespace densenode
