#pragma once
// Internal interface between the batch-norm entry points (batchnorm.cc, which
// splits the features into blocks) and the per-ISA kernels
// (batchnorm_impl.h, compiled once per ISA). Each kernel handles the feature
// columns [f0, f1) of one call; its results never depend on the block bounds,
// on the ISA or on the thread that runs it.
#include <cstdint>

namespace densenode {
namespace bn {

// Widest feature block a kernel call may get (sizes its per-feature arrays).
constexpr int64_t kMaxBlock = 512;

struct ForwardArgs {
  int64_t batch, features;
  const float *x, *gamma, *beta;
  float epsilon, momentum;
  float *running_mean, *running_var, *saved_mean, *saved_inv_std, *y;
  bool relu;
  const uint8_t *mask;  // fused dropout after the ReLU, or nullptr
  float inv_keep;
};

struct InferArgs {
  int64_t batch, features;
  const float *x, *gamma, *beta, *running_mean, *running_var;
  float epsilon;
  float *y;
  bool relu;
};

struct BackwardArgs {
  int64_t batch, features;
  const float *x, *y, *dy, *gamma, *saved_mean, *saved_inv_std;
  float *dx, *dgamma, *dbeta;
  float dy_scale;
};

struct Kernels {
  void (*forward_train)(const ForwardArgs &, int64_t f0, int64_t f1);
  void (*forward_infer)(const InferArgs &, int64_t f0, int64_t f1);
  void (*backward)(const BackwardArgs &, int64_t f0, int64_t f1);
};

// One table per ISA, each from its own copy of batchnorm_impl.h (built in
// batchnorm.cc, batchnorm_avx2.cc and batchnorm_avx512.cc, the last two on
// x86-64 only); the one that runs is isa_kernels().batchnorm (cpu.h).
namespace portable {
extern const Kernels kKernels;
}
namespace avx2 {
extern const Kernels kKernels;
}
namespace avx512 {
extern const Kernels kKernels;
}

}  // namespace bn
}  // namespace densenode
