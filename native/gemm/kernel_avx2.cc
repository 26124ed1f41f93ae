// AVX2+FMA micro-kernels: 6 x 16 (main), 6 x 8 (narrow edge slivers) and
// exact-size edge tiles. Built with -mavx2 -mfma, on x86-64 only.
#include <immintrin.h>

#include "avx2_util.h"
#include "blocking.h"
#include "c_prefetch.h"
#include "kernels.h"
#include "straight_epilogue.h"
#include "tile_entries.h"

namespace densenode {

namespace {
constexpr int MR = kBlockAvx2.mr;
static_assert(kBlockAvx2.nr == 16, "main kernel holds each tile row in two ymm");

// ROWS x (8*NV) tile. PackedA: op(A)(i,p) = a[p*cs + i] (packed sliver or
// transposed A in place); else a[i*rs + p]. Masked: only columns < nr of C
// are read or written (edge tiles); B is padded by the caller, read in full.
template <int NV, int ROWS, bool PackedA, bool Masked>
inline void tile(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep, int nr) {
  // C is read (beta) or written only after the K loop: fetching its lines now
  // overlaps the miss with the FMAs (a tile of a large C is rarely in L1).
#pragma GCC unroll 6
  for (int i = 0; i < ROWS; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 8 * NV - 1), _MM_HINT_T0);
  }
  __m256 acc[ROWS][NV];
#pragma GCC unroll 6
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();

  const int64_t step = PackedA ? al.cs : 1;
  auto k_steps = [&](int64_t count) {
#pragma GCC unroll 4
    for (int64_t p = 0; p < count; ++p) {
      __m256 bv[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 6
      for (int i = 0; i < ROWS; ++i) {
        const __m256 ai = _mm256_broadcast_ss(PackedA ? a + i : a + i * al.rs);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
      }
      a += step;
      b += b_step;
    }
  };
  // The early fetch above can be evicted by a long K loop's B sliver before a beta epilogue reads
  // C (c_prefetch.h): whole tiles fetch it again near the end.
  tiles::k_loop_fetching_c<ROWS == MR && !Masked, ROWS, 8 * NV>(kc, tiles::kCLeadAvx2, ep.beta, c,
                                                                ldc, k_steps);

  __m256i cm[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) cm[v] = avx2::lanes(Masked ? nr - 8 * v : 8);
  auto load = [&](const float* p, int v) {
    return Masked ? _mm256_maskload_ps(p, cm[v]) : _mm256_loadu_ps(p);
  };
  auto store = [&](float* p, int v, __m256 x) {
    if (Masked)
      _mm256_maskstore_ps(p, cm[v], x);
    else
      _mm256_storeu_ps(p, x);
  };
  // A local copy: a store to C could alias *ep, and GCC then reloaded and
  // retested its fields for every vector it stored.
  const Epilogue e = ep;
  // The common epilogues without the general one's per-element tests: at KC 64 77-95 GFLOP/s
  // against 68-81 through the general one.
  if (tiles::straight_epilogue<ROWS, NV, 8>(
          acc, e, c, ldc, load, store, [](__m256 x, __m256 y) { return _mm256_add_ps(x, y); },
          [](__m256 x) { return avx2::relu(x); }))
    return;
  __m256 bias[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) bias[v] = e.bias ? load(e.bias + 8 * v, v) : _mm256_setzero_ps();
  const __m256 valpha = _mm256_set1_ps(e.alpha), vbeta = _mm256_set1_ps(e.beta);
#pragma GCC unroll 6
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      float* cp = c + i * ldc + 8 * v;
      __m256 x = e.alpha == 1.0f ? acc[i][v] : _mm256_mul_ps(acc[i][v], valpha);
      if (e.beta != 0.0f) x = _mm256_fmadd_ps(load(cp, v), vbeta, x);
      if (e.bias) x = _mm256_add_ps(x, bias[v]);
      if (e.relu) x = avx2::relu(x);
      store(cp, v, x);
    }
}

struct Tile {
  template <int NV, int ROWS, bool PackedA, bool Masked>
  static void run(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                  int64_t ldc, const Epilogue& ep, int nr) {
    tile<NV, ROWS, PackedA, Masked>(kc, a, al, b, b_step, c, ldc, ep, nr);
  }
};
using Entries = tiles::Entries<Tile, MR, 8>;
}  // namespace

// kc steps of a 6-row A sliver (layout al) times a kc x 16 B sliver (row
// stride b_step), epilogue into the 6 x 16 tile c (row stride ldc).
void kernel_avx2(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep) {
  Entries::whole<2>(kc, a, al, b, b_step, c, ldc, ep);
}

// Same with a kc x 8 B sliver into a 6 x 8 tile.
void kernel_avx2_n8(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                    float* c, int64_t ldc, const Epilogue& ep) {
  Entries::whole<1>(kc, a, al, b, b_step, c, ldc, ep);
}

// An mr x nr edge tile (mr <= 6, nr <= 16) straight into C: only mr rows of A
// are read and only the tile is touched, so no staging buffer and no FMAs on
// padding rows. Per element the same arithmetic as the full kernel.
void kernel_avx2_edge(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                      float* c, int64_t ldc, const Epilogue& ep, int mr, int nr) {
  Entries::edge(kc, a, al, b, b_step, c, ldc, ep, mr, nr);
}

}  // namespace densenode
