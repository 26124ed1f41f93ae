#pragma once
#include <cstdint>

namespace densenode {

// Batch normalisation over x: [batch, features], row-major and contiguous
// (row stride = features). gamma, beta, running_*, saved_*: [features].
// All outputs are overwritten (never accumulated into).

// Training mode. Per feature j over the batch:
//   mean_j = Σ_i x_ij / batch;  var_j = Σ_i (x_ij - mean_j)^2 / batch   (biased, as Keras)
//   inv_std_j = 1 / sqrt(var_j + epsilon)
//   y_ij = gamma_j * (x_ij - mean_j) * inv_std_j + beta_j;  relu: y_ij = max(0, y_ij)
//   running_mean_j = momentum * running_mean_j + (1 - momentum) * mean_j   (Keras convention,
//   running_var_j  = momentum * running_var_j  + (1 - momentum) * var_j     momentum = 0.99
//   typical)
// mask (count bytes of 0/1, or nullptr): inverted dropout fused after the ReLU,
//   y_ij = y_ij * mask_ij * (1 / keep), the same operations as dropout_apply.
// Writes saved_mean and saved_inv_std for the backward pass. y may alias x, but
// batchnorm_backward reads the original x, so a training step keeps x apart.
// batch == 1 is legal: variance 0, so y = beta (the epsilon path).
void batchnorm_forward_train(int64_t batch, int64_t features, const float* x, const float* gamma,
                             const float* beta, float epsilon, float momentum, float* running_mean,
                             float* running_var, float* saved_mean, float* saved_inv_std, float* y,
                             bool relu, const uint8_t* mask = nullptr, float keep = 1.0f);

// Inference mode: y_ij = gamma_j * (x_ij - running_mean_j) / sqrt(running_var_j + epsilon) +
// beta_j, then relu if asked. y may alias x.
void batchnorm_forward_infer(int64_t batch, int64_t features, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float epsilon, float* y, bool relu);

// Backward of the training-mode forward, in one pass over the batch for the
// sums and one for dx (the compact formula):
//   g_ij = dy_ij * dy_scale, times (y_ij > 0) when y != nullptr (the fused ReLU;
//          y is the forward output after the ReLU). With dropout fused too, y is
//          the output after dropout, whose zeros are exactly the dropped or
//          clamped units, and dy_scale = 1 / keep: the same g as dropout_apply
//          followed by the ReLU mask, for finite dy.
//   xhat_ij = (x_ij - saved_mean_j) * saved_inv_std_j
//   dbeta_j = Σ_i g_ij;   dgamma_j = Σ_i g_ij * xhat_ij
//   dx_ij = gamma_j * saved_inv_std_j / batch * (batch * g_ij - dbeta_j - xhat_ij * dgamma_j)
// dx may alias dy. dgamma and dbeta are overwritten.
void batchnorm_backward(int64_t batch, int64_t features, const float* x, const float* y,
                        const float* dy, const float* gamma, const float* saved_mean,
                        const float* saved_inv_std, float* dx, float* dgamma, float* dbeta,
                        float dy_scale = 1.0f);

}  // namespace densenode
