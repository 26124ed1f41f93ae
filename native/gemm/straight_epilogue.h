#pragma once
// The epilogues of the common cases without the general one's tests per vector, shared by the
// AVX2, AVX-512 and NEON register tiles (each includes it, built with its own flags). Same bits as
// the general epilogue: 1*x == x and fma(c, 1, v) == c + v.
#include <cstdint>

#include "kernels.h"

namespace densenode {
namespace tiles {

// Writes the ROWS x NV accumulators (W floats a vector) into c and returns true when ep is
// alpha 1 with beta 0 or 1 and no bias or ReLU (every backward product, the later K blocks), or
// alpha 1, beta 0 with a bias (the Dense (-> ReLU) forward); otherwise touches nothing and
// returns false. load(p, v) / store(p, v, x) read and write vector v of a row (masked in an edge
// tile), add(x, y) adds, relu(x) clamps at 0 as the general epilogue does (NaN -> 0).
template <int ROWS, int NV, int W, class Vec, class Load, class Store, class Add, class Relu>
inline bool straight_epilogue(const Vec (&acc)[ROWS][NV], const Epilogue& e, float* c, int64_t ldc,
                              const Load& load, const Store& store, const Add& add,
                              const Relu& relu) {
  if (e.alpha != 1.0f) return false;
  if (!e.bias && !e.relu && (e.beta == 0.0f || e.beta == 1.0f)) {
    const bool accumulate = e.beta != 0.0f;  // beta == 0: C is write-only, never read (NaN-safe)
#pragma GCC unroll 14
    for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v) {
        float* cp = c + i * ldc + W * v;
        store(cp, v, accumulate ? add(load(cp, v), acc[i][v]) : acc[i][v]);
      }
    return true;
  }
  if (e.beta != 0.0f || !e.bias) return false;
  Vec bias[NV];
#pragma GCC unroll 3
  for (int v = 0; v < NV; ++v) bias[v] = load(e.bias + W * v, v);
#pragma GCC unroll 14
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      const Vec x = add(acc[i][v], bias[v]);
      store(c + i * ldc + W * v, v, e.relu ? relu(x) : x);
    }
  return true;
}

}  // namespace tiles
}  // namespace densenode
