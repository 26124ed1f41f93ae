#pragma once
// Internal interface between the element-wise entry points (optimizers.cc,
// elementwise.cc: argument handling, chunking over the pool) and their inner
// loops (stream_kernels_impl.h), compiled once per ISA. The baseline x86-64
// build has no 32-bit vector multiply and 4-lane sqrt/div, which left Adam
// compute-bound at 42 GB/s and the dropout hash at 1.3 ns/element; the
// AVX-512 copies run at 120 GB/s and 0.16 ns (docs/decisions.md). Every copy
// gives bitwise identical results: the integer hash is exact, and the float
// loops are the same IEEE operations in the same order (-ffp-contract=off).
#include <cstdint>

namespace densenode {
namespace stream {

// How a fused update reads each gradient element (gradient clipping):
//   g' = (clamp(g, -limit, limit) * scale) * rescale
// scale * rescale is the global-norm factor, split in two so that a factor below FLT_MIN keeps its
// bits (optimizers.cc). limit = +inf and scale = rescale = 1 is no clipping, and then the update
// runs the loop without the read, so its results are bitwise those of an update that never clips.
struct GradRead {
  float limit;
  float scale;
  float rescale;
};

struct Kernels {
  // The optimizer updates of optimizers.h over n elements; true when an updated parameter is Inf
  // or NaN.
  bool (*sgd)(int64_t n, float* p, const float* g, float lr, float wd, float l2, GradRead r);
  bool (*momentum)(int64_t n, float* p, const float* g, float* v, float lr, float beta1, float wd,
                   float l2, GradRead r);
  bool (*rmsprop)(int64_t n, float* p, const float* g, float* s, float lr, float beta2,
                  float epsilon, float wd, float l2, GradRead r);
  bool (*adam)(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1,
               float beta2, float epsilon, float inv_bc1, float inv_bc2, float wd, float l2,
               GradRead r);
  // Σ clamp(x[i], -limit, limit)^2 in double over 16 lanes (lane i % 16), the lanes then summed
  // pairwise (8 + 8, 4 + 4, ...): one fixed order, the same bits on every ISA.
  double (*sum_of_squares)(int64_t n, const float* x, float limit);
  // out[i] = mix32(mix32((base + i) ^ k0) ^ k) < threshold, i < n.
  void (*hashed_mask)(uint8_t* out, uint32_t base, uint32_t n, uint32_t k0, uint32_t k,
                      uint32_t threshold);
  // y[i] = x[i] * mask[i] * inv_keep
  void (*dropout_apply)(int64_t n, const float* x, const uint8_t* mask, float inv_keep, float* y);
  // y[i] += a * x[i]
  void (*axpy)(int64_t n, float a, const float* x, float* y);
  // Whether any of x[0..n) is Inf or NaN.
  bool (*any_nonfinite)(int64_t n, const float* x);
};

// One table per ISA, each from its own copy of stream_kernels_impl.h; the
// one that runs is isa_kernels().stream (cpu.h). The x86 ones exist on x86-64
// only.
namespace portable {
extern const Kernels kKernels;
}
namespace avx2 {
extern const Kernels kKernels;
}
namespace avx512 {
extern const Kernels kKernels;
}

}  // namespace stream
}  // namespace densenode
