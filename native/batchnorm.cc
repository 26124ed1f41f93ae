// Batch normalisation entry points: argument checks and the split of the
// features into blocks (pool work items). The loops
// themselves are in batchnorm_impl.h, compiled here for the baseline ISA and
// again in batchnorm_avx2.cc / batchnorm_avx512.cc with wider vectors, chosen
// in native/cpu.cc; every copy gives bitwise identical results (see
// batchnorm_impl.h).
#include "batchnorm.h"

#include "batchnorm_kernels.h"
#include "cpu.h"
#include "kernel_chunks.h"

#define BN_NS portable
#include "batchnorm_impl.h"

namespace densenode {
namespace bn {
namespace {

// Spread over the pool from 64K elements (256 KB of x) at inference: below
// that a kernel takes a few us, comparable to waking a sleeping second thread.
// In training they run between a step's GEMMs, whose worker is still spinning
// (a hand-off of ~1 us): the backward spreads from 16K, the forward from 32K
// (Fashion-MNIST 784-256-128-10 on 2 Zen 3 threads, median calls against one
// thread: backward 128x256 11.1 -> 7.7 ms an epoch, 128x128 5.3 -> 4.0;
// forward 128x256 6.9 -> 6.4, but 128x128 3.8 -> 5.8).
constexpr int64_t kParallelMin = 65536;
constexpr int64_t kParallelMinForward = 32768;
constexpr int64_t kParallelMinBackward = 16384;

// Runs body(f0, f1) over the feature blocks, on the pool for inputs of at
// least parallel_min elements. Block width, clamped to [64, kMaxBlock]: on the
// pool, half the features rounded up to 16 (so layers of 128..1024 units still
// give two work items); on this thread, all of them, so that each row is
// walked once, whole (at 128 x 256 on Zen 3: forward 21.6 -> 18.3 us, backward
// 31.2 -> 21.8 us against two blocks). It depends on the shape only, never on
// the thread count (and results do not depend on it at all: each feature is
// computed the same way in any block).
template <class Body>
void for_feature_blocks(int64_t batch, int64_t features, int64_t parallel_min, const Body& body) {
  const bool spread = batch * features >= parallel_min;
  int64_t block = spread ? ((features + 1) / 2 + 15) / 16 * 16 : (features + 15) / 16 * 16;
  block = block < 64 ? 64 : (block > kMaxBlock ? kMaxBlock : block);
  detail::for_chunks(features, block, spread ? 0 : features + 1, body);
}

}  // namespace

}  // namespace bn

void batchnorm_forward_train(int64_t batch, int64_t features, const float* x, const float* gamma,
                             const float* beta, float epsilon, float momentum, float* running_mean,
                             float* running_var, float* saved_mean, float* saved_inv_std, float* y,
                             bool relu, const uint8_t* mask, float keep) {
  if (batch <= 0 || features <= 0) return;
  const bn::ForwardArgs args{
      batch,      features,      x, gamma, beta, epsilon,    momentum, running_mean, running_var,
      saved_mean, saved_inv_std, y, relu,  mask, 1.0f / keep};
  const auto fn = isa_kernels().batchnorm->forward_train;
  bn::for_feature_blocks(batch, features, bn::kParallelMinForward,
                         [&](int64_t f0, int64_t f1) { fn(args, f0, f1); });
}

void batchnorm_forward_infer(int64_t batch, int64_t features, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float epsilon, float* y, bool relu) {
  if (batch <= 0 || features <= 0) return;
  const bn::InferArgs args{batch,        features,    x,       gamma, beta,
                           running_mean, running_var, epsilon, y,     relu};
  const auto fn = isa_kernels().batchnorm->forward_infer;
  bn::for_feature_blocks(batch, features, bn::kParallelMin,
                         [&](int64_t f0, int64_t f1) { fn(args, f0, f1); });
}

void batchnorm_backward(int64_t batch, int64_t features, const float* x, const float* y,
                        const float* dy, const float* gamma, const float* saved_mean,
                        const float* saved_inv_std, float* dx, float* dgamma, float* dbeta,
                        float dy_scale) {
  if (batch <= 0 || features <= 0) return;
  const bn::BackwardArgs args{batch,      features,      x,  y,      dy,    gamma,
                              saved_mean, saved_inv_std, dx, dgamma, dbeta, dy_scale};
  const auto fn = isa_kernels().batchnorm->backward;
  bn::for_feature_blocks(batch, features, bn::kParallelMinBackward,
                         [&](int64_t f0, int64_t f1) { fn(args, f0, f1); });
}

}  // namespace densenode
