#include "pack.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels.h"

namespace densenode {

namespace {

// A whole-width sliver row by row with the width known at compile time: the
// compiler then moves each row in a few full-width loads and stores instead of
// a loop with a run-time trip count (a 784 x 256 B packed in 16-wide slivers
// from L3: 122 -> ~60 us, an eighth of the 128-row forward product it feeds).
template <int W>
void copy_fixed(const float* src, int64_t lds, int64_t rows, float* dst) {
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * W, src + r * lds, W * sizeof(float));
}

// Copies `rows` strided rows of `len` floats into a dense block with row
// stride `width`, zero-filling columns [len, width). Used where the source
// runs along the packed sliver's inner dimension (the contiguous cases).
inline void copy_rows(const float* src, int64_t lds, int64_t rows, int64_t len, int width,
                      float* dst) {
  if (len == width) {  // every sliver but a ragged last one, at the tile widths in use
    switch (width) {
      case 6: return copy_fixed<6>(src, lds, rows, dst);
      case 8: return copy_fixed<8>(src, lds, rows, dst);
      case 12: return copy_fixed<12>(src, lds, rows, dst);
      case 14: return copy_fixed<14>(src, lds, rows, dst);
      case 16: return copy_fixed<16>(src, lds, rows, dst);
      case 32: return copy_fixed<32>(src, lds, rows, dst);
      default: break;
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * lds;
    float* d = dst + r * width;
    for (int64_t j = 0; j < len; ++j) d[j] = s[j];
    for (int64_t j = len; j < width; ++j) d[j] = 0.0f;
  }
}

// The register-transposing versions where the ISA has one.
inline void gather(const GemmKernels& K, const float* src, int64_t lds, int64_t kc, int64_t len,
                   int width, float* dst) {
  if (width % K.gather_width == 0)
    K.gather(src, lds, kc, len, width, dst);
  else
    gather_cols_portable(src, lds, kc, len, width, dst);
}

}  // namespace

// dst[p*width + i] = src[i*lds + p] for i < len, p < kc; zero for i >= len.
// The transposing case: walk a few source rows in parallel, each sequentially.
void gather_cols_portable(const float* src, int64_t lds, int64_t kc, int64_t len, int width,
                          float* dst) {
  if (len < width) {
    for (int64_t p = 0; p < kc; ++p)
      std::memset(dst + p * width + len, 0, (width - len) * sizeof(float));
  }
  // 4 source rows at a time keeps 4 read streams and writes 4 floats per line.
  int64_t i = 0;
  for (; i + 4 <= len; i += 4) {
    const float* s0 = src + i * lds;
    const float* s1 = s0 + lds;
    const float* s2 = s1 + lds;
    const float* s3 = s2 + lds;
    float* d = dst + i;
    for (int64_t p = 0; p < kc; ++p) {
      d[p * width + 0] = s0[p];
      d[p * width + 1] = s1[p];
      d[p * width + 2] = s2[p];
      d[p * width + 3] = s3[p];
    }
  }
  for (; i < len; ++i) {
    const float* s = src + i * lds;
    for (int64_t p = 0; p < kc; ++p) dst[p * width + i] = s[p];
  }
}

// A block at A (mc x kc of op(A)) -> mr-row slivers, k-major.
void pack_a(const GemmKernels& K, bool transA, const float* A, int64_t lda, int64_t mc, int64_t kc,
            int mr, float* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += mr) {
    const int64_t len = mc - i0 < mr ? mc - i0 : mr;
    float* d = dst + i0 * kc;  // sliver s starts at s*mr*kc
    if (transA)
      copy_rows(A + i0, lda, kc, len, mr, d);  // row p of storage is column p of op(A)
    else
      gather(K, A + i0 * lda, lda, kc, len, mr, d);
  }
}

// B panel at B (kc x nc of op(B)) -> nr-column slivers, k-major.
void pack_b(const GemmKernels& K, bool transB, const float* B, int64_t ldb, int64_t kc, int64_t nc,
            int nr, float* dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += nr) {
    const int64_t len = nc - j0 < nr ? nc - j0 : nr;
    float* d = dst + j0 * kc;
    if (transB)
      gather(K, B + j0 * ldb, ldb, kc, len, nr, d);
    else
      copy_rows(B + j0, ldb, kc, len, nr, d);
  }
}

namespace {
struct Scratch {
  void* raw[3] = {nullptr, nullptr, nullptr};   // malloc'd, freed at thread exit
  float* ptr[3] = {nullptr, nullptr, nullptr};  // raw rounded up to 64 bytes
  size_t cap[3] = {0, 0, 0};
  ~Scratch() {
    for (void* p : raw) std::free(p);
  }
};
}  // namespace

float* pack_buffer(int slot, size_t floats) {
  thread_local Scratch s;
  if (floats > s.cap[slot]) {
    // malloc + manual 64-byte alignment (std::aligned_alloc is missing on MSVC).
    void* p = std::malloc(floats * sizeof(float) + 64);
    if (!p) throw std::bad_alloc();
    std::free(s.raw[slot]);
    s.raw[slot] = p;
    s.ptr[slot] = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t(63));
    s.cap[slot] = floats;
  }
  return s.ptr[slot];
}

}  // namespace densenode
