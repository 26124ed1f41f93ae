// Losses from logits (declared in losses.h). Each returns the SUM of the
// losses in double: within a chunk of kLossRows rows row by row and, within a
// row, column by column, then the chunks' sums in order. One fixed order, so
// the result does not depend on the pool. Plain scalar code: the output layer
// is [batch, outputs], small next to the GEMMs around it, so no ISA dispatch.
//
// Stability for |z| >= 100: exp only ever sees a non-positive argument
// (max-subtracted, or -|z|), so nothing overflows, and the log is taken of a
// sum that is >= 1, so nothing is log(0).
#include "losses.h"

#include <cmath>

#include "kernel_chunks.h"

namespace densenode {
namespace {

// Elements from which a loss with an exp or log an element spreads while the workers spin (a
// hand-off of ~1 us): 1K, a few us of work. Otherwise it spreads from detail::kParallelHeavy, and
// the regression losses, a few operations an element, from detail::kParallelLight.
constexpr int64_t kSpreadSpinning = 1 << 10;

// A loss's rows [r0, r1) summed in row order; ctx holds the loss's arguments.
using RowsSum = double (*)(const void* ctx, int64_t r0, int64_t r1);

// Σ of sum(ctx, r0, r1) over the fixed row chunks of [0, rows), added in chunk order: the chunks
// of each group of kGroup run (on the pool when worth it) into parts, then join the total in
// order. One function for every loss: the loss bodies only reach it through RowsSum.
double sum_row_chunks(int64_t rows, int64_t cols, bool transcendental, RowsSum sum,
                      const void* ctx) {
  if (rows <= kLossRows) return rows > 0 ? sum(ctx, 0, rows) : 0.0;
  constexpr int64_t kGroup = 32;
  const int64_t spread_from = !transcendental           ? detail::kParallelLight
                              : pool_workers_spinning() ? kSpreadSpinning
                                                        : detail::kParallelHeavy;
  double parts[kGroup];
  double total = 0.0;
  for (int64_t g0 = 0; g0 < rows; g0 += kGroup * kLossRows) {
    const int64_t n = rows - g0 < kGroup * kLossRows ? rows - g0 : kGroup * kLossRows;
    detail::for_chunks(
        n, kLossRows, rows * cols >= spread_from ? 0 : n + 1,
        [&](int64_t r0, int64_t r1) { parts[r0 / kLossRows] = sum(ctx, g0 + r0, g0 + r1); });
    for (int64_t c = 0; c * kLossRows < n; ++c) total += parts[c];
  }
  return total;
}

// The same for a loss body written as a lambda over (r0, r1).
template <class Chunk>
double sum_row_chunks(int64_t rows, int64_t cols, bool transcendental, const Chunk& chunk) {
  const RowsSum sum = [](const void* c, int64_t r0, int64_t r1) {
    return (*static_cast<const Chunk*>(c))(r0, r1);
  };
  return sum_row_chunks(rows, cols, transcendental, sum, &chunk);
}

// A row's weight, 1 without weights: multiplying by 1.0f is exact, so the
// unweighted results are those of the loops without the multiply.
inline float row_weight(const float* row_weights, int64_t r) {
  return row_weights ? row_weights[r] : 1.0f;
}

// Writes exp(z_j - max) of one row into buf (when given) and returns the sum
// of those terms (>= 1, the max term is exactly 1) in double.
double row_exp_sum(int64_t cols, const float* zr, float mx, float* buf) {
  double sum = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    const float e = std::exp(zr[j] - mx);
    if (buf) buf[j] = e;
    sum += e;
  }
  return sum;
}

float row_max(int64_t cols, const float* zr) {
  float mx = zr[0];
  for (int64_t j = 1; j < cols; ++j) mx = zr[j] > mx ? zr[j] : mx;
  return mx;
}

}  // namespace

// z, probs, dz: [rows, cols]; labels, row_weights: [rows]
double loss_softmax_ce_labels(int64_t rows, int64_t cols, const float* z, const int32_t* labels,
                              float scale, float* probs, float* dz, const float* row_weights) {
  if (cols <= 0) return 0.0;
  return sum_row_chunks(rows, cols, true, [=](int64_t r0, int64_t r1) {
    double total = 0.0;
    for (int64_t r = r0; r < r1; ++r) {
      const float* zr = z + r * cols;
      float* pr = probs ? probs + r * cols : nullptr;
      float* dr = dz ? dz + r * cols : nullptr;
      const float w = row_weight(row_weights, r);
      const int64_t label = labels[r];
      const float mx = row_max(cols, zr);
      const float z_label = zr[label];  // before any output row (which may alias z) is written
      // The exp terms go to an output row and are reused: one exp per element.
      float* buf = pr ? pr : dr;
      const double sum = row_exp_sum(cols, zr, mx, buf);
      // logsumexp - z_label = (max - z_label) + log(sum): two non-negative terms.
      total += static_cast<double>(w) * ((static_cast<double>(mx) - z_label) + std::log(sum));
      if (!buf) continue;
      const float inv = static_cast<float>(1.0 / sum);
      const float k = scale * w;
      for (int64_t j = 0; j < cols; ++j) {
        const float p = buf[j] * inv;
        if (pr) pr[j] = p;
        if (dr) dr[j] = k * (j == label ? p - 1.0f : p);
      }
    }
    return total;
  });
}

// z, y, probs, dz: [rows, cols]; row_weights: [rows] or null
double loss_softmax_ce_dense(int64_t rows, int64_t cols, const float* z, const float* y,
                             float scale, float* probs, float* dz, const float* row_weights) {
  if (cols <= 0) return 0.0;
  return sum_row_chunks(rows, cols, true, [=](int64_t r0, int64_t r1) {
    double total = 0.0;
    for (int64_t r = r0; r < r1; ++r) {
      const float* zr = z + r * cols;
      const float* yr = y + r * cols;
      float* pr = probs ? probs + r * cols : nullptr;
      float* dr = dz ? dz + r * cols : nullptr;
      const float w = row_weight(row_weights, r);
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
      total += static_cast<double>(w) * (ygap + ysum * std::log(sum));
      if (!buf) continue;
      const float inv = static_cast<float>(1.0 / sum);
      const float ys = static_cast<float>(ysum);
      const float k = scale * w;
      for (int64_t j = 0; j < cols; ++j) {
        const float p = buf[j] * inv;
        if (pr) pr[j] = p;
        if (dr) dr[j] = k * (p * ys - yr[j]);
      }
    }
    return total;
  });
}

// The element-wise losses share one pass: element(z_i, y_i, k, &row, &p) adds its loss to the row
// (in double), sets p_i (the output activation, where the loss has one) and returns dz_i, with k =
// scale times the row's weight. transcendental: an exp or log an element (see sum_row_chunks).
template <typename Element>
double elementwise_loss(int64_t rows, int64_t cols, const float* z, const float* y, float scale,
                        float* probs, float* dz, const float* row_weights, bool transcendental,
                        Element element) {
  if (cols <= 0) return 0.0;  // and no loop over rows: rows may be 2^31 - 1 here
  return sum_row_chunks(rows, cols, transcendental, [=](int64_t r0, int64_t r1) {
    double total = 0.0;
    for (int64_t r = r0; r < r1; ++r) {
      const float w = row_weight(row_weights, r);
      const float k = scale * w;
      double row = 0.0;
      for (int64_t i = r * cols; i < (r + 1) * cols; ++i) {
        float p = 0.0f;
        const float g = element(z[i], y[i], k, row, p);  // z[i] read before dz[i] (may alias z)
        if (probs) probs[i] = p;
        if (dz) dz[i] = g;
      }
      total += static_cast<double>(w) * row;
    }
    return total;
  });
}

// z, y, probs, dz: [rows, cols]; row_weights: [rows] or null
double loss_sigmoid_bce(int64_t rows, int64_t cols, const float* z, const float* y, float scale,
                        float* probs, float* dz, const float* row_weights) {
  return elementwise_loss(rows, cols, z, y, scale, probs, dz, row_weights, true,
                          [](float zi, float yi, float k, double& row, float& p) {
                            const float e = std::exp(-std::fabs(zi));  // in (0, 1]
                            // max(z,0) - z*y + log1p(exp(-|z|)): the softplus form of -y log p -
                            // (1-y) log(1-p).
                            row += static_cast<double>(zi > 0.0f ? zi : 0.0f) -
                                   static_cast<double>(zi) * yi +
                                   static_cast<double>(std::log1p(e));
                            p = zi >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
                            return k * (p - yi);
                          });
}

// z, y, dz: [rows, cols]; row_weights: [rows] or null
double loss_mse(int64_t rows, int64_t cols, const float* z, const float* y, float scale, float* dz,
                const float* row_weights) {
  return elementwise_loss(rows, cols, z, y, scale, nullptr, dz, row_weights, false,
                          [](float zi, float yi, float k, double& row, float&) {
                            const double d =
                                static_cast<double>(zi) - yi;  // exact: no rounding of z - y
                            row += d * d;
                            return (2.0f * k) * (zi - yi);
                          });
}

// z, y, dz: [rows, cols]; row_weights: [rows] or null
double loss_huber(int64_t rows, int64_t cols, const float* z, const float* y, double delta,
                  float scale, float* dz, const float* row_weights) {
  const float delta_f = static_cast<float>(delta);
  return elementwise_loss(rows, cols, z, y, scale, nullptr, dz, row_weights, false,
                          [delta, delta_f](float zi, float yi, float k, double& row, float&) {
                            const double a = std::fabs(static_cast<double>(zi) - yi);
                            // Quadratic up to delta, linear beyond: the min form needs no branch on
                            // which piece, and both pieces meet at a = delta with the same value.
                            const double q = a < delta ? a : delta;
                            row += 0.5 * q * q + delta * (a - q);
                            // The clamp keeps NaN (neither comparison holds), so bad data still
                            // shows.
                            const float d = zi - yi;
                            return k * (d > delta_f ? delta_f : d < -delta_f ? -delta_f : d);
                          });
}

// z, y, dz: [rows, cols]; row_weights: [rows] or null
double loss_mae(int64_t rows, int64_t cols, const float* z, const float* y, float scale, float* dz,
                const float* row_weights) {
  return elementwise_loss(rows, cols, z, y, scale, nullptr, dz, row_weights, false,
                          [](float zi, float yi, float k, double& row, float&) {
                            row += std::fabs(static_cast<double>(zi) - yi);
                            // sign(d), with d itself where d is 0 (the subgradient 0 at z = y) or
                            // NaN.
                            const float d = zi - yi;
                            return k * (d > 0.0f ? 1.0f : d < 0.0f ? -1.0f : d);
                          });
}

}  // namespace densenode
