// Optimizer updates over a parameter arena. Every update is element-wise and
// memory-bound (Adam reads 4 arrays and writes 3), so the only concerns are
// streaming the arrays once, at the widest ISA (stream_kernels.h), and
// splitting big arenas over the pool in fixed-size chunks.
//
// BUILD NOTE: compile with -fno-math-errno (not an ISA flag). Without it GCC
// keeps an errno check around every sqrtf and will not vectorise the Adam and
// RMSprop loops (measured ~4x slower). Results are bitwise the same either way.
#include "optimizers.h"

#include <atomic>
#include <cfloat>
#include <cmath>

#include "cpu.h"
#include "elementwise.h"
#include "kernel_chunks.h"
#include "stream_kernels.h"

namespace densenode {
namespace {

// 16K floats = 64 KB per array per work item: big enough to amortise the
// pool's per-item atomic, small enough to balance 2 threads on 1M params.
constexpr int64_t kChunk = 16384;
// Below 64K elements (<= 1.75 MB of traffic, a few us) the pool's hand-off
// costs about as much as the second core would save a memory-bound update
// (SGD, momentum, the sum of squares): detail::kParallelLight. RMSprop and Adam
// are bound by their square root and divide instead (Adam: 26 us for 32K floats
// on Zen 3), so they spread from two chunks on.
constexpr int64_t kParallelMin = detail::kParallelLight;
constexpr int64_t kParallelMinComputeBound = 2 * kChunk;

// The sum of squares adds fixed blocks' partial sums in block order: at most kMaxBlocks of them
// (on the stack, no allocation), each at least kChunk long and a multiple of the 16 lanes.
constexpr int64_t kMaxBlocks = 64;

// How the updates read the gradients (stream_kernels.h). g * scale in float would lose the
// product's bits when scale is below FLT_MIN, which happens: finite float gradients can have a
// norm above FLT_MAX (it is summed in double), and clipNorm 1 then gives a scale near 1e-39. Such
// a scale is applied as two normal factors, scale * 2^64 and then 2^-64 (exact unless the result
// itself is subnormal); a normal scale is one multiply (the second factor is 1, exact).
stream::GradRead grad_read(double grad_scale, float clip_value) {
  stream::GradRead r{clip_value > 0.0f ? clip_value : INFINITY, 1.0f, 1.0f};
  if (grad_scale >= static_cast<double>(FLT_MIN)) {
    r.scale = static_cast<float>(grad_scale);
  } else {
    r.scale = static_cast<float>(grad_scale * 0x1p64);
    r.rescale = 0x1p-64f;
  }
  return r;
}

// Runs the update kernel over count elements in fixed chunks (on the pool for big arenas) and
// returns the first non-finite updated parameter, or -1. The kernels only flag a chunk; finding
// the index reads the arena again, which happens once, when training is about to stop.
template <class Update>
int64_t update_chunks(int64_t count, const float* params, int64_t parallel_min,
                      const Update& update) {
  std::atomic<bool> hit{false};
  detail::for_chunks(count, kChunk, parallel_min, [&](int64_t begin, int64_t end) {
    if (update(begin, end)) hit.store(true, std::memory_order_relaxed);
  });
  return hit.load(std::memory_order_relaxed) ? find_nonfinite(count, params) : -1;
}

// The block length for count elements: a function of count alone (never of the pool).
int64_t sum_of_squares_block(int64_t count) {
  const int64_t even = (count + kMaxBlocks - 1) / kMaxBlocks;
  const int64_t block = even < kChunk ? kChunk : even;
  return (block + 15) / 16 * 16;
}

}  // namespace

// x: [count]
double sum_of_squares(int64_t count, const float* x, float clip_value) {
  if (count <= 0) return 0.0;
  const float limit = clip_value > 0.0f ? clip_value : INFINITY;
  const int64_t block = sum_of_squares_block(count);
  double partial[kMaxBlocks] = {};
  const auto fn = isa_kernels().stream->sum_of_squares;
  detail::for_chunks(count, block, kParallelMin, [&](int64_t begin, int64_t end) {
    partial[begin / block] = fn(end - begin, x + begin, limit);
  });
  const int64_t blocks = (count + block - 1) / block;
  double total = 0.0;
  for (int64_t b = 0; b < blocks; ++b) total += partial[b];
  return total;
}

// params, grads: [count]
int64_t sgd_update(int64_t count, float* params, const float* grads, float lr, float weight_decay,
                   float l2, double grad_scale, float clip_value) {
  const auto fn = isa_kernels().stream->sgd;
  const stream::GradRead read = grad_read(grad_scale, clip_value);
  return update_chunks(count, params, kParallelMin, [=](int64_t begin, int64_t end) {
    return fn(end - begin, params + begin, grads + begin, lr, weight_decay, l2, read);
  });
}

// params, grads, velocity: [count]
int64_t momentum_update(int64_t count, float* params, const float* grads, float* velocity, float lr,
                        float beta1, float weight_decay, float l2, double grad_scale,
                        float clip_value) {
  const auto fn = isa_kernels().stream->momentum;
  const stream::GradRead read = grad_read(grad_scale, clip_value);
  return update_chunks(count, params, kParallelMin, [=](int64_t begin, int64_t end) {
    return fn(end - begin, params + begin, grads + begin, velocity + begin, lr, beta1, weight_decay,
              l2, read);
  });
}

// params, grads, square: [count]
int64_t rmsprop_update(int64_t count, float* params, const float* grads, float* square, float lr,
                       float beta2, float epsilon, float weight_decay, float l2, double grad_scale,
                       float clip_value) {
  const auto fn = isa_kernels().stream->rmsprop;
  const stream::GradRead read = grad_read(grad_scale, clip_value);
  return update_chunks(count, params, kParallelMinComputeBound, [=](int64_t begin, int64_t end) {
    return fn(end - begin, params + begin, grads + begin, square + begin, lr, beta2, epsilon,
              weight_decay, l2, read);
  });
}

// params, grads, m, v: [count]
int64_t adam_update(int64_t count, float* params, const float* grads, float* m, float* v, float lr,
                    float beta1, float beta2, float epsilon, int64_t step, float weight_decay,
                    float l2, double grad_scale, float clip_value) {
  // Bias corrections in double (beta2^step is close to 1 for small steps),
  // turned into float multipliers so the loop has one divide and one sqrt.
  const double s = static_cast<double>(step < 1 ? 1 : step);  // step >= 1 by contract; guard 1/0
  const float inv_bc1 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta1), s)));
  const float inv_bc2 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta2), s)));
  const auto fn = isa_kernels().stream->adam;
  const stream::GradRead read = grad_read(grad_scale, clip_value);
  return update_chunks(count, params, kParallelMinComputeBound, [=](int64_t begin, int64_t end) {
    return fn(end - begin, params + begin, grads + begin, m + begin, v + begin, lr, beta1, beta2,
              epsilon, inv_bc1, inv_bc2, weight_decay, l2, read);
  });
}

}  // namespace densenode
