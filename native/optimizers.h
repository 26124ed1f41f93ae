#pragma once
#include <cstdint>

namespace densenode {

// Updates over a whole parameter arena of count floats: params, grads and the
// state arrays (velocity, square, m, v) all have count elements. Element-wise,
// so split across the thread pool for large arenas with results independent of
// the thread count. weight_decay is decoupled (AdamW): the step is
// p -= lr * (update + weight_decay * p), p taken before the step; 0 turns it off.
//
// Gradient clipping: every update reads each gradient element as
//   g' = clamp(g, -clip_value, clip_value) * grad_scale
// (value clip first, then the global-norm factor: the order of legacy Keras, see
// lib/optimizers/optimizer.ts). clip_value 0 is no clamp, grad_scale (in [0, 1], the caller's
// min(1, clipNorm / ||g'||) from sum_of_squares) 1 is no scaling; with both defaults the update
// is bitwise the one without clipping. Clipping costs no pass of its own: g is read once anyway.
//
// l2 is the coupled L2 term (a kernel regularizer's gradient): every update reads g + l2 * p
// (p before the step) where it reads g, before clipping. 0 turns it off. It is bitwise the
// update after a separate pass g += l2 * p, one read and write of g fewer.
//
// Each update returns the index of the first updated parameter that is Inf or NaN, or -1: the
// scan of the new weights is folded into the update (a rescan finds the index only when one is).

// p -= lr * (g' + wd * p)
int64_t sgd_update(int64_t count, float* params, const float* grads, float lr, float weight_decay,
                   float l2, double grad_scale = 1.0, float clip_value = 0.0f);

// v = beta1 * v + (1 - beta1) * g';  p -= lr * (v + wd * p)
int64_t momentum_update(int64_t count, float* params, const float* grads, float* velocity, float lr,
                        float beta1, float weight_decay, float l2, double grad_scale = 1.0,
                        float clip_value = 0.0f);

// s = beta2 * s + (1 - beta2) * g'^2;  p -= lr * (g' / (sqrt(s) + epsilon) + wd * p)   (Keras form)
int64_t rmsprop_update(int64_t count, float* params, const float* grads, float* square, float lr,
                       float beta2, float epsilon, float weight_decay, float l2,
                       double grad_scale = 1.0, float clip_value = 0.0f);

// m = beta1 m + (1 - beta1) g';  v = beta2 v + (1 - beta2) g'^2;
// mhat = m / (1 - beta1^step);  vhat = v / (1 - beta2^step)   (step >= 1, the count of updates so
// far including this one; bias corrections computed in double)
// p -= lr * (mhat / (sqrt(vhat) + epsilon) + wd * p)   (the paper's form, as TF.js)
int64_t adam_update(int64_t count, float* params, const float* grads, float* m, float* v, float lr,
                    float beta1, float beta2, float epsilon, int64_t step, float weight_decay,
                    float l2, double grad_scale = 1.0, float clip_value = 0.0f);

// Σ clamp(x_i, -clip_value, clip_value)^2 over x: [count], in double (clip_value 0: no clamp):
// the squared global norm of the value-clipped gradients. Finite for any finite floats (at most
// 2^31 * FLT_MAX^2). Summed in fixed blocks and lanes, so the same bits for any thread count and
// ISA; lib/backend/js/optimizers.ts adds in the same order and gives the same bits too.
double sum_of_squares(int64_t count, const float* x, float clip_value = 0.0f);

}  // namespace densenode
