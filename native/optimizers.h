#pragma once
#include <cstdint>

namespace densenode {

// Updates over a whole parameter arena of count floats: params, grads and the
// state arrays (velocity, square, m, v) all have count elements. Element-wise,
// so split across the thread pool for large arenas with results independent of
// the thread count. weight_decay is decoupled (AdamW): the step is
// p -= lr * (update + weight_decay * p), p taken before the step; 0 turns it off.

// p -= lr * (g + wd * p)
void sgd_update(int64_t count, float* params, const float* grads, float lr, float weight_decay);

// v = beta1 * v + (1 - beta1) * g;  p -= lr * (v + wd * p)
void momentum_update(int64_t count, float* params, const float* grads, float* velocity, float lr,
                     float beta1, float weight_decay);

// s = beta2 * s + (1 - beta2) * g^2;  p -= lr * (g / (sqrt(s) + epsilon) + wd * p)   (Keras form)
void rmsprop_update(int64_t count, float* params, const float* grads, float* square, float lr,
                    float beta2, float epsilon, float weight_decay);

// m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
// mhat = m / (1 - beta1^step);  vhat = v / (1 - beta2^step)   (step >= 1, the count of updates so
// far
//                                                              including this one; bias corrections
//                                                              computed in double)
// p -= lr * (mhat / (sqrt(vhat) + epsilon) + wd * p)   (the paper's form, as TF.js)
void adam_update(int64_t count, float* params, const float* grads, float* m, float* v, float lr,
                 float beta1, float beta2, float epsilon, int64_t step, float weight_decay);

}  // namespace densenode
