// AVX2 narrow-n kernel (C panels of 16 rows x up to 6 columns per pass,
// vectorised along m) and the transposing pack; both rest on an 8x8 register
// transpose. Built with the kernel_avx2.cc flags: -mavx2 -mfma.
// Built on x86-64 only.
#include <immintrin.h>

#include "avx2_util.h"
#include "blocking.h"
#include "kernels.h"
#include "narrow_tables.h"

namespace densenode {

namespace {

constexpr int NMR = kNarrowAvx2.mr;
static_assert(NMR == 16, "a narrow panel column is two ymm");
constexpr int kMaxCols = 6;  // 2 x 6 accumulators + 2 A + 1 broadcast <= 16 ymm

// In place: lane j of r[i] becomes lane i of r[j].
inline void transpose8(__m256 r[8]) {
  __m256 t[8], s[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // s[4h+c], 128-bit half L: column 4L+c of rows 4h..4h+3.
#pragma GCC unroll 2
  for (int h = 0; h < 2; ++h) {
    s[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
    s[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
    s[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
    s[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x31);
  }
}

// (8*NV) rows x N columns: acc[j][v] holds C rows 8v..8v+7 of column j.
struct Narrow {  // the tile as T::run<NV, N> for narrow::table
  template <int NV, int N>
  static void run(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                  float* c, int64_t ldc, const Epilogue& ep) {
    __m256 acc[N][NV];
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[j][v] = _mm256_setzero_ps();

#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; ++p) {
      __m256 av[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) av[v] = _mm256_loadu_ps(a + 8 * v);
#pragma GCC unroll 8
      for (int j = 0; j < N; ++j) {
        const __m256 bj = _mm256_broadcast_ss(b + j);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[j][v] = _mm256_fmadd_ps(av[v], bj, acc[j][v]);
      }
      a += a_cs;
      b += b_rs;
    }

    // Rows of C from a transpose; one masked load/store per row touches C once.
    const __m256i cm = avx2::lanes(N);
    const Epilogue e = ep;  // a local copy: a store to C could alias *ep
    const __m256 valpha = _mm256_set1_ps(e.alpha), vbeta = _mm256_set1_ps(e.beta);
    const __m256 bias = e.bias ? _mm256_maskload_ps(e.bias, cm) : _mm256_setzero_ps();
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      __m256 r[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) r[j] = j < N ? acc[j < N ? j : 0][v] : _mm256_setzero_ps();
      transpose8(r);
      const int rows = mr - 8 * v < 8 ? mr - 8 * v : 8;
      float* cv = c + 8 * v * ldc;
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) {
        if (i >= rows) break;
        float* ci = cv + i * ldc;
        __m256 x = _mm256_mul_ps(r[i], valpha);
        if (e.beta != 0.0f) x = _mm256_fmadd_ps(_mm256_maskload_ps(ci, cm), vbeta, x);
        if (e.bias) x = _mm256_add_ps(x, bias);
        if (e.relu) x = avx2::relu(x);
        _mm256_maskstore_ps(ci, cm, x);
      }
    }
  }
};
constexpr auto kOne = narrow::table<Narrow, 1, kMaxCols>();
constexpr auto kTwo = narrow::table<Narrow, 2, kMaxCols>();

}  // namespace

// nr columns in ceil(nr/6) near-equal passes over the panel.
void narrow_avx2(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                 int nr, float* c, int64_t ldc, const Epilogue& ep) {
  narrow::passes(mr <= 8 ? kOne : kTwo, kc, a, a_cs, b, b_rs, mr, nr, c, ldc, ep);
}

namespace {

// G groups of 8 rows (rows <= 8*G of them real) of the one-column product:
// each group's 8 rows share a vector, and a register transpose turns their
// next 8 floats into 8 k steps, so each row sees the narrow kernel's
// arithmetic (one fma per k step from zero, then the same epilogue) with A
// read in place. The G accumulators are independent chains (one alone waits
// on the fma latency). Lanes past `rows` repeat the last row, never stored.
struct GemvStrip {  // as narrow::gemv_strips takes it: run<G>
  template <int G>
  static void run(int64_t kc, const float* a, int64_t lda, const float* b, int64_t b_rs, int rows,
                  float* c, int64_t ldc, const Epilogue& e) {
    const float* ar[G][8];
    narrow::strip_rows(a, lda, rows, ar);
    __m256 acc[G];
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) acc[g] = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        __m256 r[8];
#pragma GCC unroll 8
        for (int q = 0; q < 8; ++q) r[q] = _mm256_loadu_ps(ar[g][q] + p);
        transpose8(r);
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j)
          acc[g] = _mm256_fmadd_ps(r[j], _mm256_broadcast_ss(b + (p + j) * b_rs), acc[g]);
      }
    }
    for (; p < kc; ++p) {
      const __m256 bp = _mm256_broadcast_ss(b + p * b_rs);
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        const float* const* q = ar[g];
        const __m256 col =
            _mm256_setr_ps(q[0][p], q[1][p], q[2][p], q[3][p], q[4][p], q[5][p], q[6][p], q[7][p]);
        acc[g] = _mm256_fmadd_ps(col, bp, acc[g]);
      }
    }
    const __m256 valpha = _mm256_set1_ps(e.alpha), vbeta = _mm256_set1_ps(e.beta);
    const __m256 bias = e.bias ? _mm256_set1_ps(*e.bias) : _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      const int n = rows - 8 * g < 8 ? rows - 8 * g : 8;
      float* cg = c + 8 * g * ldc;
      const bool dense = ldc == 1 && n == 8;
      alignas(32) float buf[8] = {};
      __m256 x = _mm256_mul_ps(acc[g], valpha);
      if (e.beta != 0.0f) {
        if (!dense)
          for (int q = 0; q < n; ++q) buf[q] = cg[q * ldc];
        x = _mm256_fmadd_ps(dense ? _mm256_loadu_ps(cg) : _mm256_load_ps(buf), vbeta, x);
      }
      if (e.bias) x = _mm256_add_ps(x, bias);
      if (e.relu) x = avx2::relu(x);
      if (dense) {
        _mm256_storeu_ps(cg, x);
      } else {
        _mm256_store_ps(buf, x);
        for (int q = 0; q < n; ++q) cg[q * ldc] = buf[q];
      }
    }
  }
};

}  // namespace

// Rows [0, m) of the one-column product in strips of 16 rows: two chains (four,
// with 32 row pointers and streams, took 39 us on 256 x 1 x 512). Against the narrow
// path, which packs A first: 256 x 1 x 512 36 -> 23 us, 128 x 1 x 128 4.7 ->
// 2.1 us (docs/decisions.md).
void gemv_avx2(int64_t kc, const float* a, int64_t lda, const float* b, int64_t b_rs, int64_t m,
               float* c, int64_t ldc, const Epilogue& ep) {
  narrow::gemv_strips<8, 2, GemvStrip>(kc, a, lda, b, b_rs, m, c, ldc, ep);
}

namespace {
// The first w (1..8) lanes of x to d, in at most three plain stores: a masked store instead
// (the 6-wide A sliver of the main tile) is microcoded on Zen.
inline void store_first(float* d, __m256 x, int w) {
  if (w == 8) return _mm256_storeu_ps(d, x);
  __m128 part = _mm256_castps256_ps128(x);
  if (w >= 4) {
    _mm_storeu_ps(d, part);
    part = _mm256_extractf128_ps(x, 1);
    d += 4;
    w -= 4;
  }
  if (w >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(d), part);
    part = _mm_movehl_ps(part, part);
    d += 2;
    w -= 2;
  }
  if (w == 1) _mm_store_ss(d, part);
}
}  // namespace

// 8 x 8 blocks by register transpose, any width: a last block of fewer than 8 columns (MR 6)
// stores only its own; the kc tail is copied one float at a time. The scalar pack it replaced
// for A's 6-row slivers took 2 % of a 1024^3 product's time (Zen 5, AVX2 tile).
void gather_cols_avx2(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                      float* dst) {
  for (int i0 = 0; i0 < width; i0 += 8) {
    const int w = width - i0 < 8 ? width - i0 : 8;
    const int64_t rows = len - i0 < 0 ? 0 : len - i0 < w ? len - i0 : w;
    int64_t p0 = 0;
    for (; p0 + 8 <= kc; p0 += 8) {
      __m256 r[8];
#pragma GCC unroll 8
      for (int l = 0; l < 8; ++l)
        r[l] = l < rows ? _mm256_loadu_ps(src + (i0 + l) * lds + p0) : _mm256_setzero_ps();
      transpose8(r);
      float* d = dst + p0 * width + i0;
      if (w == 8) {
#pragma GCC unroll 8
        for (int q = 0; q < 8; ++q) _mm256_storeu_ps(d + q * width, r[q]);
      } else {
        for (int q = 0; q < 8; ++q) store_first(d + q * width, r[q], w);
      }
    }
    for (; p0 < kc; ++p0)
      for (int l = 0; l < w; ++l)
        dst[p0 * width + i0 + l] = l < rows ? src[(i0 + l) * lds + p0] : 0.0f;
  }
}

}  // namespace densenode
