// Batch normalisation over x: [batch, features], row-major.
//
// Layout of the work. Features are cut into blocks of 64..512 columns;
// a block is one pool work item. Within a block every loop walks down the
// rows with the inner loop over the block's contiguous features, so it
// vectorises across features and streams whole row segments. Rows are taken
// four at a time, so the per-feature accumulators (which live in small stack
// arrays) are loaded and stored once per four rows, not once per row.
//
// Reductions over the batch run in one fixed order: groups of 32 rows in
// float (four rows pairwise, then into the group), groups merged in double.
// Neither this order nor the blocks depend on the thread count, so results
// are bitwise identical for any pool size.
//
// Statistics: one pass over x. Each 32-row group gets its mean and sum of
// squared deviations around the group's first row (a shift that is close to
// the data, so no E[x^2] - E[x]^2 cancellation), and groups are combined with
// Chan et al.'s pairwise update in double (Welford's algorithm applied to
// groups). A feature constant over the batch gets exactly mean = x and
// var = 0, hence y = beta (the epsilon path).
#include "batchnorm.h"

#include <cmath>

#include "kernel_chunks.h"

namespace densenode {
namespace {

// Widest feature block (a pool work item). Wide blocks stream long row
// segments (512 measured best of 32..1024 on [1024,1024] and [1000,1000]).
constexpr int64_t kBlock = 512;
// Rows per float partial (a multiple of 4): long enough to amortise the
// per-group double merge, short enough that the float partial stays exact to
// a few ulps.
constexpr int64_t kRowGroup = 32;
// Spread over the pool from 64K elements (256 KB of x): below that a kernel
// takes ~10-20 us, comparable to waking the second thread.
constexpr int64_t kParallelMin = 65536;

// Runs body(f0, f1) over the feature blocks, on the pool for large inputs.
// Block width: half the features rounded up to 16 (so layers of 128..1024
// units still give two work items), clamped to [64, kBlock]. It depends on
// the shape only, never on the thread count.
template <class Body>
void for_feature_blocks(int64_t batch, int64_t features, const Body& body) {
  int64_t block = ((features + 1) / 2 + 15) / 16 * 16;
  block = block < 64 ? 64 : (block > kBlock ? kBlock : block);
  const int64_t parallel_min = batch * features >= kParallelMin ? 0 : features + 1;
  detail::for_chunks(features, block, parallel_min, body);
}

// Per-feature batch mean and biased variance of one block (nb columns, row
// stride ld), in double.
void block_stats(int64_t batch, int64_t ld, int64_t nb, const float* x, double* mean, double* var) {
  float shift[kBlock], s1[kBlock], s2[kBlock];
  double m2[kBlock];
  for (int64_t j = 0; j < nb; ++j) mean[j] = m2[j] = 0.0;
  for (int64_t i0 = 0; i0 < batch; i0 += kRowGroup) {
    const int64_t i1 = batch - i0 < kRowGroup ? batch : i0 + kRowGroup;
    const float* x0 = x + i0 * ld;
    for (int64_t j = 0; j < nb; ++j) {
      shift[j] = x0[j];
      s1[j] = s2[j] = 0.0f;
    }
    int64_t i = i0;
    for (; i + 4 <= i1; i += 4) {
      const float* xa = x + i * ld;
      const float* xb = xa + ld;
      const float* xc = xb + ld;
      const float* xd = xc + ld;
      for (int64_t j = 0; j < nb; ++j) {
        const float da = xa[j] - shift[j], db = xb[j] - shift[j];
        const float dc = xc[j] - shift[j], dd = xd[j] - shift[j];
        s1[j] += (da + db) + (dc + dd);
        s2[j] += (da * da + db * db) + (dc * dc + dd * dd);
      }
    }
    for (; i < i1; ++i) {
      const float* xr = x + i * ld;
      for (int64_t j = 0; j < nb; ++j) {
        const float d = xr[j] - shift[j];
        s1[j] += d;
        s2[j] += d * d;
      }
    }
    // Merge the group (n_g rows, mean g_mean, squared deviations g_m2) into
    // the running totals (n_a rows so far).
    const double n_a = static_cast<double>(i0), n_g = static_cast<double>(i1 - i0);
    const double n = n_a + n_g, w_g = n_g / n, w_ag = n_a * n_g / n, inv_ng = 1.0 / n_g;
    for (int64_t j = 0; j < nb; ++j) {
      const double a = s1[j];
      const double g_mean = shift[j] + a * inv_ng;
      const double g_m2 = s2[j] - a * a * inv_ng;
      const double delta = g_mean - mean[j];
      mean[j] += delta * w_g;
      m2[j] += (g_m2 > 0.0 ? g_m2 : 0.0) + delta * delta * w_ag;
    }
  }
  const double inv_batch = 1.0 / static_cast<double>(batch);
  for (int64_t j = 0; j < nb; ++j) var[j] = m2[j] * inv_batch;
}

// y = (x - mean) * scale + shift over a block, then the ReLU when asked.
// Subtracting the mean first keeps precision when |mean| >> std. y may alias
// x: each element is read before it is written.
template <bool kRelu>
void normalize_block(int64_t batch, int64_t ld, int64_t nb, const float* x, const float* mean,
                     const float* scale, const float* shift, float* y) {
  // One row at a time: with y possibly aliasing x, a 4-row version defeats
  // the vectoriser's alias checks, and there is no accumulator to save here.
  for (int64_t i = 0; i < batch; ++i) {
    const float* xr = x + i * ld;
    float* yr = y + i * ld;
    for (int64_t j = 0; j < nb; ++j) {
      const float v = (xr[j] - mean[j]) * scale[j] + shift[j];
      yr[j] = kRelu ? (v < 0.0f ? 0.0f : v) : v;
    }
  }
}

// Backward pass 1 over a block: sum_g = Σ g (= dbeta) and sum_gx = Σ g * (x - mean)
// (= dgamma / inv_std: the constant factor is applied once per feature, in
// double, instead of per element), with g = dy masked by the fused ReLU
// (y > 0) when kRelu.
template <bool kRelu>
void backward_sums(int64_t batch, int64_t ld, int64_t nb, const float* x, const float* y,
                   const float* dy, const float* mean, double* sum_g, double* sum_gx) {
  float part_g[kBlock], part_gx[kBlock];
  for (int64_t j = 0; j < nb; ++j) sum_g[j] = sum_gx[j] = 0.0;
  // dy loaded unconditionally before the select, so the select vectorises.
  auto grad = [](const float* yr, const float* dyr, int64_t j) {
    const float d = dyr[j];
    return kRelu ? (yr[j] > 0.0f ? d : 0.0f) : d;
  };
  for (int64_t i0 = 0; i0 < batch; i0 += kRowGroup) {
    const int64_t i1 = batch - i0 < kRowGroup ? batch : i0 + kRowGroup;
    for (int64_t j = 0; j < nb; ++j) part_g[j] = part_gx[j] = 0.0f;
    int64_t i = i0;
    for (; i + 4 <= i1; i += 4) {
      const float* xa = x + i * ld;
      const float* dya = dy + i * ld;
      const float* ya = kRelu ? y + i * ld : nullptr;
      for (int64_t j = 0; j < nb; ++j) {
        const float m = mean[j];
        const float ga = grad(ya, dya, j), gb = grad(ya + ld, dya + ld, j);
        const float gc = grad(ya + 2 * ld, dya + 2 * ld, j),
                    gd = grad(ya + 3 * ld, dya + 3 * ld, j);
        const float ha = xa[j] - m, hb = xa[j + ld] - m;
        const float hc = xa[j + 2 * ld] - m, hd = xa[j + 3 * ld] - m;
        part_g[j] += (ga + gb) + (gc + gd);
        part_gx[j] += (ga * ha + gb * hb) + (gc * hc + gd * hd);
      }
    }
    for (; i < i1; ++i) {
      const float* xr = x + i * ld;
      const float* dyr = dy + i * ld;
      const float* yr = kRelu ? y + i * ld : nullptr;
      for (int64_t j = 0; j < nb; ++j) {
        const float g = grad(yr, dyr, j);
        part_g[j] += g;
        part_gx[j] += g * (xr[j] - mean[j]);
      }
    }
    for (int64_t j = 0; j < nb; ++j) {
      sum_g[j] += part_g[j];
      sum_gx[j] += part_gx[j];
    }
  }
}

// Backward pass 2: dx = k * (batch * g - dbeta - xhat * dgamma) with
// k = gamma * inv_std / batch, expanded per feature into
//   dx = a * g - (b + c * (x - mean)),  a = k * batch, b = a * dbeta / batch,
//   c = k * dgamma * inv_std
// (the same expression with the per-feature products done once, in double).
// dx may alias dy: each dy element is read before dx overwrites it.
template <bool kRelu>
void backward_dx(int64_t batch, int64_t ld, int64_t nb, const float* x, const float* y,
                 const float* dy, const float* mean, const float* a, const float* b, const float* c,
                 float* dx) {
  for (int64_t i = 0; i < batch; ++i) {
    const float* xr = x + i * ld;
    const float* dyr = dy + i * ld;
    const float* yr = kRelu ? y + i * ld : nullptr;
    float* dxr = dx + i * ld;
    for (int64_t j = 0; j < nb; ++j) {
      const float d = dyr[j];
      const float g = kRelu ? (yr[j] > 0.0f ? d : 0.0f) : d;
      dxr[j] = a[j] * g - (b[j] + c[j] * (xr[j] - mean[j]));
    }
  }
}

}  // namespace

// x, y: [batch, features]; gamma, beta, running_*, saved_*: [features]
void batchnorm_forward_train(int64_t batch, int64_t features, const float* x, const float* gamma,
                             const float* beta, float epsilon, float momentum, float* running_mean,
                             float* running_var, float* saved_mean, float* saved_inv_std, float* y,
                             bool relu) {
  if (batch <= 0 || features <= 0) return;
  for_feature_blocks(batch, features, [=](int64_t f0, int64_t f1) {
    const int64_t nb = f1 - f0;
    double mean_d[kBlock], var_d[kBlock];
    float mean[kBlock], scale[kBlock];
    block_stats(batch, features, nb, x + f0, mean_d, var_d);
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t f = f0 + j;
      const float inv_std = static_cast<float>(1.0 / std::sqrt(var_d[j] + epsilon));
      mean[j] = static_cast<float>(mean_d[j]);
      saved_mean[f] = mean[j];
      saved_inv_std[f] = inv_std;
      running_mean[f] = momentum * running_mean[f] + (1.0f - momentum) * mean[j];
      running_var[f] = momentum * running_var[f] + (1.0f - momentum) * static_cast<float>(var_d[j]);
      scale[j] = gamma[f] * inv_std;
    }
    if (relu) {
      normalize_block<true>(batch, features, nb, x + f0, mean, scale, beta + f0, y + f0);
    } else {
      normalize_block<false>(batch, features, nb, x + f0, mean, scale, beta + f0, y + f0);
    }
  });
}

// x, y: [batch, features]; gamma, beta, running_*: [features]
void batchnorm_forward_infer(int64_t batch, int64_t features, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float epsilon, float* y, bool relu) {
  if (batch <= 0 || features <= 0) return;
  for_feature_blocks(batch, features, [=](int64_t f0, int64_t f1) {
    const int64_t nb = f1 - f0;
    float scale[kBlock];
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t f = f0 + j;
      scale[j] =
          static_cast<float>(gamma[f] / std::sqrt(static_cast<double>(running_var[f]) + epsilon));
    }
    if (relu) {
      normalize_block<true>(batch, features, nb, x + f0, running_mean + f0, scale, beta + f0,
                            y + f0);
    } else {
      normalize_block<false>(batch, features, nb, x + f0, running_mean + f0, scale, beta + f0,
                             y + f0);
    }
  });
}

// x, y, dy, dx: [batch, features]; gamma, saved_*, dgamma, dbeta: [features]
void batchnorm_backward(int64_t batch, int64_t features, const float* x, const float* y,
                        const float* dy, const float* gamma, const float* saved_mean,
                        const float* saved_inv_std, float* dx, float* dgamma, float* dbeta) {
  if (batch <= 0 || features <= 0) return;
  for_feature_blocks(batch, features, [=](int64_t f0, int64_t f1) {
    const int64_t nb = f1 - f0;
    double sum_g[kBlock], sum_gx[kBlock];
    float a[kBlock], b[kBlock], c[kBlock];
    const float* mean = saved_mean + f0;
    if (y) {
      backward_sums<true>(batch, features, nb, x + f0, y + f0, dy + f0, mean, sum_g, sum_gx);
    } else {
      backward_sums<false>(batch, features, nb, x + f0, nullptr, dy + f0, mean, sum_g, sum_gx);
    }
    const double n = static_cast<double>(batch);
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t f = f0 + j;
      const double inv_std = saved_inv_std[f];
      // dx uses the rounded dbeta/dgamma the caller sees.
      const float db = static_cast<float>(sum_g[j]);
      const float dg = static_cast<float>(sum_gx[j] * inv_std);
      dbeta[f] = db;
      dgamma[f] = dg;
      const double k = gamma[f] * inv_std / n;
      a[j] = static_cast<float>(k * n);
      // b = a * mean(g) in float: at batch 1 it is exactly a * g, so dx is exactly 0.
      b[j] = a[j] * static_cast<float>(db / n);
      c[j] = static_cast<float>(k * dg * inv_std);
    }
    if (y) {
      backward_dx<true>(batch, features, nb, x + f0, y + f0, dy + f0, mean, a, b, c, dx + f0);
    } else {
      backward_dx<false>(batch, features, nb, x + f0, nullptr, dy + f0, mean, a, b, c, dx + f0);
    }
  });
}

}  // namespace densenode
