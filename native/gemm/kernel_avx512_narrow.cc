// AVX-512 narrow-n kernel (C panels of 32 rows x n <= 16 columns, vectorised
// along m) and the transposing pack; both rest on a 16x16 register transpose.
// Built with the kernel_avx512.cc flags: -mavx512f -mavx512vl -mavx512bw
// -mavx512dq -mfma -mavx2.
// Built on x86-64 only.
#include <immintrin.h>

#include "avx512_util.h"
#include "blocking.h"
#include "kernels.h"
#include "narrow_tables.h"

namespace densenode {

namespace {

constexpr int NMR = kNarrowAvx512.mr;
static_assert(NMR == 32, "a narrow panel column is two zmm");
static_assert(kNarrowMaxN == 16, "one transpose covers every column");

// maskz forms with a full mask throughout: the plain intrinsics pass
// _mm512_undefined_ps() through, which trips GCC 12 -Wuninitialized.
constexpr __mmask16 kAll = 0xFFFF;

// In place: lane j of r[i] becomes lane i of r[j].
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_maskz_unpacklo_ps(kAll, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_maskz_unpackhi_ps(kAll, r[2 * i], r[2 * i + 1]);
  }
  // r[4i+c], 128-bit lane L: column 4L+c of rows 4i..4i+3.
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    r[4 * i + 0] = _mm512_maskz_shuffle_ps(kAll, t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_maskz_shuffle_ps(kAll, t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_maskz_shuffle_ps(kAll, t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_maskz_shuffle_ps(kAll, t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // Gather lane L of r[c], r[4+c], r[8+c], r[12+c] into column 4L+c.
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m512 u0 = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0x88);
    const __m512 u1 = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0xDD);
    const __m512 w0 = _mm512_maskz_shuffle_f32x4(kAll, r[8 + c], r[12 + c], 0x88);
    const __m512 w1 = _mm512_maskz_shuffle_f32x4(kAll, r[8 + c], r[12 + c], 0xDD);
    r[c] = _mm512_maskz_shuffle_f32x4(kAll, u0, w0, 0x88);
    r[4 + c] = _mm512_maskz_shuffle_f32x4(kAll, u1, w1, 0x88);
    r[8 + c] = _mm512_maskz_shuffle_f32x4(kAll, u0, w0, 0xDD);
    r[12 + c] = _mm512_maskz_shuffle_f32x4(kAll, u1, w1, 0xDD);
  }
}

// (16*NV) rows x N columns: acc[j][v] holds C rows 16v..16v+15 of column j.
// Per k step: NV loads of A, N broadcasts of B (folded into the FMAs).
struct Narrow {  // the tile as T::run<NV, N> for narrow::table
  template <int NV, int N>
  static void run(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                  float* c, int64_t ldc, const Epilogue& ep) {
    static_assert(NV * N <= 24 || (NV == 1 && N <= 16), "accumulators must fit in 32 zmm");
    __m512 acc[N][NV];
#pragma GCC unroll 16
    for (int j = 0; j < N; ++j)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[j][v] = _mm512_setzero_ps();

#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; ++p) {
      __m512 av[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) av[v] = _mm512_loadu_ps(a + 16 * v);
#pragma GCC unroll 16
      for (int j = 0; j < N; ++j) {
        const __m512 bj = _mm512_set1_ps(b[j]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[j][v] = _mm512_fmadd_ps(av[v], bj, acc[j][v]);
      }
      a += a_cs;
      b += b_rs;
    }

    // Transpose each 16-row block so a vector is a row of C, then one masked
    // load (beta != 0 only) and one masked store per row: C is touched once.
    const __mmask16 cm = avx512::lanes(N);
    const Epilogue e = ep;  // a local copy: a store to C could alias *ep
    const __m512 valpha = _mm512_set1_ps(e.alpha), vbeta = _mm512_set1_ps(e.beta);
    const __m512 bias = e.bias ? _mm512_maskz_loadu_ps(cm, e.bias) : _mm512_setzero_ps();
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      __m512 r[16];
#pragma GCC unroll 16
      for (int j = 0; j < 16; ++j) r[j] = j < N ? acc[j < N ? j : 0][v] : _mm512_setzero_ps();
      transpose16(r);
      const int rows = mr - 16 * v < 16 ? mr - 16 * v : 16;
      float* cv = c + 16 * v * ldc;
#pragma GCC unroll 16
      for (int i = 0; i < 16; ++i) {
        if (i >= rows) break;
        float* ci = cv + i * ldc;
        __m512 x = e.alpha == 1.0f ? r[i] : _mm512_mul_ps(r[i], valpha);  // 1*x == x
        if (e.beta != 0.0f) x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(cm, ci), vbeta, x);
        if (e.bias) x = _mm512_add_ps(x, bias);
        if (e.relu) x = avx512::relu(x);
        _mm512_mask_storeu_ps(ci, cm, x);
      }
    }
  }
};
// One zmm per column (mr <= 16): up to 16 columns; two: up to 12.
constexpr auto kOne = narrow::table<Narrow, 1, 16>();
constexpr auto kTwo = narrow::table<Narrow, 2, 12>();

}  // namespace

void narrow_avx512(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                   int nr, float* c, int64_t ldc, const Epilogue& ep) {
  if (mr <= 16) {
    kOne[nr - 1](kc, a, a_cs, b, b_rs, mr, c, ldc, ep);
  } else if (nr <= 12) {
    kTwo[nr - 1](kc, a, a_cs, b, b_rs, mr, c, ldc, ep);
  } else {  // 13..16 columns: two passes over the panel, each column once
    const int h = (nr + 1) / 2;
    kTwo[h - 1](kc, a, a_cs, b, b_rs, mr, c, ldc, ep);
    Epilogue e = ep;
    if (ep.bias) e.bias = ep.bias + h;
    kTwo[nr - h - 1](kc, a, a_cs, b + h, b_rs, mr, c + h, ldc, e);
  }
}

// 16 x 16 blocks: 16 row loads, a register transpose, 16 row stores (masked
// at the kc tail and at a width that is not a multiple of 16, e.g. MR 14).
void gather_cols_avx512(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                        float* dst) {
  for (int i0 = 0; i0 < width; i0 += 16) {
    const __mmask16 wm = avx512::lanes(width - i0);
    const int64_t rows = len - i0 < 0 ? 0 : len - i0 < 16 ? len - i0 : 16;
    for (int64_t p0 = 0; p0 < kc; p0 += 16) {
      const int64_t pn = kc - p0 < 16 ? kc - p0 : 16;
      const __mmask16 pm = avx512::lanes(pn);
      __m512 r[16];
#pragma GCC unroll 16
      for (int l = 0; l < 16; ++l)
        r[l] =
            l < rows ? _mm512_maskz_loadu_ps(pm, src + (i0 + l) * lds + p0) : _mm512_setzero_ps();
      transpose16(r);
      float* d = dst + p0 * width + i0;
      if (pn == 16 && wm == 0xFFFF) {
#pragma GCC unroll 16
        for (int q = 0; q < 16; ++q) _mm512_storeu_ps(d + q * width, r[q]);
      } else {
        for (int q = 0; q < pn; ++q) _mm512_mask_storeu_ps(d + q * width, wm, r[q]);
      }
    }
  }
}

}  // namespace densenode
