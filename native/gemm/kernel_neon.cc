// NEON micro-kernel, 8 x 12, and its exact edge tiles. NEON is part of the
// AArch64 baseline, so no flags; built on arm64 only. The tile's shape and
// block sizes are explained in blocking.h.
#include <arm_neon.h>

#include <array>
#include <cstddef>
#include <utility>

#include "blocking.h"
#include "kernels.h"
#include "neon_util.h"
#include "straight_epilogue.h"

namespace densenode {

namespace {
constexpr int MR = kBlockNeon.mr;
constexpr int NR = kBlockNeon.nr;
constexpr int NV = NR / 4;  // vectors per tile row
static_assert(MR == 8 && NR == 12, "kernel holds the A column in two vectors, a tile row in three");

using Acc = float32x4_t[MR][NV];

// Row I of the tile += op(A)(I, p) * B row p, the A value taken from a lane
// (a template argument: the lane must be a constant).
template <int I>
inline void row_lane(Acc& acc, const float32x4_t (&bv)[NV], float32x4_t a_lo, float32x4_t a_hi) {
  const float32x4_t av = I < 4 ? a_lo : a_hi;
#pragma GCC unroll 3
  for (int v = 0; v < NV; ++v) acc[I][v] = vfmaq_laneq_f32(acc[I][v], bv[v], av, I % 4);
}

template <int... I>
inline void rows_lane(Acc& acc, const float32x4_t (&bv)[NV], float32x4_t a_lo, float32x4_t a_hi,
                      std::integer_sequence<int, I...>) {
  (row_lane<I>(acc, bv, a_lo, a_hi), ...);
}

// Rows R0..R0+3 of the tile += their A values at steps p..p+3 (one vector
// per row, a[i*rs + p..p+3]) times B rows p..p+3, step by step: B row Q's
// product takes lane Q of each row's vector.
template <int R0, int Q>
inline void quad_step(Acc& acc, const float32x4_t (&av)[4], const float* b, int64_t b_step) {
  float32x4_t bv[NV];
#pragma GCC unroll 3
  for (int v = 0; v < NV; ++v) bv[v] = vld1q_f32(b + Q * b_step + 4 * v);
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[R0 + r][v] = vfmaq_laneq_f32(acc[R0 + r][v], bv[v], av[r], Q);
}

template <int R0>
inline void quad_rows(Acc& acc, const float* a, int64_t rs, const float* b, int64_t b_step) {
  float32x4_t av[4];
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) av[r] = vld1q_f32(a + (R0 + r) * rs);
  quad_step<R0, 0>(acc, av, b, b_step);
  quad_step<R0, 1>(acc, av, b, b_step);
  quad_step<R0, 2>(acc, av, b, b_step);
  quad_step<R0, 3>(acc, av, b, b_step);
}

// ContigA: op(A)(i, p) contiguous along i (a packed sliver, or transposed A
// in place): two vector loads per p. Otherwise (row-major A in place, the
// forward pass of a layer) four steps at a time, one vector per row and half
// the rows at a time (24 accumulators + 4 A + 3 B registers: loading all 8
// rows' values per step made GCC spill accumulators), the last kc % 4 steps
// with a broadcast load per row. All are the same fused multiply-adds in the
// same order per element, so a row gets the same bits whichever way its A
// is read.
template <bool ContigA>
inline void tile(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep) {
  Acc acc;
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[i][v] = vdupq_n_f32(0.0f);

  int64_t p = 0;
  if constexpr (!ContigA) {
    for (; p + 4 <= kc; p += 4) {
      quad_rows<0>(acc, a, al.rs, b, b_step);
      // Without this, the compiler merges the two halves' loads of the same B
      // rows, which keeps 12 B vectors live and spills accumulators.
      asm volatile("" ::: "memory");
      quad_rows<4>(acc, a, al.rs, b, b_step);
      a += 4;  // cs == 1
      b += 4 * b_step;
    }
  }
  for (; p < kc; ++p) {
    float32x4_t bv[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) bv[v] = vld1q_f32(b + 4 * v);
    if constexpr (ContigA) {
      rows_lane(acc, bv, vld1q_f32(a), vld1q_f32(a + 4), std::make_integer_sequence<int, MR>{});
    } else {
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        const float32x4_t ai = vld1q_dup_f32(a + i * al.rs);
#pragma GCC unroll 3
        for (int v = 0; v < NV; ++v) acc[i][v] = vfmaq_f32(acc[i][v], bv[v], ai);
      }
    }
    a += al.cs;
    b += b_step;
  }

  const Epilogue e = ep;  // a local copy: a store to C could alias *ep
  const neon::EpilogueV k(e);
  // The x86 tiles' straight epilogues (straight_epilogue.h).
  if (tiles::straight_epilogue<MR, NV, 4>(
          acc, e, c, ldc, [](const float* p, int) { return vld1q_f32(p); },
          [](float* p, int, float32x4_t x) { vst1q_f32(p, x); },
          [](float32x4_t x, float32x4_t y) { return vaddq_f32(x, y); },
          [](float32x4_t x) { return neon::relu(x); }))
    return;
  float32x4_t bias[NV];
#pragma GCC unroll 3
  for (int v = 0; v < NV; ++v) bias[v] = e.bias ? vld1q_f32(e.bias + 4 * v) : k.zero;
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      const float32x4_t old = e.beta != 0.0f ? vld1q_f32(ci + 4 * v) : k.zero;
      vst1q_f32(ci + 4 * v, neon::finish(acc[i][v], old, bias[v], e, k));
    }
  }
}

// M rows x the first V vectors of the tile, written for columns [0, nr)
// only; A rows past M are never read (broadcast loads, any layout), B is the
// usual NR-wide sliver. Same arithmetic per element as tile().
template <int M, int V>
void edge_tile(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
               int64_t ldc, const Epilogue& ep, int nr) {
  float32x4_t acc[M][V];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) acc[i][v] = vdupq_n_f32(0.0f);

  for (int64_t p = 0; p < kc; ++p) {
    float32x4_t bv[V];
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) bv[v] = vld1q_f32(b + 4 * v);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const float32x4_t ai = vld1q_dup_f32(a + i * al.rs);
#pragma GCC unroll 3
      for (int v = 0; v < V; ++v) acc[i][v] = vfmaq_f32(acc[i][v], bv[v], ai);
    }
    a += al.cs;
    b += b_step;
  }
  const Epilogue e = ep;  // a local copy: a store to C could alias *ep
  const neon::EpilogueV k(e);
  float32x4_t bias[V];
#pragma GCC unroll 3
  for (int v = 0; v < V; ++v) {
    const int w = nr - 4 * v;
    bias[v] = e.bias ? neon::load_n(e.bias + 4 * v, w) : k.zero;
  }
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) {
      const int w = nr - 4 * v;  // >= 1: V = ceil(nr / 4)
      const float32x4_t old = e.beta != 0.0f ? neon::load_n(ci + 4 * v, w) : k.zero;
      neon::store_n(ci + 4 * v, neon::finish(acc[i][v], old, bias[v], e, k), w);
    }
  }
}

using EdgeFn = void (*)(int64_t, const float*, ALayout, const float*, int64_t, float*, int64_t,
                        const Epilogue&, int);

template <int V, std::size_t... I>
constexpr std::array<EdgeFn, sizeof...(I)> edge_row(std::index_sequence<I...>) {
  return {&edge_tile<int(I) + 1, V>...};
}
// kEdge[V - 1][M - 1]
constexpr std::array<std::array<EdgeFn, MR>, NV> kEdge{edge_row<1>(std::make_index_sequence<MR>{}),
                                                       edge_row<2>(std::make_index_sequence<MR>{}),
                                                       edge_row<3>(std::make_index_sequence<MR>{})};
static_assert(NV == 3, "one kEdge row per tile vector");

}  // namespace

// kc steps of an 8-row A sliver (layout al) times a kc x 12 B sliver (row
// stride b_step), epilogue into the 8 x 12 tile c (row stride ldc).
void kernel_neon(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep) {
  if (al.rs == 1)
    tile<true>(kc, a, al, b, b_step, c, ldc, ep);
  else
    tile<false>(kc, a, al, b, b_step, c, ldc, ep);
}

// An mr x nr tile (mr <= 8, nr <= 12) straight into C: ceil(nr / 4) column
// vectors, so a 4-column tail costs a third of a full tile.
void kernel_neon_edge(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                      float* c, int64_t ldc, const Epilogue& ep, int mr, int nr) {
  kEdge[(nr + 3) / 4 - 1][mr - 1](kc, a, al, b, b_step, c, ldc, ep, nr);
}

}  // namespace densenode
