#pragma once
#include <cstdint>

namespace densenode {

enum class Activation : int { Linear = 0, Relu = 1, LeakyRelu = 2, Tanh = 3, Sigmoid = 4 };

// y = f(x) over count elements; y may alias x. slope is leaky ReLU's negative slope (0 <= slope <
// 1).
void activation_forward(Activation f, int64_t count, const float* x, float* y, float slope);

// dx = dy * f'(x), computed from the forward OUTPUT y: relu y > 0; leaky y > 0 ? 1 : slope;
// tanh 1 - y^2; sigmoid y (1 - y); linear 1. dx may alias dy.
void activation_backward(Activation f, int64_t count, const float* y, const float* dy, float* dx,
                         float slope);

// Row-wise softmax of x: [rows, cols] contiguous, max-subtracted. y may alias x.
void softmax_forward(int64_t rows, int64_t cols, const float* x, float* y);
// dx_ij = y_ij * (dy_ij - Σ_k dy_ik y_ik). dx may alias dy.
void softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx);

// The losses from logits: losses.h.

// Inverted dropout: y = x * mask / keep, mask a 0/1 byte per element (drawn by
// the TypeScript layer's seeded PRNG). The same call applies the same mask to
// dy in the backward pass. y may alias x. 0 < keep <= 1.
void dropout_apply(int64_t count, const float* x, const uint8_t* mask, float keep, float* y);

// mask[i] = 1 with probability keep (else 0) for i < count. Counter-based:
// two xoshiro128** outputs drawn from state (advanced in place by exactly two
// steps) key a 32-bit hash of i, so elements are independent of each other and
// of the thread that computes them. lib/backend/js/elementwise.ts computes the
// same bits. keep is a double because the JS threshold keep * 2^32 is.
void dropout_mask(int64_t count, double keep, uint32_t state[4], uint8_t* mask);

// dst[i, :] = src[indices[i], :] for i < count, rows of cols floats (a
// mini-batch gathered in shuffled order). Returns -1, or the position of an
// index >= rows, which is never read from (dst is then partly written). Each
// index is loaded once and checked before use: indices may be shared memory
// that another thread rewrites during the call.
int64_t gather_rows(int64_t count, int64_t cols, int64_t rows, const float* src,
                    const uint32_t* indices, float* dst);

// out_j = beta * out_j + alpha * Σ_i x_ij for x: [rows, cols] with row stride ld
// (bias gradients). beta == 0 makes out write-only.
void column_sums(int64_t rows, int64_t cols, const float* x, int64_t ld, float alpha, float beta,
                 float* out);

// y += a * x over count elements (the L2 term: dW += (lambda/m) * W).
void axpy(int64_t count, float a, const float* x, float* y);

// Index of the first NaN or +-Inf in x, or -1 (to report bad data before it spreads).
int64_t find_nonfinite(int64_t count, const float* x);

}  // namespace densenode
