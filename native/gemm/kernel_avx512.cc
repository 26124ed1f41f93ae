// AVX-512 micro-kernels: 14 x 32 (main), 14 x 16 (narrow edge slivers) and
// exact-size edge tiles.
// Built with -mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma -mavx2.
// Built on x86-64 only.
#include <immintrin.h>

#include "avx512_util.h"
#include "blocking.h"
#include "c_prefetch.h"
#include "kernels.h"
#include "straight_epilogue.h"
#include "tile_entries.h"

namespace densenode {

namespace {
constexpr int MR = kBlockAvx512.mr;
static_assert(kBlockAvx512.nr == 32, "main kernel holds each tile row in two zmm");

// c = alpha*acc (+ beta*old) (+ bias) (relu) for one 16-float vector of C.
inline __m512 finish(__m512 acc, __m512 old, const Epilogue& ep, __m512 valpha, __m512 vbeta,
                     __m512 bias) {
  // alpha == 1 (the usual case) skips the multiply: 1*x == x exactly.
  __m512 v = ep.alpha == 1.0f ? acc : _mm512_mul_ps(acc, valpha);
  if (ep.beta != 0.0f) v = _mm512_fmadd_ps(old, vbeta, v);
  if (ep.bias) v = _mm512_add_ps(v, bias);
  if (ep.relu) v = avx512::relu(v);
  return v;
}

// ROWS x (16*NV) tile. PackedA: op(A)(i,p) = a[p*cs + i] (contiguous MR floats
// per step: packed sliver or transposed A in place); else a[i*rs + p].
// Masked: only columns < nr of C are read or written (edge tiles); B is
// padded by the caller, so it is read in full.
template <int NV, int ROWS, bool PackedA, bool Masked>
inline void tile(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep, int nr) {
  __m512 acc[ROWS][NV];
#pragma GCC unroll 14
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();

  const int64_t step = PackedA ? al.cs : 1;
  auto k_steps = [&](int64_t count) {
#pragma GCC unroll 2
    for (int64_t p = 0; p < count; ++p) {
      __m512 bv[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 14
      for (int i = 0; i < ROWS; ++i) {
        const __m512 ai = _mm512_set1_ps(PackedA ? a[i] : a[i * al.rs]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
      }
      a += step;
      b += b_step;
    }
  };
  tiles::k_loop_fetching_c<ROWS == MR && !Masked, ROWS, 16 * NV>(kc, tiles::kCLeadAvx512, ep.beta,
                                                                 c, ldc, k_steps);

  const Epilogue e = ep;  // a local copy: a store to C could alias *ep
  __mmask16 cm[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) cm[v] = avx512::lanes(Masked ? nr - 16 * v : 16);
  auto load = [&](const float* p, int v) {
    return Masked ? _mm512_maskz_loadu_ps(cm[v], p) : _mm512_loadu_ps(p);
  };
  auto store = [&](float* p, int v, __m512 x) {
    if (Masked)
      _mm512_mask_storeu_ps(p, cm[v], x);
    else
      _mm512_storeu_ps(p, x);
  };
  // The common epilogues without the general one's tests per vector (as in the AVX2 tile), in the
  // whole tiles only: in the 112 edge forms too they added 100 KB to the x64 binary, for tiles a
  // product has few of.
  if constexpr (ROWS == MR && !Masked) {
    if (tiles::straight_epilogue<ROWS, NV, 16>(
            acc, e, c, ldc, load, store, [](__m512 x, __m512 y) { return _mm512_add_ps(x, y); },
            [](__m512 x) { return avx512::relu(x); }))
      return;
  }
  __m512 bias[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) bias[v] = e.bias ? load(e.bias + 16 * v, v) : _mm512_setzero_ps();
  const __m512 valpha = _mm512_set1_ps(e.alpha), vbeta = _mm512_set1_ps(e.beta);
#pragma GCC unroll 14
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      float* cp = c + i * ldc + 16 * v;
      const __m512 old = e.beta != 0.0f ? load(cp, v) : _mm512_setzero_ps();
      store(cp, v, finish(acc[i][v], old, e, valpha, vbeta, bias[v]));
    }
}

struct Tile {
  template <int NV, int ROWS, bool PackedA, bool Masked>
  static void run(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                  int64_t ldc, const Epilogue& ep, int nr) {
    tile<NV, ROWS, PackedA, Masked>(kc, a, al, b, b_step, c, ldc, ep, nr);
  }
};
using Entries = tiles::Entries<Tile, MR, 16>;
}  // namespace

// kc steps of a 14-row A sliver (layout al) times a kc x 32 B sliver (row
// stride b_step), epilogue into the 14 x 32 tile c (row stride ldc).
void kernel_avx512(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                   int64_t ldc, const Epilogue& ep) {
  Entries::whole<2>(kc, a, al, b, b_step, c, ldc, ep);
}

// Same with a kc x 16 B sliver into a 14 x 16 tile.
void kernel_avx512_n16(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                       float* c, int64_t ldc, const Epilogue& ep) {
  Entries::whole<1>(kc, a, al, b, b_step, c, ldc, ep);
}

// An mr x nr edge tile (mr <= 14, nr <= 32) straight into C: only mr rows of
// A are read and only the tile is touched, so no staging buffer and no
// FMAs on padding rows. Per element the same arithmetic as the full kernel.
void kernel_avx512_edge(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                        float* c, int64_t ldc, const Epilogue& ep, int mr, int nr) {
  Entries::edge(kc, a, al, b, b_step, c, ldc, ep, mr, nr);
}

}  // namespace densenode
