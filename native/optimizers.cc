// Optimizer updates over a parameter arena. Every update is element-wise and
// memory-bound (Adam reads 4 arrays and writes 3), so the only concerns are
// streaming the arrays once, at the widest ISA (stream_kernels.h), and
// splitting big arenas over the pool in fixed-size chunks.
//
// BUILD NOTE: compile with -fno-math-errno (not an ISA flag). Without it GCC
// keeps an errno check around every sqrtf and will not vectorise the Adam and
// RMSprop loops (measured ~4x slower). Results are bitwise the same either way.
#include "optimizers.h"

#include <cmath>

#include "cpu.h"
#include "kernel_chunks.h"
#include "stream_kernels.h"

namespace densenode {
namespace {

// 16K floats = 64 KB per array per work item: big enough to amortise the
// pool's per-item atomic, small enough to balance 2 threads on 1M params.
constexpr int64_t kChunk = 16384;
// Below 64K elements (<= 1.75 MB of traffic for Adam, a few us) the pool's
// hand-off costs about as much as the second core would save.
constexpr int64_t kParallelMin = 65536;

}  // namespace

// params, grads: [count]
void sgd_update(int64_t count, float* params, const float* grads, float lr, float weight_decay) {
  const auto fn = isa_kernels().stream->sgd;
  detail::for_chunks(count, kChunk, kParallelMin, [=](int64_t begin, int64_t end) {
    fn(end - begin, params + begin, grads + begin, lr, weight_decay);
  });
}

// params, grads, velocity: [count]
void momentum_update(int64_t count, float* params, const float* grads, float* velocity, float lr,
                     float beta1, float weight_decay) {
  const auto fn = isa_kernels().stream->momentum;
  detail::for_chunks(count, kChunk, kParallelMin, [=](int64_t begin, int64_t end) {
    fn(end - begin, params + begin, grads + begin, velocity + begin, lr, beta1, weight_decay);
  });
}

// params, grads, square: [count]
void rmsprop_update(int64_t count, float* params, const float* grads, float* square, float lr,
                    float beta2, float epsilon, float weight_decay) {
  const auto fn = isa_kernels().stream->rmsprop;
  detail::for_chunks(count, kChunk, kParallelMin, [=](int64_t begin, int64_t end) {
    fn(end - begin, params + begin, grads + begin, square + begin, lr, beta2, epsilon,
       weight_decay);
  });
}

// params, grads, m, v: [count]
void adam_update(int64_t count, float* params, const float* grads, float* m, float* v, float lr,
                 float beta1, float beta2, float epsilon, int64_t step, float weight_decay) {
  // Bias corrections in double (beta2^step is close to 1 for small steps),
  // turned into float multipliers so the loop has one divide and one sqrt.
  const double s = static_cast<double>(step < 1 ? 1 : step);  // step >= 1 by contract; guard 1/0
  const float inv_bc1 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta1), s)));
  const float inv_bc2 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta2), s)));
  const auto fn = isa_kernels().stream->adam;
  detail::for_chunks(count, kChunk, kParallelMin, [=](int64_t begin, int64_t end) {
    fn(end - begin, params + begin, grads + begin, m + begin, v + begin, lr, beta1, beta2, epsilon,
       inv_bc1, inv_bc2, weight_decay);
  });
}

}  // namespace densenode
