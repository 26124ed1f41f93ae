#pragma once
#include <cstdint>

#include "blocking.h"

namespace densenode {

// What the micro-kernel does with its MR x NR accumulator after the K loop:
//   c = alpha * acc + beta * c   (beta == 0: c is not read)
//   then, if bias: c += bias[j]; if relu: c = max(c, 0).
// bias/relu are set only on the last KC block of a gemm.
struct Epilogue {
  float alpha;
  float beta;
  const float* bias;  // nullptr or NR floats for this tile's columns
  bool relu;
};

// Where the kernel reads op(A)(i, p) = a[i*rs + p*cs] for its MR rows:
//   packed sliver: rs = 1, cs = MR;  transposed A in place: rs = 1, cs = lda;
//   row-major A in place: rs = lda, cs = 1.
struct ALayout {
  int64_t rs, cs;
};

// acc[i][j] = sum_p op(A)(i, p) * b[p*b_step + j], i < MR, j < NR, p < kc.
// b_step is NR for packed B (or ldb when reading B in place). c: MR x NR, ldc.
// All MR x NR values of a and b must be readable (edges are padded by caller).
using MicroKernel = void (*)(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                             float* c, int64_t ldc, const Epilogue& ep);

// Each in its own TU with its own flags. The x86 ones are built on x86-64 only,
// the neon ones on arm64 only (CMakeLists.txt), and only native/cpu.cc refers
// to them.
void kernel_avx512(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                   int64_t ldc, const Epilogue& ep);
void kernel_avx2(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep);
// 14 x 16 variant of the avx512 kernel for edge slivers with nr <= 16: the
// same per-element arithmetic, half the wasted lanes.
void kernel_avx512_n16(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                       float* c, int64_t ldc, const Epilogue& ep);
// 6 x 8 variant of the avx2 kernel, the same way.
void kernel_avx2_n8(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                    float* c, int64_t ldc, const Epilogue& ep);
void kernel_neon(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                 int64_t ldc, const Epilogue& ep);
void kernel_portable(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                     float* c, int64_t ldc, const Epilogue& ep);
// Exact mr x nr edge tile (mr <= MR, nr <= NR) written straight into C: reads
// only mr rows of A (B padded to NR as usual), touches only the tile.
using EdgeKernel = void (*)(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                            float* c, int64_t ldc, const Epilogue& ep, int mr, int nr);
void kernel_avx512_edge(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                        float* c, int64_t ldc, const Epilogue& ep, int mr, int nr);
void kernel_avx2_edge(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                      float* c, int64_t ldc, const Epilogue& ep, int mr, int nr);
void kernel_neon_edge(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                      float* c, int64_t ldc, const Epilogue& ep, int mr, int nr);

// Narrow-n kernel (n <= 16, e.g. an output layer): vectorised along m, so
// no lane is wasted on a few columns. Computes rows [0, mr) x columns [0, nr)
// of C (row-major, ldc), mr <= the ISA's narrow panel height, nr <= 16:
//   op(A)(i, p) = a[p*a_cs + i] (contiguous along i: transposed A in place or
//   a packed k-major panel; rows >= mr are never read), op(B)(p, j) =
//   b[p*b_rs + j]. Epilogue as above; bias holds nr floats. Never touches C
//   outside the mr x nr tile.
using NarrowKernel = void (*)(int64_t kc, const float* a, int64_t a_cs, const float* b,
                              int64_t b_rs, int mr, int nr, float* c, int64_t ldc,
                              const Epilogue& ep);
void narrow_avx512(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                   int nr, float* c, int64_t ldc, const Epilogue& ep);
void narrow_avx2(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                 int nr, float* c, int64_t ldc, const Epilogue& ep);
void narrow_neon(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                 int nr, float* c, int64_t ldc, const Epilogue& ep);
void narrow_portable(int64_t kc, const float* a, int64_t a_cs, const float* b, int64_t b_rs, int mr,
                     int nr, float* c, int64_t ldc, const Epilogue& ep);

// One-column kernel (n == 1, A row-major in place: the output layer of a
// binary classifier or a regression): rows [0, m) of c[i*ldc] over one K
// block, op(A)(i, p) = a[i*lda + p], op(B)(p, 0) = b[p*b_rs]; per element the
// narrow kernel's arithmetic, so either path gives the same bits. The AVX2
// copy serves the AVX-512 row too; the portable row has none (nullptr: the
// narrow path packs A).
using GemvKernel = void (*)(int64_t kc, const float* a, int64_t lda, const float* b, int64_t b_rs,
                            int64_t m, float* c, int64_t ldc, const Epilogue& ep);
void gemv_avx2(int64_t kc, const float* a, int64_t lda, const float* b, int64_t b_rs, int64_t m,
               float* c, int64_t ldc, const Epilogue& ep);
void gemv_neon(int64_t kc, const float* a, int64_t lda, const float* b, int64_t b_rs, int64_t m,
               float* c, int64_t ldc, const Epilogue& ep);

// Small-m kernel (m <= kSmallM rows of C, B not transposed; a prediction on
// a few rows): rows [0, m) x columns [0, nr) of C, nr <= the ISA's
// small_width, op(A)(i, p) = a[i*a_rs + p*a_cs], B read in place:
// op(B)(p, j) = b[p*ldb + j], only columns < nr read. Epilogue as above (bias:
// nr floats). See small_m_impl.h.
constexpr int kSmallM = 4;
using SmallMKernel = void (*)(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m,
                              const float* b, int64_t ldb, int nr, float* c, int64_t ldc,
                              const Epilogue& ep);
void small_m_avx512(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                    int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep);
void small_m_avx2(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                  int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep);
void small_m_neon(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                  int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep);
void small_m_portable(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, int m, const float* b,
                      int64_t ldb, int nr, float* c, int64_t ldc, const Epilogue& ep);

// Transposing pack: dst[p*width + i] = src[i*lds + p] for i < len, p < kc,
// and 0 for len <= i < width. The ISA versions transpose whole register
// blocks instead of moving one float at a time (B of NT, A of NN).
using GatherCols = void (*)(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                            float* dst);
void gather_cols_avx512(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                        float* dst);
void gather_cols_avx2(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                      float* dst);
void gather_cols_neon(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                      float* dst);
void gather_cols_portable(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                          float* dst);

// One ISA's GEMM pieces, a row of the kernel table in native/cpu.h.
struct GemmKernels {
  MicroKernel fn;
  MicroKernel half;  // same MR, NR/2 columns (for narrow edges), or nullptr
  EdgeKernel edge;   // exact mr x nr edge tiles, or nullptr (staging buffer)
  Blocking bk;
  NarrowKernel narrow;
  NarrowBlocking narrow_bk;
  GatherCols gather;
  // gather takes only widths that are a multiple of this; the others go
  // through gather_cols_portable.
  int gather_width;
  SmallMKernel small;  // every ISA has one
  int small_width;     // columns per small-kernel call
  GemvKernel gemv;     // or nullptr
};

}  // namespace densenode
