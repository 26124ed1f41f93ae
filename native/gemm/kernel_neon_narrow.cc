// NEON narrow-n kernel (C panels of 8 rows x up to 12 columns per pass,
// vectorised along m) and the transposing pack, both on 4 x 4 register
// transposes. Built on arm64 only.
#include <arm_neon.h>

#include "blocking.h"
#include "kernels.h"
#include "narrow_tables.h"
#include "neon_util.h"

namespace densenode {

namespace {

constexpr int NMR = kNarrowNeon.mr;
static_assert(NMR == 8, "a narrow panel column is two vectors");
constexpr int kMaxCols = 12;  // 2 x 12 accumulators + 2 A + 3 B <= 32 registers

template <int NV, int N>
using NarrowAcc = float32x4_t[N][NV];

// Column J += A column p * op(B)(p, J): B's value from a lane of the vector
// holding columns 4*(J/4).. (the lane must be a constant).
template <int NV, int N, int J>
inline void col_lane(NarrowAcc<NV, N>& acc, const float32x4_t (&av)[NV],
                     const float32x4_t (&bq)[(N + 3) / 4]) {
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) acc[J][v] = vfmaq_laneq_f32(acc[J][v], av[v], bq[J / 4], J % 4);
}

template <int NV, int N, int... J>
inline void cols_lane(NarrowAcc<NV, N>& acc, const float32x4_t (&av)[NV],
                      const float32x4_t (&bq)[(N + 3) / 4], std::integer_sequence<int, J...>) {
  (col_lane<NV, N, J>(acc, av, bq), ...);
}

// (4*NV) rows x N columns: acc[j][v] holds C rows 4v..4v+3 of column j.
// A panel rows past 4*NV are never read; B's row is read for columns < N only.
struct Narrow {  // the tile as T::run<NV, N> for narrow::table
  template <int NV, int N>
  static void run(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                  float* c, int64_t ldc, const Epilogue& ep) {
    constexpr int NB = (N + 3) / 4;  // B vectors per row, the last one maybe partial
    NarrowAcc<NV, N> acc;
#pragma GCC unroll 12
    for (int j = 0; j < N; ++j)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[j][v] = vdupq_n_f32(0.0f);

    for (int64_t p = 0; p < kc; ++p) {
      float32x4_t av[NV], bq[NB];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) av[v] = vld1q_f32(a + 4 * v);
#pragma GCC unroll 3
      for (int q = 0; q < N / 4; ++q) bq[q] = vld1q_f32(b + 4 * q);
      if constexpr (N % 4 != 0) bq[NB - 1] = neon::load_n(b + 4 * (NB - 1), N % 4);
      cols_lane<NV, N>(acc, av, bq, std::make_integer_sequence<int, N>{});
      a += a_cs;
      b += b_rs;
    }

    // Rows of C from 4 x 4 transposes: rows 4v..4v+3, columns 4q..4q+3.
    const Epilogue e = ep;  // a local copy: a store to C could alias *ep
    const neon::EpilogueV k(e);
#pragma GCC unroll 3
    for (int q = 0; q < NB; ++q) {
      const int w = N - 4 * q < 4 ? N - 4 * q : 4;
      const float32x4_t bias = e.bias ? neon::load_n(e.bias + 4 * q, w) : k.zero;
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        float32x4_t r[4];
#pragma GCC unroll 4
        for (int l = 0; l < 4; ++l)
          r[l] = 4 * q + l < N ? acc[4 * q + l < N ? 4 * q + l : 0][v] : k.zero;
        neon::transpose4(r);
        const int rows = mr - 4 * v < 4 ? mr - 4 * v : 4;
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) {
          if (i >= rows) break;
          float* ci = c + (4 * v + i) * ldc + 4 * q;
          const float32x4_t old = e.beta != 0.0f ? neon::load_n(ci, w) : k.zero;
          neon::store_n(ci, neon::finish(r[i], old, bias, e, k), w);
        }
      }
    }
  }
};
constexpr auto kOne = narrow::table<Narrow, 1, kMaxCols>();
constexpr auto kTwo = narrow::table<Narrow, 2, kMaxCols>();

// G groups of 4 rows (rows <= 4*G of them real) of the one-column product,
// as gemv_avx2 does it: a 4 x 4 transpose turns each group's next 4 floats
// into 4 k steps, one fused multiply-add each from zero, then the narrow
// kernel's epilogue, so the bits are the narrow path's. The G accumulators are
// independent chains. Lanes past `rows` repeat the last row, never stored.
struct GemvStrip {  // as narrow::gemv_strips takes it: run<G>
  template <int G>
  static void run(int64_t kc, const float* a, int64_t lda, const float* b, int64_t b_rs, int rows,
                  float* c, int64_t ldc, const Epilogue& e) {
    const float* ar[G][4];
    narrow::strip_rows(a, lda, rows, ar);
    float32x4_t acc[G];
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) acc[g] = vdupq_n_f32(0.0f);
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      float32x4_t bq;
      if (b_rs == 1) {
        bq = vld1q_f32(b + p);
      } else {
        bq = vdupq_n_f32(b[p * b_rs]);
        bq = vsetq_lane_f32(b[(p + 1) * b_rs], bq, 1);
        bq = vsetq_lane_f32(b[(p + 2) * b_rs], bq, 2);
        bq = vsetq_lane_f32(b[(p + 3) * b_rs], bq, 3);
      }
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        float32x4_t r[4];
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) r[q] = vld1q_f32(ar[g][q] + p);
        neon::transpose4(r);
        acc[g] = vfmaq_laneq_f32(acc[g], r[0], bq, 0);
        acc[g] = vfmaq_laneq_f32(acc[g], r[1], bq, 1);
        acc[g] = vfmaq_laneq_f32(acc[g], r[2], bq, 2);
        acc[g] = vfmaq_laneq_f32(acc[g], r[3], bq, 3);
      }
    }
    for (; p < kc; ++p) {
      const float bp = b[p * b_rs];
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        float32x4_t col = vdupq_n_f32(ar[g][0][p]);
        col = vsetq_lane_f32(ar[g][1][p], col, 1);
        col = vsetq_lane_f32(ar[g][2][p], col, 2);
        col = vsetq_lane_f32(ar[g][3][p], col, 3);
        acc[g] = vfmaq_n_f32(acc[g], col, bp);
      }
    }
    const neon::EpilogueV k(e);
    const float32x4_t bias = e.bias ? vdupq_n_f32(*e.bias) : k.zero;
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      const int n = rows - 4 * g < 4 ? rows - 4 * g : 4;
      float* cg = c + 4 * g * ldc;
      float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      if (e.beta != 0.0f)
        for (int q = 0; q < n; ++q) buf[q] = cg[q * ldc];
      vst1q_f32(buf, neon::finish(acc[g], vld1q_f32(buf), bias, e, k));
      for (int q = 0; q < n; ++q) cg[q * ldc] = buf[q];
    }
  }
};

}  // namespace

// nr columns in ceil(nr/12) near-equal passes over the panel.
void narrow_neon(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                 int nr, float* c, int64_t ldc, const Epilogue& ep) {
  narrow::passes(mr <= 4 ? kOne : kTwo, kc, a, a_cs, b, b_rs, mr, nr, c, ldc, ep);
}

// Rows [0, m) of the one-column product in strips of 16 rows (four chains),
// A read in place instead of packed by the narrow path. Not timed on arm64
// hardware (docs/decisions.md).
void gemv_neon(int64_t kc, const float* a, int64_t lda, const float* b, int64_t b_rs, int64_t m,
               float* c, int64_t ldc, const Epilogue& ep) {
  narrow::gemv_strips<4, 4, GemvStrip>(kc, a, lda, b, b_rs, m, c, ldc, ep);
}

// 4 x 4 blocks by register transpose. Needs width % 4 == 0 (the caller
// uses the scalar pack otherwise); the kc tail is copied one float at a time.
void gather_cols_neon(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                      float* dst) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  for (int i0 = 0; i0 + 4 <= width; i0 += 4) {
    const int64_t rows = len - i0 < 0 ? 0 : len - i0 < 4 ? len - i0 : 4;
    int64_t p0 = 0;
    for (; p0 + 4 <= kc; p0 += 4) {
      float32x4_t r[4];
#pragma GCC unroll 4
      for (int l = 0; l < 4; ++l) r[l] = l < rows ? vld1q_f32(src + (i0 + l) * lds + p0) : zero;
      neon::transpose4(r);
      float* d = dst + p0 * width + i0;
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) vst1q_f32(d + q * width, r[q]);
    }
    for (; p0 < kc; ++p0)
      for (int l = 0; l < 4; ++l)
        dst[p0 * width + i0 + l] = l < rows ? src[(i0 + l) * lds + p0] : 0.0f;
  }
}

}  // namespace densenode
