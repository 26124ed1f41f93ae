// Losses from logits (declared in elementwise.h). Each returns the SUM of the
// losses in double, accumulated row by row and, within a row, column by
// column: one fixed order, so the result does not depend on the pool. These
// run on the calling thread: the output layer is [batch, classes], small next
// to the GEMMs around it.
//
// Stability for |z| >= 100: exp only ever sees a non-positive argument
// (max-subtracted, or -|z|), so nothing overflows, and the log is taken of a
// sum that is >= 1, so nothing is log(0).
#include <cmath>

#include "elementwise.h"

namespace densenode {

// z, y, probs, dz: [rows, cols]
double loss_sigmoid_bce(int64_t rows, int64_t cols, const float* z, const float* y, float scale,
                        float* probs, float* dz) {
  const int64_t n = rows * cols;
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float zi = z[i];  // read before dz[i] (which may alias z) is written
    const float yi = y[i];
    const float e = std::exp(-std::fabs(zi));  // in (0, 1]
    // max(z,0) - z*y + log1p(exp(-|z|)): the softplus form of -y log p - (1-y) log(1-p).
    total += static_cast<double>(zi > 0.0f ? zi : 0.0f) - static_cast<double>(zi) * yi +
             static_cast<double>(std::log1p(e));
    const float p = zi >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    if (probs) probs[i] = p;
    if (dz) dz[i] = scale * (p - yi);
  }
  return total;
}

// Writes exp(z_j - max) of one row into buf (when given) and returns the sum
// of those terms (>= 1, the max term is exactly 1) in double.
static double row_exp_sum(int64_t cols, const float* zr, float mx, float* buf) {
  double sum = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    const float e = std::exp(zr[j] - mx);
    if (buf) buf[j] = e;
    sum += e;
  }
  return sum;
}

static float row_max(int64_t cols, const float* zr) {
  float mx = zr[0];
  for (int64_t j = 1; j < cols; ++j) mx = zr[j] > mx ? zr[j] : mx;
  return mx;
}

// z, probs, dz: [rows, cols]; labels: [rows]
double loss_softmax_ce_labels(int64_t rows, int64_t cols, const float* z, const int32_t* labels,
                              float scale, float* probs, float* dz) {
  if (cols <= 0) return 0.0;
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* zr = z + r * cols;
    float* pr = probs ? probs + r * cols : nullptr;
    float* dr = dz ? dz + r * cols : nullptr;
    const int64_t label = labels[r];
    const float mx = row_max(cols, zr);
    const float z_label = zr[label];  // before any output row (which may alias z) is written
    // The exp terms go to an output row and are reused: one exp per element.
    float* buf = pr ? pr : dr;
    const double sum = row_exp_sum(cols, zr, mx, buf);
    // logsumexp - z_label = (max - z_label) + log(sum): two non-negative terms.
    total += (static_cast<double>(mx) - z_label) + std::log(sum);
    if (!buf) continue;
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < cols; ++j) {
      const float p = buf[j] * inv;
      if (pr) pr[j] = p;
      if (dr) dr[j] = scale * (j == label ? p - 1.0f : p);
    }
  }
  return total;
}

// z, y, probs, dz: [rows, cols]
double loss_softmax_ce_dense(int64_t rows, int64_t cols, const float* z, const float* y,
                             float scale, float* probs, float* dz) {
  if (cols <= 0) return 0.0;
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* zr = z + r * cols;
    const float* yr = y + r * cols;
    float* pr = probs ? probs + r * cols : nullptr;
    float* dr = dz ? dz + r * cols : nullptr;
    const float mx = row_max(cols, zr);
    // Σ_j y_j (lse - z_j) = Σ_j y_j (max - z_j) + Σ_j y_j * log(sum). The first
    // sum is taken in the same pass as the exps, while z is still intact.
    double ysum = 0.0, ygap = 0.0, sum = 0.0;
    float* buf = pr ? pr : dr;
    for (int64_t j = 0; j < cols; ++j) {
      const float zj = zr[j];
      const float e = std::exp(zj - mx);
      if (buf) buf[j] = e;
      sum += e;
      ysum += yr[j];
      ygap += static_cast<double>(yr[j]) * (static_cast<double>(mx) - zj);
    }
    total += ygap + ysum * std::log(sum);
    if (!buf) continue;
    const float inv = static_cast<float>(1.0 / sum);
    const float ys = static_cast<float>(ysum);
    for (int64_t j = 0; j < cols; ++j) {
      const float p = buf[j] * inv;
      if (pr) pr[j] = p;
      if (dr) dr[j] = scale * (p * ys - yr[j]);
    }
  }
  return total;
}

// z, y, dz: [rows, cols]
double loss_mse(int64_t rows, int64_t cols, const float* z, const float* y, float scale,
                float* dz) {
  const int64_t n = rows * cols;
  double total = 0.0;
  const float k = scale * 2.0f;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(z[i]) - y[i];  // exact: no rounding of z - y
    total += d * d;
    if (dz) dz[i] = k * (z[i] - y[i]);
  }
  return total;
}

}  // namespace densenode
