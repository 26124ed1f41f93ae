// Batch-norm kernels, compiled once per ISA: the including file defines
// BN_NS (the namespace of this copy) and builds with
// its own ISA flags. No guard: each TU includes it exactly once.
//
// Work layout. A call gets a block of up to kMaxBlock feature columns. Every
// loop walks down the rows with the inner loop over the block's contiguous
// features, four rows at a time, so it vectorises across features and streams
// whole block-wide row segments (up to 2 KB), which the hardware prefetchers
// follow. Measured alternatives that were slower on [1024,1024] (about 2x):
// 64-column panels with register-resident accumulators, over all rows or
// over 32-row groups (256 B per row at a 4 KB stride keeps each panel in a
// few cache sets, so the second read of x misses L2 anyway).
//
// Identical results on every ISA and thread count: every loop vectorises
// across features only; each feature's reduction runs down the rows in the
// same fixed order (groups of 32 rows summed row by row in float, groups
// merged in double), and every element sees the same sequence of IEEE
// operations. That needs -ffp-contract=off on the FMA-capable TUs (GCC
// contracts a * b + c into an FMA by default in C++, even with -std=c++17),
// which the Makefile passes to every TU. Block widths only decide which features
// share a vector, never the arithmetic.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "batchnorm_kernels.h"

#if !defined(BN_NS)
#error "define BN_NS before including batchnorm_impl.h"
#endif

namespace densenode {
namespace bn {
namespace BN_NS {
namespace {

// Rows per float partial (a multiple of 4): long enough to amortise the
// per-group double merge, short enough that the float partial stays exact to
// a few ulps.
constexpr int64_t kRowGroup = 32;

// Per-feature batch mean and biased variance of one block (nb columns, row
// stride ld), in double.
void block_stats(int64_t batch, int64_t ld, int64_t nb, const float* x, double* mean, double* var) {
  float shift[kMaxBlock], s1[kMaxBlock], s2[kMaxBlock];
  double m2[kMaxBlock];
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

// y = (x - mean) * scale + shift over a block, then the ReLU when asked, then
// the dropout mask (mask * inv_keep) when given. Subtracting the mean first
// keeps precision when |mean| >> std. y may alias x: each element is read
// before it is written.
template <bool kRelu, bool kMask>
void normalize_block(int64_t batch, int64_t ld, int64_t nb, const float* x, const float* mean,
                     const float* scale, const float* shift, float* y, const uint8_t* mask,
                     float inv_keep) {
  // One row at a time: with y possibly aliasing x, a 4-row version defeats
  // the vectoriser's alias checks, and there is no accumulator to save here.
  for (int64_t i = 0; i < batch; ++i) {
    const float* xr = x + i * ld;
    float* yr = y + i * ld;
    const uint8_t* mr = kMask ? mask + i * ld : nullptr;
    for (int64_t j = 0; j < nb; ++j) {
      const float v = (xr[j] - mean[j]) * scale[j] + shift[j];
      const float a = kRelu ? (v < 0.0f ? 0.0f : v) : v;
      yr[j] = kMask ? a * static_cast<float>(mr[j]) * inv_keep : a;
    }
  }
}

template <bool kRelu>
void normalize_block(int64_t batch, int64_t ld, int64_t nb, const float* x, const float* mean,
                     const float* scale, const float* shift, float* y, const uint8_t* mask,
                     float inv_keep) {
  if (mask) {
    normalize_block<kRelu, true>(batch, ld, nb, x, mean, scale, shift, y, mask, inv_keep);
  } else {
    normalize_block<kRelu, false>(batch, ld, nb, x, mean, scale, shift, y, nullptr, 1.0f);
  }
}

// Backward pass 1 over a block: sum_g = Σ g (= dbeta) and sum_gx = Σ g * (x - mean)
// (= dgamma / inv_std: the constant factor is applied once per feature, in
// double, instead of per element), with g = dy masked by the fused ReLU
// (y > 0) when kRelu.
// d where y > 0, else +0: the ReLU's gradient gate. As a bit mask rather than
// `y > 0 ? d : 0`, which GCC compiled to a compare-and-branch per element on
// the AVX2 copy (random signs: 366 vs 22 us for [128,256]); same values.
inline float relu_gate(float d, float y) {
  uint32_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  bits &= 0u - static_cast<uint32_t>(y > 0.0f);
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

template <bool kRelu>
void backward_sums(int64_t batch, int64_t ld, int64_t nb, const float* x, const float* y,
                   const float* dy, float s, const float* mean, double* sum_g, double* sum_gx) {
  float part_g[kMaxBlock], part_gx[kMaxBlock];
  for (int64_t j = 0; j < nb; ++j) sum_g[j] = sum_gx[j] = 0.0;
  // dy loaded unconditionally before the select, so the select vectorises;
  // times s (1: exact, or the fused dropout's 1 / keep).
  // Row k of a group starting at yr/dyr: y is read (and yr + k * ld formed) only with the ReLU, as
  // y may then be null.
  auto grad = [s, ld](const float* yr, const float* dyr, int64_t k, int64_t j) {
    const float d = dyr[k * ld + j] * s;
    if constexpr (kRelu) {
      return relu_gate(d, yr[k * ld + j]);
    } else {
      (void)yr;
      return d;
    }
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
        const float ga = grad(ya, dya, 0, j), gb = grad(ya, dya, 1, j);
        const float gc = grad(ya, dya, 2, j), gd = grad(ya, dya, 3, j);
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
        const float g = grad(yr, dyr, 0, j);
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
                 const float* dy, float s, const float* mean, const float* a, const float* b,
                 const float* c, float* dx) {
  for (int64_t i = 0; i < batch; ++i) {
    const float* xr = x + i * ld;
    const float* dyr = dy + i * ld;
    const float* yr = kRelu ? y + i * ld : nullptr;
    float* dxr = dx + i * ld;
    for (int64_t j = 0; j < nb; ++j) {
      const float d = dyr[j] * s;
      const float g = kRelu ? relu_gate(d, yr[j]) : d;
      dxr[j] = a[j] * g - (b[j] + c[j] * (xr[j] - mean[j]));
    }
  }
}

void forward_train_block(const ForwardArgs& p, int64_t f0, int64_t f1) {
  const int64_t batch = p.batch, features = p.features;
  const float *x = p.x, *gamma = p.gamma, *beta = p.beta;
  const float epsilon = p.epsilon, momentum = p.momentum;
  float *running_mean = p.running_mean, *running_var = p.running_var;
  float *saved_mean = p.saved_mean, *saved_inv_std = p.saved_inv_std, *y = p.y;
  const bool relu = p.relu;
  const int64_t nb = f1 - f0;
  double mean_d[kMaxBlock], var_d[kMaxBlock];
  float mean[kMaxBlock], scale[kMaxBlock];
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
  const uint8_t* mask = p.mask ? p.mask + f0 : nullptr;
  if (relu) {
    normalize_block<true>(batch, features, nb, x + f0, mean, scale, beta + f0, y + f0, mask,
                          p.inv_keep);
  } else {
    normalize_block<false>(batch, features, nb, x + f0, mean, scale, beta + f0, y + f0, mask,
                           p.inv_keep);
  }
}

void forward_infer_block(const InferArgs& p, int64_t f0, int64_t f1) {
  const int64_t batch = p.batch, features = p.features;
  const float *x = p.x, *gamma = p.gamma, *beta = p.beta;
  const float *running_mean = p.running_mean, *running_var = p.running_var;
  const float epsilon = p.epsilon;
  float* y = p.y;
  const bool relu = p.relu;
  const int64_t nb = f1 - f0;
  float scale[kMaxBlock];
  for (int64_t j = 0; j < nb; ++j) {
    const int64_t f = f0 + j;
    scale[j] =
        static_cast<float>(gamma[f] / std::sqrt(static_cast<double>(running_var[f]) + epsilon));
  }
  if (relu) {
    normalize_block<true>(batch, features, nb, x + f0, running_mean + f0, scale, beta + f0, y + f0,
                          nullptr, 1.0f);
  } else {
    normalize_block<false>(batch, features, nb, x + f0, running_mean + f0, scale, beta + f0, y + f0,
                           nullptr, 1.0f);
  }
}

void backward_block(const BackwardArgs& p, int64_t f0, int64_t f1) {
  const int64_t batch = p.batch, features = p.features;
  const float *x = p.x, *y = p.y, *dy = p.dy, *gamma = p.gamma;
  const float *saved_mean = p.saved_mean, *saved_inv_std = p.saved_inv_std;
  float *dx = p.dx, *dgamma = p.dgamma, *dbeta = p.dbeta;
  const int64_t nb = f1 - f0;
  double sum_g[kMaxBlock], sum_gx[kMaxBlock];
  float a[kMaxBlock], b[kMaxBlock], c[kMaxBlock];
  const float* mean = saved_mean + f0;
  const float s = p.dy_scale;
  if (y) {
    backward_sums<true>(batch, features, nb, x + f0, y + f0, dy + f0, s, mean, sum_g, sum_gx);
  } else {
    backward_sums<false>(batch, features, nb, x + f0, nullptr, dy + f0, s, mean, sum_g, sum_gx);
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
    backward_dx<true>(batch, features, nb, x + f0, y + f0, dy + f0, s, mean, a, b, c, dx + f0);
  } else {
    backward_dx<false>(batch, features, nb, x + f0, nullptr, dy + f0, s, mean, a, b, c, dx + f0);
  }
}

}  // namespace

extern const Kernels kKernels = {&forward_train_block, &forward_infer_block, &backward_block};

}  // namespace BN_NS
}  // namespace bn
}  // namespace densenode
