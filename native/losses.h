#pragma once
// Losses from logits (or, for the regression losses, from the outputs) z:
// [rows, cols] contiguous, against targets of the same shape (or one label a
// row). Each returns the SUM over rows of row_weight * (the row's loss: the sum
// of its per-element losses, or the row's CE), accumulated in double over
// each chunk of kLossRows rows in row order, then over the chunks in order
// (the chunks may run on the pool's threads; the order never changes); the
// caller divides for a mean. probs (nullable) receives the output activation;
// dz (nullable) receives scale * row_weight * dLoss/dz. dz may alias z.
//
// row_weights: [rows] or null (every row 1), each finite and >= 0 (the binding
// checked them). The weight is folded into the row's gradient scale and its
// loss, so null costs no extra pass; with null, the gradients are bitwise
// those of the unweighted loss. The caller's scale is unchanged by weights:
// Keras's default reduction divides the weighted sum by the batch size, not by
// the sum of the weights.
//
// Stable for |z| up to and beyond 100: no log(0), no exp overflow.
#include <cstdint>

namespace densenode {

// Rows a chunk of a loss's sum: a 128-row batch is two, which the pool's two threads share while
// its workers spin inside fit (a Fashion-MNIST step's 128x10 softmax loss: 5.9 -> 3.8 us on two
// Zen 5 threads).
constexpr int64_t kLossRows = 64;

//   sigmoid + BCE: loss = Σ max(z,0) - z*y + log1p(exp(-|z|));   dz = scale * (sigmoid(z) - y)
double loss_sigmoid_bce(int64_t rows, int64_t cols, const float* z, const float* y, float scale,
                        float* probs, float* dz, const float* row_weights);
//   softmax + CE, integer labels in [0, cols) (the caller validated them):
//   loss = Σ_i (logsumexp(z_i) - z_i,label_i);   dz = scale * (softmax(z) - onehot)
double loss_softmax_ce_labels(int64_t rows, int64_t cols, const float* z, const int32_t* labels,
                              float scale, float* probs, float* dz, const float* row_weights);
//   softmax + CE, dense targets y (one-hot or probabilities):
//   loss = Σ_i Σ_j y_ij (logsumexp(z_i) - z_ij);   dz = scale * (softmax(z) * Σ_j y_ij - y)
double loss_softmax_ce_dense(int64_t rows, int64_t cols, const float* z, const float* y,
                             float scale, float* probs, float* dz, const float* row_weights);
//   linear + MSE: loss = Σ (z - y)^2;   dz = scale * 2 * (z - y)
double loss_mse(int64_t rows, int64_t cols, const float* z, const float* y, float scale, float* dz,
                const float* row_weights);
//   linear + Huber, delta > 0: with a = |z - y| and q = min(a, delta),
//   loss = Σ 0.5 q^2 + delta (a - q);   dz = scale * clamp(z - y, -delta, delta)
double loss_huber(int64_t rows, int64_t cols, const float* z, const float* y, double delta,
                  float scale, float* dz, const float* row_weights);
//   linear + MAE: loss = Σ |z - y|;   dz = scale * sign(z - y), 0 where z = y
double loss_mae(int64_t rows, int64_t cols, const float* z, const float* y, float scale, float* dz,
                const float* row_weights);

}  // namespace densenode
