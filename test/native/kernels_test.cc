// Tests of the batch-norm, element-wise, loss and optimizer kernels against
// float64 references written independently here (naive loops, no blocking).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "batchnorm.h"
#include "batchnorm_kernels.h"
#include "cpu.h"
#include "elementwise.h"
#include "gather_ahead.h"
#include "gemm/runtime_blocking.h"
#include "losses.h"
#include "optimizers.h"
#include "rows.h"
#include "stream_kernels.h"
#include "threadpool.h"

using namespace densenode;
using dvec = std::vector<double>;
using fvec = std::vector<float>;

static int g_checks = 0, g_failures = 0;

static void check(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL: %s\n", what.c_str());
  }
}

// max |got - ref| <= tol * max(1, max |ref|): a norm-wise relative error.
static void check_close(const float* got, const double* ref, int64_t n, double tol,
                        const std::string& what) {
  double scale = 1.0, err = 0.0;
  int64_t worst = -1;
  for (int64_t i = 0; i < n; ++i) scale = std::fmax(scale, std::fabs(ref[i]));
  for (int64_t i = 0; i < n; ++i) {
    const double e = std::fabs(static_cast<double>(got[i]) - ref[i]);
    if (!(e <= err)) {  // also catches NaN
      err = std::isnan(e) ? INFINITY : e;
      worst = i;
    }
  }
  const bool ok = err <= tol * scale;
  if (!ok) {
    std::printf("  %s: err %.3g > %.3g at %lld (got %.9g ref %.9g)\n", what.c_str(), err,
                tol * scale, static_cast<long long>(worst), got[worst], ref[worst]);
  }
  check(ok, what);
}

static void check_close_scalar(double got, double ref, double tol, const std::string& what) {
  const bool ok = std::fabs(got - ref) <= tol * std::fmax(1.0, std::fabs(ref));
  if (!ok) std::printf("  %s: got %.12g ref %.12g\n", what.c_str(), got, ref);
  check(ok, what);
}

static std::mt19937 rng(12345);
static fvec randn(int64_t n, float mean = 0.0f, float sd = 1.0f) {
  std::normal_distribution<float> d(mean, sd);
  fvec v(n);
  for (auto& x : v) x = d(rng);
  return v;
}
static dvec to_d(const fvec& v) { return dvec(v.begin(), v.end()); }
static std::string shape(int64_t a, int64_t b) {
  return "[" + std::to_string(a) + "," + std::to_string(b) + "]";
}

// ---------------------------------------------------------------- batch norm

struct BnRef {
  dvec y, mean, var, inv_std;
};

// The textbook forward in double, straight from the header's formulas.
static BnRef ref_bn_forward(int64_t B, int64_t F, const dvec& x, const dvec& gamma,
                            const dvec& beta, double eps, bool relu) {
  BnRef r{dvec(B * F), dvec(F), dvec(F), dvec(F)};
  for (int64_t j = 0; j < F; ++j) {
    double s = 0;
    for (int64_t i = 0; i < B; ++i) s += x[i * F + j];
    r.mean[j] = s / B;
    double q = 0;
    for (int64_t i = 0; i < B; ++i) q += (x[i * F + j] - r.mean[j]) * (x[i * F + j] - r.mean[j]);
    r.var[j] = q / B;
    r.inv_std[j] = 1.0 / std::sqrt(r.var[j] + eps);
    for (int64_t i = 0; i < B; ++i) {
      double v = gamma[j] * (x[i * F + j] - r.mean[j]) * r.inv_std[j] + beta[j];
      r.y[i * F + j] = relu ? std::fmax(v, 0.0) : v;
    }
  }
  return r;
}

// The header's backward formula in double. relu_y: forward output (or empty).
static void ref_bn_backward(int64_t B, int64_t F, const dvec& x, const dvec& relu_y,
                            const dvec& dy, const dvec& gamma, const dvec& mean,
                            const dvec& inv_std, dvec& dx, dvec& dgamma, dvec& dbeta) {
  dx.assign(B * F, 0);
  dgamma.assign(F, 0);
  dbeta.assign(F, 0);
  auto g = [&](int64_t i, int64_t j) {
    double d = dy[i * F + j];
    return relu_y.empty() || relu_y[i * F + j] > 0 ? d : 0.0;
  };
  for (int64_t j = 0; j < F; ++j) {
    for (int64_t i = 0; i < B; ++i) {
      double xhat = (x[i * F + j] - mean[j]) * inv_std[j];
      dbeta[j] += g(i, j);
      dgamma[j] += g(i, j) * xhat;
    }
    for (int64_t i = 0; i < B; ++i) {
      double xhat = (x[i * F + j] - mean[j]) * inv_std[j];
      dx[i * F + j] = gamma[j] * inv_std[j] / B * (B * g(i, j) - dbeta[j] - xhat * dgamma[j]);
    }
  }
}

// Finite differences in double of L = Σ w_ij y_ij through ref_bn_forward,
// against ref_bn_backward: validates the compact formula itself.
static void test_bn_finite_difference(int64_t B, int64_t F) {
  const double eps = 1e-3;
  dvec x = to_d(randn(B * F, 0.5f, 2.0f)), gamma = to_d(randn(F, 1.0f, 0.3f)),
       beta = to_d(randn(F)), w = to_d(randn(B * F));
  auto loss = [&](const dvec& xx, const dvec& gg, const dvec& bb) {
    BnRef r = ref_bn_forward(B, F, xx, gg, bb, eps, false);
    double l = 0;
    for (int64_t k = 0; k < B * F; ++k) l += w[k] * r.y[k];
    return l;
  };
  BnRef r = ref_bn_forward(B, F, x, gamma, beta, eps, false);
  dvec dx, dgamma, dbeta;
  ref_bn_backward(B, F, x, {}, w, gamma, r.mean, r.inv_std, dx, dgamma, dbeta);
  auto fd = [&](dvec& v, int64_t k, const dvec& ana) {
    const double h = 1e-5 * std::fmax(1.0, std::fabs(v[k]));
    const double keep = v[k];
    v[k] = keep + h;
    const double lp = loss(x, gamma, beta);
    v[k] = keep - h;
    const double lm = loss(x, gamma, beta);
    v[k] = keep;
    const double num = (lp - lm) / (2 * h);
    return std::make_pair(num - ana[k], ana[k]);
  };
  double num2 = 0, den2 = 0;
  for (int64_t k = 0; k < B * F; ++k) {
    auto d = fd(x, k, dx);
    num2 += d.first * d.first;
    den2 += d.second * d.second;
  }
  for (int64_t k = 0; k < F; ++k) {
    auto a = fd(gamma, k, dgamma), b = fd(beta, k, dbeta);
    num2 += a.first * a.first + b.first * b.first;
    den2 += a.second * a.second + b.second * b.second;
  }
  const double rel = std::sqrt(num2 / den2);
  if (!(rel < 1e-6)) std::printf("  fd rel error %.3g\n", rel);
  check(rel < 1e-6, "batchnorm backward formula vs finite differences " + shape(B, F));
}

static void test_batchnorm(int64_t B, int64_t F, bool relu, bool zero_var_cols) {
  const std::string tag = shape(B, F) + (relu ? " relu" : "") + (zero_var_cols ? " zero-var" : "");
  const float eps = 1e-3f, momentum = 0.99f;
  fvec x = randn(B * F, 3.0f, 2.0f), gamma = randn(F, 1.0f, 0.5f), beta = randn(F),
       dy = randn(B * F), rm = randn(F), rv(F);
  for (auto& v : rv) v = 0.5f + std::fabs(randn(1)[0]);
  if (zero_var_cols) {  // every other feature constant over the batch
    for (int64_t j = 0; j < F; j += 2)
      for (int64_t i = 0; i < B; ++i) x[i * F + j] = 0.1f * static_cast<float>(j + 1);
  }
  const BnRef r = ref_bn_forward(B, F, to_d(x), to_d(gamma), to_d(beta), eps, relu);

  // Training forward, out of place and in place.
  fvec y(B * F), rm1 = rm, rv1 = rv, smean(F), sinv(F);
  batchnorm_forward_train(B, F, x.data(), gamma.data(), beta.data(), eps, momentum, rm1.data(),
                          rv1.data(), smean.data(), sinv.data(), y.data(), relu);
  check_close(y.data(), r.y.data(), B * F, 2e-5, "bn forward y " + tag);
  check_close(smean.data(), r.mean.data(), F, 1e-6, "bn saved_mean " + tag);
  check_close(sinv.data(), r.inv_std.data(), F, 2e-5, "bn saved_inv_std " + tag);
  dvec rm_ref(F), rv_ref(F);
  for (int64_t j = 0; j < F; ++j) {
    rm_ref[j] = 0.99 * rm[j] + 0.01 * r.mean[j];
    rv_ref[j] = 0.99 * rv[j] + 0.01 * r.var[j];
  }
  check_close(rm1.data(), rm_ref.data(), F, 1e-6, "bn running_mean " + tag);
  check_close(rv1.data(), rv_ref.data(), F, 1e-6, "bn running_var " + tag);
  if (B == 1) {
    bool eq = true;
    for (int64_t j = 0; j < F; ++j) eq &= y[j] == (relu ? std::fmax(beta[j], 0.0f) : beta[j]);
    check(eq, "bn batch 1 gives y == beta exactly " + tag);
  }
  fvec yi = x, rm2 = rm, rv2 = rv, smean2(F), sinv2(F);
  batchnorm_forward_train(B, F, yi.data(), gamma.data(), beta.data(), eps, momentum, rm2.data(),
                          rv2.data(), smean2.data(), sinv2.data(), yi.data(), relu);
  check(std::memcmp(yi.data(), y.data(), y.size() * 4) == 0, "bn forward in place == out " + tag);

  // Inference forward against its own formula (with the original running stats).
  dvec yinf(B * F);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < F; ++j) {
      double v = static_cast<double>(gamma[j]) * (x[i * F + j] - static_cast<double>(rm[j])) /
                     std::sqrt(static_cast<double>(rv[j]) + eps) +
                 beta[j];
      yinf[i * F + j] = relu ? std::fmax(v, 0.0) : v;
    }
  fvec y2(B * F);
  batchnorm_forward_infer(B, F, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), eps,
                          y2.data(), relu);
  check_close(y2.data(), yinf.data(), B * F, 2e-5, "bn infer " + tag);
  fvec y3 = x;
  batchnorm_forward_infer(B, F, y3.data(), gamma.data(), beta.data(), rm.data(), rv.data(), eps,
                          y3.data(), relu);
  check(std::memcmp(y3.data(), y2.data(), y2.size() * 4) == 0, "bn infer in place " + tag);

  // Backward (from the kernel's own saved stats, the reference formula in double).
  dvec dx_ref, dg_ref, db_ref;
  ref_bn_backward(B, F, to_d(x), relu ? to_d(y) : dvec{}, to_d(dy), to_d(gamma), to_d(smean),
                  to_d(sinv), dx_ref, dg_ref, db_ref);
  fvec dx(B * F), dg(F), db(F);
  batchnorm_backward(B, F, x.data(), relu ? y.data() : nullptr, dy.data(), gamma.data(),
                     smean.data(), sinv.data(), dx.data(), dg.data(), db.data());
  check_close(dx.data(), dx_ref.data(), B * F, 1e-4, "bn backward dx " + tag);
  check_close(dg.data(), dg_ref.data(), F, 2e-5, "bn backward dgamma " + tag);
  check_close(db.data(), db_ref.data(), F, 2e-5, "bn backward dbeta " + tag);
  if (B == 1) {
    bool zero = true;
    for (float v : dx) zero &= v == 0.0f;
    check(zero, "bn batch 1 backward dx == 0 " + tag);
  }
  fvec dxi = dy, dg2(F), db2(F);
  batchnorm_backward(B, F, x.data(), relu ? y.data() : nullptr, dxi.data(), gamma.data(),
                     smean.data(), sinv.data(), dxi.data(), dg2.data(), db2.data());
  check(std::memcmp(dxi.data(), dx.data(), dx.size() * 4) == 0, "bn backward dx aliasing dy " + tag);
}

// Hard statistics: |mean| >> std, tiny and huge scales, and a sorted feature
// (every row group's first row far from the batch mean). |mean| / std stays
// <= 5000: beyond that the float saved_mean's own rounding (half an ulp of
// the mean, part of the contract) dominates y's error, as does the float
// input's quantisation of its deviations.
static void test_bn_hard_stats() {
  const int64_t B = 1000, F = 4;
  const float eps = 1e-5f;
  std::normal_distribution<double> nd(0.0, 1.0);
  fvec x(B * F), gamma(F, 1.0f), beta(F, 0.0f), rm(F, 0.0f), rv(F, 1.0f), sm(F), si(F), y(B * F);
  std::vector<double> sorted(B);
  for (auto& v : sorted) v = nd(rng);
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < B; ++i) {
    x[i * F + 0] = static_cast<float>(1000.0 + 0.5 * nd(rng));
    x[i * F + 1] = static_cast<float>(-500.0 + 0.1 * nd(rng));
    x[i * F + 2] = static_cast<float>(1e4 * nd(rng));
    x[i * F + 3] = static_cast<float>(50.0 + 3.0 * sorted[i]);
  }
  const BnRef r = ref_bn_forward(B, F, to_d(x), to_d(gamma), to_d(beta), eps, false);
  batchnorm_forward_train(B, F, x.data(), gamma.data(), beta.data(), eps, 0.9f, rm.data(), rv.data(),
                          sm.data(), si.data(), y.data(), false);
  bool ok = true;
  for (int64_t j = 0; j < F; ++j) {
    const double rel = std::fabs(si[j] - r.inv_std[j]) / r.inv_std[j];
    if (!(rel < 1e-5)) std::printf("  feature %lld inv_std rel err %.3g\n", static_cast<long long>(j), rel);
    ok &= rel < 1e-5;
  }
  check(ok, "bn inv_std with |mean| >> std, extreme scales, sorted rows");
  check_close(y.data(), r.y.data(), B * F, 1e-4, "bn y with hard statistics");
}

// ---------------------------------------------------------------- element-wise

static double ref_act(Activation f, double x, double slope) {
  switch (f) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0 ? x : 0;
    case Activation::LeakyRelu: return x > 0 ? x : slope * x;
    case Activation::Tanh: return std::tanh(x);
    case Activation::Sigmoid: return 1 / (1 + std::exp(-x));
  }
  return 0;
}
static double ref_act_grad(Activation f, double y, double slope) {
  switch (f) {
    case Activation::Linear: return 1;
    case Activation::Relu: return y > 0 ? 1 : 0;
    case Activation::LeakyRelu: return y > 0 ? 1 : slope;
    case Activation::Tanh: return 1 - y * y;
    case Activation::Sigmoid: return y * (1 - y);
  }
  return 0;
}

static void test_activations(int64_t n) {
  const Activation all[] = {Activation::Linear, Activation::Relu, Activation::LeakyRelu,
                            Activation::Tanh, Activation::Sigmoid};
  const char* names[] = {"linear", "relu", "leaky", "tanh", "sigmoid"};
  const float slope = 0.2f;
  for (int a = 0; a < 5; ++a) {
    const Activation f = all[a];
    const std::string tag = std::string(names[a]) + " n=" + std::to_string(n);
    fvec x = randn(n, 0.0f, 3.0f), dy = randn(n);
    if (n > 2) x[0] = 100.0f, x[1] = -100.0f, x[2] = 0.0f;
    dvec yref(n), dxref(n);
    fvec y(n), dx(n);
    activation_forward(f, n, x.data(), y.data(), slope);
    for (int64_t i = 0; i < n; ++i) yref[i] = ref_act(f, x[i], slope);
    check_close(y.data(), yref.data(), n, 1e-6, "act forward " + tag);
    for (int64_t i = 0; i < n; ++i) dxref[i] = dy[i] * ref_act_grad(f, y[i], slope);
    activation_backward(f, n, y.data(), dy.data(), dx.data(), slope);
    check_close(dx.data(), dxref.data(), n, 1e-6, "act backward " + tag);
    fvec yi = x;
    activation_forward(f, n, yi.data(), yi.data(), slope);
    check(yi == y, "act forward in place " + tag);
    fvec dxi = dy;
    activation_backward(f, n, y.data(), dxi.data(), dxi.data(), slope);
    check(dxi == dx, "act backward in place " + tag);
  }
  // A NaN passes through ReLU (so find_nonfinite can still see it).
  fvec nan1{1.0f, NAN, -1.0f}, out(3);
  activation_forward(Activation::Relu, 3, nan1.data(), out.data(), 0);
  check(std::isnan(out[1]) && out[2] == 0.0f, "relu keeps NaN");
}

static void test_softmax(int64_t rows, int64_t cols) {
  const std::string tag = shape(rows, cols);
  fvec x = randn(rows * cols, 0.0f, 5.0f), dy = randn(rows * cols);
  if (cols >= 2) x[0] = 100.0f, x[1] = -100.0f;
  dvec yref(rows * cols), dxref(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    double mx = -INFINITY, s = 0;
    for (int64_t j = 0; j < cols; ++j) mx = std::fmax(mx, x[r * cols + j]);
    for (int64_t j = 0; j < cols; ++j) s += std::exp(x[r * cols + j] - mx);
    for (int64_t j = 0; j < cols; ++j) yref[r * cols + j] = std::exp(x[r * cols + j] - mx) / s;
  }
  fvec y(rows * cols);
  softmax_forward(rows, cols, x.data(), y.data());
  check_close(y.data(), yref.data(), rows * cols, 1e-6, "softmax forward " + tag);
  fvec yi = x;
  softmax_forward(rows, cols, yi.data(), yi.data());
  check(yi == y, "softmax forward in place " + tag);
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0;
    for (int64_t j = 0; j < cols; ++j) dot += static_cast<double>(dy[r * cols + j]) * y[r * cols + j];
    for (int64_t j = 0; j < cols; ++j)
      dxref[r * cols + j] = static_cast<double>(y[r * cols + j]) * (dy[r * cols + j] - dot);
  }
  fvec dx(rows * cols);
  softmax_backward(rows, cols, y.data(), dy.data(), dx.data());
  check_close(dx.data(), dxref.data(), rows * cols, 1e-6, "softmax backward " + tag);
  fvec dxi = dy;
  softmax_backward(rows, cols, y.data(), dxi.data(), dxi.data());
  check(dxi == dx, "softmax backward in place " + tag);
}

// Losses: reference loss and gradient in double from the mathematical
// definitions (log of the probabilities), fine for the moderate logits used.
static void test_losses(int64_t rows, int64_t cols) {
  const std::string tag = shape(rows, cols);
  const int64_t n = rows * cols;
  const float scale = 1.0f / static_cast<float>(rows);
  fvec z = randn(n, 0.0f, 3.0f);
  // BCE
  {
    fvec y(n);
    for (auto& v : y) v = static_cast<float>(rng() % 2);
    if (n > 1) y[1] = 0.3f;  // soft target
    double lref = 0;
    dvec pref(n), dref(n);
    for (int64_t i = 0; i < n; ++i) {
      double p = 1 / (1 + std::exp(-static_cast<double>(z[i])));
      lref += -(y[i] * std::log(p) + (1 - y[i]) * std::log(1 - p));
      pref[i] = p;
      dref[i] = scale * (p - y[i]);
    }
    fvec p(n), dz(n);
    double l =
        loss_sigmoid_bce(rows, cols, z.data(), y.data(), scale, p.data(), dz.data(), nullptr);
    check_close_scalar(l, lref, 1e-6, "bce loss " + tag);
    check_close(p.data(), pref.data(), n, 1e-6, "bce probs " + tag);
    check_close(dz.data(), dref.data(), n, 1e-6, "bce dz " + tag);
    fvec zi = z;
    double l2 =
        loss_sigmoid_bce(rows, cols, zi.data(), y.data(), scale, nullptr, zi.data(), nullptr);
    check(l2 == l && zi == dz, "bce dz aliasing z " + tag);
  }
  // CE with labels, and dense one-hot / soft targets
  {
    std::vector<int32_t> labels(rows);
    for (auto& l : labels) l = static_cast<int32_t>(rng() % cols);
    fvec onehot(n, 0.0f), soft(n);
    for (int64_t r = 0; r < rows; ++r) onehot[r * cols + labels[r]] = 1.0f;
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) s += (soft[r * cols + j] = 0.1f + (rng() % 100) / 100.0f);
      for (int64_t j = 0; j < cols; ++j)
        soft[r * cols + j] = static_cast<float>(soft[r * cols + j] / s);
    }
    dvec pref(n);
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) s += std::exp(static_cast<double>(z[r * cols + j]));
      for (int64_t j = 0; j < cols; ++j)
        pref[r * cols + j] = std::exp(static_cast<double>(z[r * cols + j])) / s;
    }
    auto ref_dense = [&](const fvec& y, dvec& dref) {
      double l = 0;
      dref.assign(n, 0);
      for (int64_t r = 0; r < rows; ++r) {
        double ys = 0;
        for (int64_t j = 0; j < cols; ++j) ys += y[r * cols + j];
        for (int64_t j = 0; j < cols; ++j) {
          l -= y[r * cols + j] * std::log(pref[r * cols + j]);
          dref[r * cols + j] = scale * (pref[r * cols + j] * ys - y[r * cols + j]);
        }
      }
      return l;
    };
    dvec dref_onehot, dref_soft;
    const double l_onehot = ref_dense(onehot, dref_onehot), l_soft = ref_dense(soft, dref_soft);
    fvec p(n), dz(n);
    double l = loss_softmax_ce_labels(rows, cols, z.data(), labels.data(), scale, p.data(),
                                      dz.data(), nullptr);
    check_close_scalar(l, l_onehot, 1e-6, "ce labels loss " + tag);
    check_close(p.data(), pref.data(), n, 1e-6, "ce labels probs " + tag);
    check_close(dz.data(), dref_onehot.data(), n, 1e-6, "ce labels dz " + tag);
    fvec zi = z;
    double l2 = loss_softmax_ce_labels(rows, cols, zi.data(), labels.data(), scale, nullptr,
                                       zi.data(), nullptr);
    check(l2 == l && zi == dz, "ce labels dz aliasing z " + tag);
    check(loss_softmax_ce_labels(rows, cols, z.data(), labels.data(), scale, nullptr, nullptr,
                                 nullptr) == l,
          "ce labels loss only " + tag);

    fvec pd(n), dzd(n);
    double ld = loss_softmax_ce_dense(rows, cols, z.data(), onehot.data(), scale, pd.data(),
                                      dzd.data(), nullptr);
    check_close_scalar(ld, l_onehot, 1e-6, "ce dense one-hot loss " + tag);
    check_close(dzd.data(), dref_onehot.data(), n, 1e-6, "ce dense one-hot dz " + tag);
    ld = loss_softmax_ce_dense(rows, cols, z.data(), soft.data(), scale, pd.data(), dzd.data(),
                               nullptr);
    check_close_scalar(ld, l_soft, 1e-6, "ce dense soft loss " + tag);
    check_close(pd.data(), pref.data(), n, 1e-6, "ce dense probs " + tag);
    check_close(dzd.data(), dref_soft.data(), n, 1e-6, "ce dense soft dz " + tag);
    zi = z;
    double ld2 = loss_softmax_ce_dense(rows, cols, zi.data(), soft.data(), scale, nullptr,
                                       zi.data(), nullptr);
    check(ld2 == ld && zi == dzd, "ce dense dz aliasing z " + tag);
  }
  // MSE
  {
    fvec y = randn(n);
    double lref = 0;
    dvec dref(n);
    for (int64_t i = 0; i < n; ++i) {
      double d = static_cast<double>(z[i]) - y[i];
      lref += d * d;
      dref[i] = scale * 2 * d;
    }
    fvec dz(n);
    double l = loss_mse(rows, cols, z.data(), y.data(), scale, dz.data(), nullptr);
    check_close_scalar(l, lref, 1e-12, "mse loss " + tag);
    check_close(dz.data(), dref.data(), n, 1e-6, "mse dz " + tag);
    fvec zi = z;
    check(loss_mse(rows, cols, zi.data(), y.data(), scale, zi.data(), nullptr) == l && zi == dz,
          "mse dz aliasing z " + tag);
  }
}

// Huber and MAE against float64 references: a = |z - y| spans both of Huber's
// pieces (z ~ N(0, 3) against y ~ N(0, 1)), and a few elements sit exactly on
// the kink (|z - y| = delta) or on z = y, where MAE's gradient is 0.
static void test_regression_losses(int64_t rows, int64_t cols) {
  const std::string tag = shape(rows, cols);
  const int64_t n = rows * cols;
  const float scale = 1.0f / static_cast<float>(n);
  fvec z = randn(n, 0.0f, 3.0f), y = randn(n);
  if (n > 2) {
    z[0] = y[0];         // z = y
    z[1] = y[1] + 1.0f;  // |z - y| = delta (1) when y[1] + 1 is exact enough
    z[2] = y[2] - 2.5f;
  }
  for (double delta : {0.5, 1.0, 2.5}) {
    double lref = 0;
    dvec dref(n);
    for (int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(z[i]) - y[i];
      lref += std::fabs(d) <= delta ? 0.5 * d * d : delta * (std::fabs(d) - 0.5 * delta);
      dref[i] = scale * std::fmax(-delta, std::fmin(delta, d));
    }
    const std::string what = "huber delta " + std::to_string(delta) + " " + tag;
    fvec dz(n);
    double l = loss_huber(rows, cols, z.data(), y.data(), delta, scale, dz.data(), nullptr);
    check_close_scalar(l, lref, 1e-12, what + " loss");
    check_close(dz.data(), dref.data(), n, 1e-6, what + " dz");
    fvec zi = z;
    check(loss_huber(rows, cols, zi.data(), y.data(), delta, scale, zi.data(), nullptr) == l &&
              zi == dz,
          what + " dz aliasing z");
    check(loss_huber(rows, cols, z.data(), y.data(), delta, scale, nullptr, nullptr) == l,
          what + " loss only");
  }
  {
    double lref = 0;
    dvec dref(n);
    for (int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(z[i]) - y[i];
      lref += std::fabs(d);
      dref[i] = scale * (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0);
    }
    fvec dz(n);
    double l = loss_mae(rows, cols, z.data(), y.data(), scale, dz.data(), nullptr);
    check_close_scalar(l, lref, 1e-12, "mae loss " + tag);
    check_close(dz.data(), dref.data(), n, 1e-6, "mae dz " + tag);
    if (n > 2) check(dz[0] == 0.0f, "mae dz = 0 at z = y " + tag);
    fvec zi = z;
    check(loss_mae(rows, cols, zi.data(), y.data(), scale, zi.data(), nullptr) == l && zi == dz,
          "mae dz aliasing z " + tag);
  }
  // Far outside delta the Huber loss is linear and its gradient is exactly +-delta * scale.
  const fvec zf{1e4f, -1e4f}, yf{0.0f, 0.0f};
  fvec df(2);
  const double lf = loss_huber(1, 2, zf.data(), yf.data(), 1.0, 1.0f, df.data(), nullptr);
  check(lf == 2 * (1e4 - 0.5) && df[0] == 1.0f && df[1] == -1.0f, "huber |z - y| = 1e4");
}

// One loss kernel over rows [r0, r0 + count) of its test's arrays: (r0, count, scale, dz, weights).
using RowLoss = std::function<double(int64_t, int64_t, float, float*, const float*)>;

// Row weights against the kernel on one row at a time: the weighted sum is Σ w_r * loss(row r),
// and row r's gradient is the unweighted one at scale * w_r, both bitwise (the same operations in
// the same order). Null weights are all ones, bitwise; a weight 0 zeroes the row's gradient.
static void check_row_weights(const std::string& name, int64_t rows, int64_t cols,
                              const RowLoss& loss) {
  const std::string tag = name + " " + shape(rows, cols);
  const int64_t n = rows * cols;
  const float scale = 0.25f;
  fvec w(rows);
  for (int64_t r = 0; r < rows; ++r)
    w[r] = r % 4 == 0 ? 0.0f : r % 4 == 1 ? 1.0f : r % 4 == 2 ? 3.0f : 0.37f;
  fvec ones(rows, 1.0f), dz_null(n), dz_ones(n), dz(n);
  const double plain = loss(0, rows, scale, dz_null.data(), nullptr);
  check(loss(0, rows, scale, dz_ones.data(), ones.data()) == plain && dz_ones == dz_null,
        tag + ": null weights = all ones");
  const double weighted = loss(0, rows, scale, dz.data(), w.data());
  // Row by row within each chunk of kLossRows rows, then the chunks in order (losses.h).
  double sum = 0.0, chunk = 0.0;
  bool rows_same = true, zero_rows = true;
  for (int64_t r = 0; r < rows; ++r) {
    fvec row(cols);
    chunk += static_cast<double>(w[r]) * loss(r, 1, scale * w[r], row.data(), nullptr);
    if ((r + 1) % kLossRows == 0 || r + 1 == rows) {
      sum += chunk;
      chunk = 0.0;
    }
    rows_same &= std::memcmp(row.data(), dz.data() + r * cols, cols * sizeof(float)) == 0;
    for (int64_t j = 0; j < cols && w[r] == 0.0f; ++j) zero_rows &= dz[r * cols + j] == 0.0f;
  }
  check(weighted == sum, tag + ": weighted sum = Σ w_r loss_r");
  check(rows_same, tag + ": weighted gradient rows = gradient at scale * w_r");
  check(zero_rows, tag + ": weight 0 zeroes the row's gradient");
}

static void test_row_weights(int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  const fvec z = randn(n, 0.0f, 3.0f), y = randn(n), soft = randn(n, 0.5f, 0.2f);
  fvec binary(n);
  for (auto& v : binary) v = static_cast<float>(rng() % 2);
  std::vector<int32_t> labels(rows);
  for (auto& l : labels) l = static_cast<int32_t>(rng() % cols);
  fvec probs(n);
  const auto at = [cols](const fvec& v, int64_t r0) { return v.data() + r0 * cols; };
  check_row_weights(
      "bce", rows, cols, [&](int64_t r0, int64_t k, float s, float* d, const float* w) {
        return loss_sigmoid_bce(k, cols, at(z, r0), at(binary, r0), s, probs.data(), d, w);
      });
  check_row_weights(
      "ce labels", rows, cols, [&](int64_t r0, int64_t k, float s, float* d, const float* w) {
        return loss_softmax_ce_labels(k, cols, at(z, r0), labels.data() + r0, s, nullptr, d, w);
      });
  check_row_weights(
      "ce dense", rows, cols, [&](int64_t r0, int64_t k, float s, float* d, const float* w) {
        return loss_softmax_ce_dense(k, cols, at(z, r0), at(soft, r0), s, probs.data(), d, w);
      });
  check_row_weights("mse", rows, cols,
                    [&](int64_t r0, int64_t k, float s, float* d, const float* w) {
                      return loss_mse(k, cols, at(z, r0), at(y, r0), s, d, w);
                    });
  check_row_weights("huber", rows, cols,
                    [&](int64_t r0, int64_t k, float s, float* d, const float* w) {
                      return loss_huber(k, cols, at(z, r0), at(y, r0), 1.5, s, d, w);
                    });
  check_row_weights("mae", rows, cols,
                    [&](int64_t r0, int64_t k, float s, float* d, const float* w) {
                      return loss_mae(k, cols, at(z, r0), at(y, r0), s, d, w);
                    });
}

static void test_extreme_logits() {
  // BCE at z = +-100: losses 0 or 100, gradients exactly p - y.
  const fvec z{100.0f, -100.0f, 100.0f, -100.0f};
  const fvec y{1.0f, 0.0f, 0.0f, 1.0f};
  fvec p(4), dz(4);
  double l = loss_sigmoid_bce(1, 4, z.data(), y.data(), 1.0f, p.data(), dz.data(), nullptr);
  check(std::isfinite(l) && std::fabs(l - 200.0) < 1e-9, "bce +-100 loss = 200");
  // sigmoid(-100) = 3.7e-44 (a float denormal), so dz[1] is tiny, not 0.
  check(dz[0] == 0.0f && dz[1] >= 0.0f && dz[1] < 1e-40f && dz[2] == 1.0f && dz[3] == -1.0f,
        "bce +-100 gradient");
  // CE at logits (100, -100, 0): label 1 costs 200, label 0 costs ~0.
  const fvec zc{100.0f, -100.0f, 0.0f, 100.0f, -100.0f, 0.0f};
  const std::vector<int32_t> lab{1, 0};
  fvec pc(6), dc(6);
  l = loss_softmax_ce_labels(2, 3, zc.data(), lab.data(), 1.0f, pc.data(), dc.data(), nullptr);
  const double expect = 200.0 + 2 * std::log1p(std::exp(-100.0) + std::exp(-200.0));
  check(std::isfinite(l) && std::fabs(l - expect) < 1e-9, "ce +-100 loss");
  check(dc[0] == 1.0f && dc[1] == -1.0f && dc[2] >= 0.0f && dc[2] < 1e-40f && dc[3] == 0.0f,
        "ce +-100 gradient");
  fvec onehot{0, 1, 0, 1, 0, 0};
  double ld =
      loss_softmax_ce_dense(2, 3, zc.data(), onehot.data(), 1.0f, nullptr, dc.data(), nullptr);
  check(std::isfinite(ld) && std::fabs(ld - expect) < 1e-9, "ce dense +-100 loss");
  fvec big{1000.0f, -1000.0f}, sm(2);
  softmax_forward(1, 2, big.data(), sm.data());
  check(sm[0] == 1.0f && sm[1] == 0.0f, "softmax +-1000 finite");
  fvec sg(2);
  activation_forward(Activation::Sigmoid, 2, big.data(), sg.data(), 0);
  check(sg[0] == 1.0f && sg[1] == 0.0f, "sigmoid +-1000 finite");
}

static void test_misc() {
  // dropout
  for (int64_t n : {1, 7, 33, 257, 100000}) {
    fvec x = randn(n);
    std::vector<uint8_t> mask(n);
    for (auto& m : mask) m = static_cast<uint8_t>(rng() % 2);
    dvec ref(n);
    for (int64_t i = 0; i < n; ++i) ref[i] = x[i] * mask[i] / 0.7;
    fvec y(n);
    dropout_apply(n, x.data(), mask.data(), 0.7f, y.data());
    check_close(y.data(), ref.data(), n, 1e-6, "dropout n=" + std::to_string(n));
    fvec yi = x;
    dropout_apply(n, yi.data(), mask.data(), 0.7f, yi.data());
    check(yi == y, "dropout in place n=" + std::to_string(n));
  }
  // dropout masks: known answers from lib/backend/js/elementwise.ts, state [1, 2, 3, 4], keep 0.5
  {
    uint32_t state[4] = {1, 2, 3, 4};
    std::vector<uint8_t> mask(10);
    dropout_mask(10, 0.5, state, mask.data());
    const uint8_t expected[10] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    check(std::equal(mask.begin(), mask.end(), expected), "dropout mask known answer");
    // Two xoshiro128** steps, whatever the count.
    check(state[0] == 12295u && state[1] == 1029u && state[2] == 1029u && state[3] == 25165824u,
          "dropout mask advances the state by two steps");
    uint32_t s2[4] = {5, 6, 7, 8};
    std::vector<uint8_t> big(100000);
    dropout_mask(100000, 0.3, s2, big.data());
    int64_t kept = 0;
    for (uint8_t m : big) kept += m;
    check(std::abs(kept / 100000.0 - 0.3) < 0.01, "dropout mask keeps ~30%");
  }
  // column sums (with a row stride larger than cols, beta 0 and beta != 0)
  for (int64_t rows : {1, 2, 5, 128, 1000})
    for (int64_t cols : {1, 7, 33, 257}) {
      const int64_t ld = cols + 3;
      fvec x = randn(rows * ld);
      fvec out(cols, NAN);  // beta == 0: out is write-only, NaN must not leak
      dvec ref(cols, 0.0);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) ref[j] += x[i * ld + j];
      dvec ref0(cols), ref1(cols);
      for (int64_t j = 0; j < cols; ++j) ref0[j] = 0.5 * ref[j];
      column_sums(rows, cols, x.data(), ld, 0.5f, 0.0f, out.data());
      check_close(out.data(), ref0.data(), cols, 1e-6, "column_sums beta=0 " + shape(rows, cols));
      for (int64_t j = 0; j < cols; ++j) ref1[j] = 0.9 * out[j] + 2.0 * ref[j];
      column_sums(rows, cols, x.data(), ld, 2.0f, 0.9f, out.data());
      check_close(out.data(), ref1.data(), cols, 1e-6, "column_sums beta=0.9 " + shape(rows, cols));
    }
  // axpy
  for (int64_t n : {1, 7, 257, 100000}) {
    fvec x = randn(n), y = randn(n);
    dvec ref(n);
    for (int64_t i = 0; i < n; ++i) ref[i] = y[i] + 0.01 * x[i];
    axpy(n, 0.01f, x.data(), y.data());
    check_close(y.data(), ref.data(), n, 1e-6, "axpy n=" + std::to_string(n));
  }
  // find_nonfinite: NaN and Inf anywhere, first one wins, clean data gives -1
  for (int64_t n : {1, 7, 1000, 100000, 300000}) {
    fvec x = randn(n);
    check(find_nonfinite(n, x.data()) == -1, "find_nonfinite clean n=" + std::to_string(n));
    const int64_t at[] = {n - 1, n / 2, n / 3, 0};
    for (int64_t k : at) {
      x[k] = (k % 2) ? INFINITY : NAN;
      check(find_nonfinite(n, x.data()) == k,
            "find_nonfinite at " + std::to_string(k) + " n=" + std::to_string(n));
    }
    x[n - 1] = -INFINITY;
    x[0] = 1.0f;
    check(find_nonfinite(n, x.data()) == (n > 1 ? n / 3 : -1), "find_nonfinite first wins");
  }
  // NaN input propagates through a layer's kernels to find_nonfinite
  {
    fvec x = randn(5 * 7), g(7, 1.0f), b(7, 0.0f), rm(7, 0.0f), rv(7, 1.0f), sm(7), si(7), y(35);
    x[12] = NAN;
    batchnorm_forward_train(5, 7, x.data(), g.data(), b.data(), 1e-3f, 0.99f, rm.data(), rv.data(),
                            sm.data(), si.data(), y.data(), true);
    activation_forward(Activation::Tanh, 35, y.data(), y.data(), 0);
    check(find_nonfinite(35, y.data()) >= 0 && find_nonfinite(7, rm.data()) == 5,
          "NaN input reaches find_nonfinite through bn + tanh");
  }
}

// ---------------------------------------------------------------- gather ahead

// GatherAhead leaves gather_rows's rows once settled, with parallel kernels run between its start
// and settle, on one thread and on two (where it must also have run beside the caller), from two
// callers at once, and refuses a bad index before it writes anything.
static void test_gather_ahead() {
  const int64_t rows = 3000, cols = 784;
  const fvec src = randn(rows * cols);
  fvec x = randn(200000), y(x.size());
  auto expect_rows = [&](const fvec& dst, const std::vector<uint32_t>& idx, const std::string& what) {
    bool ok = true;
    for (size_t i = 0; i < idx.size(); ++i)
      ok = ok && std::memcmp(dst.data() + i * cols, src.data() + int64_t(idx[i]) * cols,
                             sizeof(float) * cols) == 0;
    check(ok && dst[idx.size() * cols] == -3.0f, what);
  };
  for (int threads : {1, 2}) {
    pool_set_threads(threads);
    int beside = 0;
    for (int round = 0; round < 60; ++round) {
      const int64_t count = std::vector<int64_t>{128, 1, 7, 100, 9}[round % 5];
      std::vector<uint32_t> idx(count);
      for (auto& v : idx) v = uint32_t(rng() % rows);
      fvec dst(count * cols + 1, -3.0f);
      GatherAhead ahead;
      axpy(int64_t(x.size()), 0.5f, x.data(), y.data());  // the worker spins after a pool job
      check(ahead.start(count, cols, rows, src.data(), idx.data(), dst.data()) == -1,
            "gather ahead start");
      beside += ahead.pending();
      axpy(int64_t(x.size()), 0.25f, x.data(), y.data());  // pool jobs come first
      ahead.settle();
      check(!ahead.pending(), "gather ahead settled");
      expect_rows(dst, idx, "gather ahead rows, " + std::to_string(threads) + " threads, round " +
                                std::to_string(round));
    }
    if (threads == 1) check(beside == 0, "gather ahead runs on the caller on one thread");
    else check(beside > 0, "gather ahead ran beside the caller on two threads");
  }
  // Two callers at once, each with gathers in flight while the other posts pool jobs: the one
  // background slot goes to one of them, the other copies on its own thread.
  {
    bool ok[2] = {true, true};
    auto caller = [&](int who) {
      fvec z = randn(100000), w(z.size());
      for (int round = 0; round < 40; ++round) {
        std::vector<uint32_t> idx(50);
        for (size_t i = 0; i < idx.size(); ++i) idx[i] = uint32_t((round * 131 + i * 7 + who) % rows);
        fvec dst(idx.size() * cols + 1, -3.0f);
        GatherAhead ahead;
        ahead.start(int64_t(idx.size()), cols, rows, src.data(), idx.data(), dst.data());
        axpy(int64_t(z.size()), 0.5f, z.data(), w.data());
        ahead.settle();
        for (size_t i = 0; i < idx.size(); ++i)
          ok[who] = ok[who] && std::memcmp(dst.data() + i * cols, src.data() + int64_t(idx[i]) * cols,
                                           sizeof(float) * cols) == 0;
      }
    };
    std::thread other(caller, 1);
    caller(0);
    other.join();
    check(ok[0] && ok[1], "gather ahead from two callers at once");
  }
  // A bad index: its position, nothing posted or written; then a valid start on the same object.
  {
    GatherAhead ahead;
    std::vector<uint32_t> idx = {0, 5, uint32_t(rows), 2};
    fvec dst(4 * cols + 1, -3.0f);
    check(ahead.start(4, cols, rows, src.data(), idx.data(), dst.data()) == 2 && !ahead.pending(),
          "gather ahead reports a bad index");
    check(std::all_of(dst.begin(), dst.end(), [](float v) { return v == -3.0f; }),
          "gather ahead writes nothing for a bad index");
    idx[2] = 9;
    ahead.start(4, cols, rows, src.data(), idx.data(), dst.data());
    ahead.settle();
    expect_rows(dst, idx, "gather ahead after a refused start");
  }
}

// ---------------------------------------------------------------- expand_rows

// Stored rows: runs and one-hot levels laid out at random, against a naive expansion.
static void test_expand_rows() {
  for (int64_t count : {0, 1, 7, 300, 3000})
    for (int parts : {0, 1, 5, 40}) {
      // The layout: parts alternating runs and one-hot blocks, at consecutive places.
      std::vector<int32_t> layout;
      int32_t at = 0, into = 0;
      for (int p = 0; p < parts; ++p) {
        const int32_t width = 1 + static_cast<int32_t>(rng() % 9);
        const bool onehot = p % 2 == 1;
        layout.insert(layout.end(), {at, into, onehot ? -width : width});
        at += onehot ? 1 : width;
        into += width;
      }
      const int64_t stride = at + 1, cols = into + 3;  // 3 columns no part writes
      const int64_t rows = 50;
      fvec src(rows * stride);
      for (int64_t r = 0; r < rows; ++r) {
        for (int p = 0; p < parts; ++p) {
          const int32_t n = layout[3 * p + 2];
          float* s = &src[r * stride + layout[3 * p]];
          if (n > 0)
            for (int32_t j = 0; j < n; ++j) s[j] = static_cast<float>(rng() % 1000) / 7.0f;
          else
            s[0] = static_cast<float>(rng() % (-n + 1));  // -n: no level
        }
        src[r * stride + stride - 1] = static_cast<float>(r);
      }
      std::vector<uint32_t> indices(count);
      for (auto& i : indices) i = static_cast<uint32_t>(rng() % rows);
      fvec ref(count * cols, 0.0f), refT(count);
      for (int64_t i = 0; i < count; ++i) {
        const float* s = &src[indices[i] * stride];
        for (int p = 0; p < parts; ++p) {
          const int32_t n = layout[3 * p + 2];
          if (n > 0)
            for (int32_t j = 0; j < n; ++j) ref[i * cols + layout[3 * p + 1] + j] = s[layout[3 * p] + j];
          else if (s[layout[3 * p]] < -n)
            ref[i * cols + layout[3 * p + 1] + static_cast<int64_t>(s[layout[3 * p]])] = 1.0f;
        }
        refT[i] = s[stride - 1];
      }
      fvec dst(count * cols, NAN), targets(count, NAN);  // dst is write-only
      const ExpandFault f = expand_rows(count, rows, stride, cols, src.data(), indices.data(), parts,
                                        layout.data(), dst.data(), targets.data());
      const std::string what = "expand_rows count=" + std::to_string(count) + " parts=" + std::to_string(parts);
      check(f.row == -1 && dst == ref && targets == refT, what);
      if (count < 300 || parts == 0) continue;
      // The first bad row is reported, whichever thread met it: a bad index at 250, a bad level at 120.
      indices[250] = static_cast<uint32_t>(rows);
      ExpandFault g = expand_rows(count, rows, stride, cols, src.data(), indices.data(), parts,
                                  layout.data(), dst.data(), targets.data());
      check(g.row == 250 && g.index && g.source == rows, what + " bad index");
      if (parts < 2) continue;
      src[indices[120] * stride + layout[3 * 1]] = 2.5f;
      g = expand_rows(count, rows, stride, cols, src.data(), indices.data(), parts, layout.data(),
                      dst.data(), targets.data());
      check(g.row <= 120 && !g.index && g.part == 1 && g.level == 2.5f, what + " bad level");
    }
}

// ---------------------------------------------------------------- optimizers

constexpr int64_t kFusedN = 100003;  // several chunks: parallel on the pool

// The L2 term read inside each update is bitwise a separate axpy into the gradients followed by
// the update without it, for every gradient read and with the weight decay on and off; and each
// update returns the first parameter it leaves non-finite (-1 when none), whichever chunk it is in.
static void test_fused_terms() {
  using Update = std::function<int64_t(float l2, float wd, double scale, float clip, float* p,
                                       const float* g, float* s1, float* s2)>;
  const std::pair<const char*, Update> updates[] = {
      {"sgd",
       [](float l2, float wd, double scale, float clip, float* p, const float* g, float*, float*) {
         return sgd_update(kFusedN, p, g, 0.05f, wd, l2, scale, clip);
       }},
      {"momentum",
       [](float l2, float wd, double scale, float clip, float* p, const float* g, float* v, float*) {
         return momentum_update(kFusedN, p, g, v, 0.05f, 0.9f, wd, l2, scale, clip);
       }},
      {"rmsprop",
       [](float l2, float wd, double scale, float clip, float* p, const float* g, float* s, float*) {
         return rmsprop_update(kFusedN, p, g, s, 0.01f, 0.9f, 1e-7f, wd, l2, scale, clip);
       }},
      {"adam",
       [](float l2, float wd, double scale, float clip, float* p, const float* g, float* m,
          float* v) { return adam_update(kFusedN, p, g, m, v, 0.01f, 0.9f, 0.999f, 1e-7f, 3, wd, l2, scale, clip); }},
  };
  const fvec p0 = randn(kFusedN), g0 = randn(kFusedN);
  fvec s0 = randn(kFusedN);
  for (auto& x : s0) x = std::fabs(x);
  for (const auto& [name, update] : updates) {
    for (const float wd : {0.0f, 0.01f}) {
      for (const auto& [scale, clip] : {std::pair<double, float>{1.0, 0.0f}, {0.4, 0.0f}, {0.7, 0.5f}}) {
        fvec fp = p0, fg = g0, f1 = s0, f2 = s0, up = p0, ug = g0, u1 = s0, u2 = s0;
        const int64_t fused = update(3e-3f, wd, scale, clip, fp.data(), fg.data(), f1.data(), f2.data());
        axpy(kFusedN, 3e-3f, up.data(), ug.data());
        const int64_t split = update(0.0f, wd, scale, clip, up.data(), ug.data(), u1.data(), u2.data());
        const bool same = std::memcmp(fp.data(), up.data(), kFusedN * 4) == 0 &&
                          std::memcmp(f1.data(), u1.data(), kFusedN * 4) == 0 &&
                          std::memcmp(f2.data(), u2.data(), kFusedN * 4) == 0 &&
                          std::memcmp(fg.data(), g0.data(), kFusedN * 4) == 0;
        check(same && fused == -1 && split == -1,
              std::string(name) + " fused L2 bitwise axpy + update, wd " + std::to_string(wd) +
                  " scale " + std::to_string(scale) + " clip " + std::to_string(clip));
      }
    }
    fvec bad = g0;
    bad[kFusedN - 3] = NAN;
    bad[70001] = INFINITY;
    fvec p = p0, a = s0, b = s0;
    check(update(1e-4f, 0.0f, 1.0, 0.0f, p.data(), bad.data(), a.data(), b.data()) == 70001,
          std::string(name) + " returns the first non-finite parameter");
  }
}

static void test_optimizers() {
  // Adam, hand-computed sequence: p0 = 1, lr 0.1, betas 0.9/0.999, eps 1e-7,
  // wd 0.01, gradients 1, -2, 0.5, 0.25, evaluated in double from the FLOAT
  // values of the hyper-parameters (0.999f = 0.99900001287..., so 1 - beta2
  // is 0.00099998713; with exact decimals v would be off by 1.3e-5 relative).
  // Step 1 by hand: m = 0.1, v = 0.001, mhat = vhat = 1,
  // p = 1 - 0.1 * (1 / (1 + 1e-7) + 0.01 * 1) = 0.89900001.
  const double expect_p[] = {0.8990000085173337, 0.9347113607731997, 0.9474457150858776,
                             0.9513190343213204};
  const double expect_m4 = -0.019100002956389958, expect_v4 = 0.005301188892076518;
  const float gs[] = {1.0f, -2.0f, 0.5f, 0.25f};
  for (int64_t n : {1, 7, 100003}) {  // the same scalar in every element; large n runs parallel
    fvec p(n, 1.0f), m(n, 0.0f), v(n, 0.0f), g(n);
    bool ok = true;
    for (int t = 0; t < 4; ++t) {
      for (auto& x : g) x = gs[t];
      adam_update(n, p.data(), g.data(), m.data(), v.data(), 0.1f, 0.9f, 0.999f, 1e-7f, t + 1, 0.01f, 0.0f);
      for (int64_t i = 0; i < n; ++i) ok &= std::fabs(p[i] - expect_p[t]) < 1e-6;
    }
    ok &= std::fabs(m[n - 1] - expect_m4) < 1e-6 * 0.0191 && std::fabs(v[n - 1] - expect_v4) < 1e-6 * 0.0053;
    check(ok, "adam 4 hand-computed steps n=" + std::to_string(n));
  }
  // Constant gradient: mhat = g, vhat = g^2 every step, so each step moves lr*|g|/(|g|+eps).
  {
    fvec p{0.0f}, m{0.0f}, v{0.0f}, g{0.5f};
    for (int t = 1; t <= 10; ++t)
      adam_update(1, p.data(), g.data(), m.data(), v.data(), 0.01f, 0.9f, 0.999f, 1e-7f, t, 0.0f, 0.0f);
    check(std::fabs(p[0] - (-0.1 * 0.5 / (0.5 + 1e-7))) < 1e-6, "adam constant gradient");
  }
  // SGD, momentum, RMSprop against double references over a few steps.
  const int64_t n = 257;
  fvec p0 = randn(n), grads[3] = {randn(n), randn(n), randn(n)};
  {
    fvec p = p0;
    dvec pr = to_d(p0);
    for (int t = 0; t < 3; ++t) {
      sgd_update(n, p.data(), grads[t].data(), 0.05f, 0.01f, 0.0f);
      for (int64_t i = 0; i < n; ++i) pr[i] -= 0.05 * (grads[t][i] + 0.01 * pr[i]);
    }
    check_close(p.data(), pr.data(), n, 1e-6, "sgd 3 steps");
  }
  {
    fvec p = p0, vel(n, 0.0f);
    dvec pr = to_d(p0), vr(n, 0.0);
    for (int t = 0; t < 3; ++t) {
      momentum_update(n, p.data(), grads[t].data(), vel.data(), 0.05f, 0.9f, 0.01f, 0.0f);
      for (int64_t i = 0; i < n; ++i) {
        vr[i] = 0.9 * vr[i] + 0.1 * grads[t][i];
        pr[i] -= 0.05 * (vr[i] + 0.01 * pr[i]);
      }
    }
    check_close(p.data(), pr.data(), n, 1e-6, "momentum 3 steps");
    check_close(vel.data(), vr.data(), n, 1e-6, "momentum velocity");
  }
  {
    fvec p = p0, sq(n, 0.0f);
    dvec pr = to_d(p0), sr(n, 0.0);
    for (int t = 0; t < 3; ++t) {
      rmsprop_update(n, p.data(), grads[t].data(), sq.data(), 0.01f, 0.9f, 1e-7f, 0.01f, 0.0f);
      for (int64_t i = 0; i < n; ++i) {
        double g = grads[t][i];
        sr[i] = 0.9 * sr[i] + 0.1 * g * g;
        pr[i] -= 0.01 * (g / (std::sqrt(sr[i]) + 1e-7) + 0.01 * pr[i]);
      }
    }
    check_close(p.data(), pr.data(), n, 1e-5, "rmsprop 3 steps");
    check_close(sq.data(), sr.data(), n, 1e-6, "rmsprop square");
  }
  test_fused_terms();
}

// ---------------------------------------------------------------- gradient clipping

// The gradient an update reads: clamp(g, -clip, clip) * scale, in double (clip 0: no clamp).
static double clipped(float g, double scale, float clip) {
  const double c = clip > 0 ? std::fmax(-double(clip), std::fmin(double(clip), double(g))) : g;
  return c * scale;
}

static void test_clipping() {
  // sum_of_squares against a long double sum (the squares are exact; only the additions round),
  // over sizes that cover the lane tail, several blocks and the threaded path.
  for (int64_t n : {0, 1, 15, 17, 257, 16400, 100003, 1100000}) {
    const fvec x = randn(n, 0.0f, 3.0f);
    for (float clip : {0.0f, 0.5f, 1e-3f}) {
      long double ref = 0;  // the reference's own rounding stays well below the tolerance
      for (float v : x) ref += clipped(v, 1.0, clip) * clipped(v, 1.0, clip);
      check_close_scalar(sum_of_squares(n, x.data(), clip), static_cast<double>(ref), 1e-12,
                         "sum_of_squares n=" + std::to_string(n) + " clip " + std::to_string(clip));
    }
  }
  // Finite floats whose norm overflows float32: the sum is in double, finite, and exact here.
  {
    const fvec big(4, 3e38f);
    const double s = sum_of_squares(4, big.data());
    check(std::isfinite(s) && s == 4.0 * double(3e38f) * double(3e38f),
          "sum_of_squares past FLT_MAX");
    check(std::isnan(sum_of_squares(3, fvec{1.0f, NAN, 2.0f}.data())),
          "sum_of_squares keeps a NaN");
  }

  // Each update with clipping against its double reference on g' = clamp(g) * scale, and with
  // the defaults passed explicitly bitwise equal to leaving them out.
  const int64_t n = 1031;
  const fvec p0 = randn(n), m0 = randn(n, 0.0f, 0.1f), g = randn(n, 0.0f, 2.0f);
  fvec s0 = randn(n);
  for (auto& v : s0) v = std::fabs(v);
  const double scales[] = {1.0, 0.37, 1e-39};  // 1e-39: below FLT_MIN, the two-factor path
  const float clips[] = {0.0f, 0.3f};
  for (double scale : scales) {
    for (float clip : clips) {
      const std::string tag = " scale " + std::to_string(scale) + " clip " + std::to_string(clip);
      dvec gd(n);
      for (int64_t i = 0; i < n; ++i) gd[i] = clipped(g[i], scale, clip);
      double gmax = 0;
      for (double v : gd) gmax = std::fmax(gmax, std::fabs(v));
      {
        fvec p = p0;
        sgd_update(n, p.data(), g.data(), 0.05f, 0.01f, 0.0f, scale, clip);
        dvec pr = to_d(p0);
        for (int64_t i = 0; i < n; ++i) pr[i] -= 0.05 * (gd[i] + double(0.01f) * p0[i]);
        check_close(p.data(), pr.data(), n, 1e-6, "sgd clipped" + tag);
      }
      {
        fvec p = p0, vel = m0;
        momentum_update(n, p.data(), g.data(), vel.data(), 0.05f, 0.9f, 0.0f, 0.0f, scale, clip);
        dvec pr = to_d(p0), vr(n);
        for (int64_t i = 0; i < n; ++i) {
          vr[i] = double(0.9f) * m0[i] + (1 - double(0.9f)) * gd[i];
          pr[i] -= 0.05 * vr[i];
        }
        check_close(p.data(), pr.data(), n, 1e-6, "momentum clipped" + tag);
        check_close(vel.data(), vr.data(), n, 1e-6, "momentum velocity clipped" + tag);
      }
      {
        fvec p = p0, sq = s0;
        rmsprop_update(n, p.data(), g.data(), sq.data(), 0.01f, 0.9f, 1e-7f, 0.0f, 0.0f, scale, clip);
        dvec pr = to_d(p0), sr(n);
        for (int64_t i = 0; i < n; ++i) {
          sr[i] = double(0.9f) * s0[i] + (1 - double(0.9f)) * gd[i] * gd[i];
          pr[i] -= 0.01 * (gd[i] / (std::sqrt(sr[i]) + double(1e-7f)));
        }
        check_close(p.data(), pr.data(), n, 1e-5, "rmsprop clipped" + tag);
      }
      {
        fvec p = p0, m(n, 0.0f), v(n, 0.0f);
        adam_update(n, p.data(), g.data(), m.data(), v.data(), 0.01f, 0.9f, 0.999f, 1e-7f, 1, 0.0f, 0.0f,
                    scale, clip);
        // Step 1 from zero moments: mhat = g', vhat = g'^2 (below FLT_MIN both are stored as 0).
        dvec pr = to_d(p0), mr(n);
        for (int64_t i = 0; i < n; ++i) {
          const double mi = (1 - double(0.9f)) * gd[i];
          mr[i] = std::fabs(mi) < FLT_MIN ? 0.0 : mi;
          const double vi = (1 - double(0.999f)) * gd[i] * gd[i];
          const double vs = std::fabs(vi) < FLT_MIN ? 0.0 : vi;
          const double bc1 = 1 - double(0.9f), bc2 = 1 - double(0.999f);
          pr[i] -= 0.01 * ((mr[i] / bc1) / (std::sqrt(vs / bc2) + double(1e-7f)));
        }
        check_close(p.data(), pr.data(), n, 1e-5, "adam clipped" + tag);
        check_close(m.data(), mr.data(), n, 1e-6 * std::fmax(gmax, 1e-30), "adam m clipped" + tag);
      }
    }
  }
  // The scaled gradient itself at a scale below FLT_MIN: sgd with lr 1 from p = 0 writes -g'.
  {
    const fvec gs{3e38f, -1e38f, 2e30f, 0.0f};  // results 5e-4 .. 3e-12, and 0
    // clipNorm 1e-3 over a norm above FLT_MAX: about 1.7e-42, which as a float keeps 10 bits.
    const double scale = 1e-3 / 6e38;
    fvec p(4, 0.0f);
    sgd_update(4, p.data(), gs.data(), 1.0f, 0.0f, 0.0f, scale, 0.0f);
    bool ok = true;
    for (int i = 0; i < 4; ++i) {
      const double want = -double(gs[i]) * scale;
      ok &= std::fabs(p[i] - want) <= 3e-7 * std::fabs(want);  // two float roundings
    }
    check(ok && p[0] != 0.0f, "a scale below FLT_MIN keeps the product's bits");
  }
  // Defaults passed explicitly: bitwise the call without them (the unclipped loops).
  {
    fvec a = p0, b = p0, ma = m0, mb = m0, va = s0, vb = s0;
    adam_update(n, a.data(), g.data(), ma.data(), va.data(), 0.01f, 0.9f, 0.999f, 1e-7f, 3, 0.01f, 0.0f);
    adam_update(n, b.data(), g.data(), mb.data(), vb.data(), 0.01f, 0.9f, 0.999f, 1e-7f, 3, 0.01f, 0.0f,
                1.0, 0.0f);
    check(std::memcmp(a.data(), b.data(), n * 4) == 0 &&
              std::memcmp(ma.data(), mb.data(), n * 4) == 0 &&
              std::memcmp(va.data(), vb.data(), n * 4) == 0,
          "adam with explicit defaults is bitwise the unclipped update");
  }
  // A clip above every |g| and scale 1 take the clamping loop yet change nothing.
  {
    fvec a = p0, b = p0;
    sgd_update(n, a.data(), g.data(), 0.05f, 0.01f, 0.0f);
    sgd_update(n, b.data(), g.data(), 0.05f, 0.01f, 0.0f, 1.0, 1e30f);
    check(std::memcmp(a.data(), b.data(), n * 4) == 0,
          "a clip above every gradient changes nothing");
  }
}

// ---------------------------------------------------------------- determinism

// Every kernel on inputs above its parallel threshold, at 1 and 2 threads:
// outputs must be bitwise identical.
static std::vector<fvec> run_everything() {
  std::mt19937 r(777);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  auto rnd = [&](int64_t n) {
    fvec v(n);
    for (auto& x : v) x = nd(r);
    return v;
  };
  std::vector<fvec> out;
  const int64_t B = 1024, F = 300, N = 300000;
  fvec x = rnd(B * F), gamma = rnd(F), beta = rnd(F), rm = rnd(F), rv(F, 1.5f), dy = rnd(B * F);
  fvec y(B * F), sm(F), si(F), dx(B * F), dg(F), db(F), yinf(B * F);
  batchnorm_forward_train(B, F, x.data(), gamma.data(), beta.data(), 1e-3f, 0.99f, rm.data(),
                          rv.data(), sm.data(), si.data(), y.data(), true);
  batchnorm_forward_infer(B, F, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), 1e-3f,
                          yinf.data(), false);
  batchnorm_backward(B, F, x.data(), y.data(), dy.data(), gamma.data(), sm.data(), si.data(),
                     dx.data(), dg.data(), db.data());
  for (auto* v : {&y, &sm, &si, &rm, &rv, &dx, &dg, &db, &yinf}) out.push_back(*v);
  fvec a = rnd(N), d = rnd(N);
  for (Activation f : {Activation::Relu, Activation::LeakyRelu, Activation::Tanh, Activation::Sigmoid}) {
    fvec o(N), od(N);
    activation_forward(f, N, a.data(), o.data(), 0.1f);
    activation_backward(f, N, o.data(), d.data(), od.data(), 0.1f);
    out.push_back(o);
    out.push_back(od);
  }
  fvec s(N), sd(N);
  softmax_forward(N / 10, 10, a.data(), s.data());
  softmax_backward(N / 10, 10, s.data(), d.data(), sd.data());
  out.push_back(s);
  out.push_back(sd);
  std::vector<uint8_t> mask(N);
  for (auto& m : mask) m = static_cast<uint8_t>(r() % 2);
  fvec dr(N);
  dropout_apply(N, a.data(), mask.data(), 0.6f, dr.data());
  out.push_back(dr);
  fvec cs(F, 1.0f);
  column_sums(B, F, x.data(), F, 0.5f, 0.25f, cs.data());
  out.push_back(cs);
  fvec ax = d;
  axpy(N, 0.3f, a.data(), ax.data());
  out.push_back(ax);
  fvec nf = a;
  nf[N - 5] = NAN;
  nf[N / 2 + 7] = INFINITY;
  out.push_back({static_cast<float>(find_nonfinite(N, nf.data()))});
  const int64_t P = 1 << 20;
  fvec p = rnd(P), g = rnd(P), m(P, 0.0f), v(P, 0.0f), vel(P, 0.0f), sq(P, 0.0f);
  fvec p2 = p, p3 = p, p4 = p;
  for (int t = 1; t <= 3; ++t) {
    adam_update(P, p.data(), g.data(), m.data(), v.data(), 1e-3f, 0.9f, 0.999f, 1e-7f, t, 0.01f, 0.0f);
    sgd_update(P, p2.data(), g.data(), 1e-2f, 0.01f, 0.0f);
    momentum_update(P, p3.data(), g.data(), vel.data(), 1e-2f, 0.9f, 0.0f, 0.0f);
    rmsprop_update(P, p4.data(), g.data(), sq.data(), 1e-3f, 0.9f, 1e-7f, 0.0f, 0.0f);
  }
  for (auto* w : {&p, &m, &v, &p2, &p3, &vel, &p4, &sq}) out.push_back(*w);
  // Clipped updates and the sum of squares (blocks summed in order, whatever thread ran them).
  fvec pc = p, mc = m, vc = v, qc = p;
  adam_update(P, pc.data(), g.data(), mc.data(), vc.data(), 1e-3f, 0.9f, 0.999f, 1e-7f, 4, 0.01f, 0.0f,
              0.3, 0.5f);
  sgd_update(P, qc.data(), g.data(), 1e-2f, 0.0f, 0.0f, 1e-39, 0.0f);
  for (auto* w : {&pc, &mc, &vc, &qc}) out.push_back(*w);
  for (float clip : {0.0f, 0.5f}) {
    const double sos = sum_of_squares(P, g.data(), clip);
    float sb[2];
    std::memcpy(sb, &sos, sizeof sos);
    out.push_back({sb[0], sb[1]});
  }
  // Losses, spread over row chunks (the 128x10 ones right after a pool job, while the worker
  // spins, as inside fit): stored as two floats of the double's bits.
  fvec z = rnd(128 * 1000), t = rnd(128 * 1000), dz(128 * 1000);
  fvec w = rnd(128), dzh(128 * 1000), pr(128 * 1000), dzc(128 * 1000), dzb(128 * 10);
  for (auto& v : w) v = std::fabs(v);
  std::vector<int32_t> labels(128);
  for (int64_t r = 0; r < 128; ++r) labels[r] = int32_t((r * 7) % 10);
  fvec soft = z;
  for (auto& v : soft) v = std::fabs(v) / 8.0f;
  double small[3];
  fvec spin = d;
  axpy(N, 0.3f, a.data(), spin.data());
  small[0] = loss_softmax_ce_labels(128, 10, z.data(), labels.data(), 0.1f, pr.data(), dzc.data(),
                                    w.data());
  axpy(N, 0.3f, a.data(), spin.data());
  small[1] = loss_sigmoid_bce(128, 10, z.data(), soft.data(), 0.1f, nullptr, dzb.data(), nullptr);
  axpy(N, 0.3f, a.data(), spin.data());
  small[2] = loss_softmax_ce_dense(128, 10, z.data(), soft.data(), 0.1f, nullptr, nullptr, w.data());
  out.push_back(fvec(pr.begin(), pr.begin() + 1280));
  out.push_back(fvec(dzc.begin(), dzc.begin() + 1280));
  out.push_back(dzb);
  for (double l : small) {
    float lb[2];
    std::memcpy(lb, &l, sizeof l);
    out.push_back({lb[0], lb[1]});
  }
  const double losses[] = {
      loss_mse(128, 1000, z.data(), t.data(), 0.1f, dz.data(), nullptr),
      loss_huber(128, 1000, z.data(), t.data(), 1.0, 0.1f, dzh.data(), w.data()),
      loss_softmax_ce_labels(128, 1000, z.data(), labels.data(), 0.1f, pr.data(), dzc.data(),
                             nullptr)};
  for (double l : losses) {
    float lb[2];
    std::memcpy(lb, &l, sizeof l);
    out.push_back({lb[0], lb[1]});
  }
  out.push_back(dz);
  out.push_back(dzh);
  out.push_back(pr);
  out.push_back(dzc);
  return out;
}

static void test_thread_determinism() {
  pool_set_threads(1);
  const std::vector<fvec> one = run_everything();
  pool_set_threads(2);
  const std::vector<fvec> two = run_everything();
  bool same = one.size() == two.size();
  for (size_t k = 0; same && k < one.size(); ++k) {
    const bool eq = one[k].size() == two[k].size() &&
                    std::memcmp(one[k].data(), two[k].data(), one[k].size() * 4) == 0;
    if (!eq) std::printf("  output %zu differs between 1 and 2 threads\n", k);
    same &= eq;
  }
  check(same, "bitwise identical outputs at 1 and 2 threads (" + std::to_string(one.size()) +
                  " arrays)");
}

// Batch norm under each ISA up to the selected one (all three when run with
// DENSENODE_ISA=avx512 on an AVX-512 machine): outputs must be bitwise
// identical, since every ISA does the same IEEE operations per element.
static std::vector<fvec> run_batchnorm(int64_t B, int64_t F) {
  std::mt19937 r(99);
  std::normal_distribution<float> nd(2.0f, 3.0f);
  auto rnd = [&](int64_t n) {
    fvec v(n);
    for (auto& x : v) x = nd(r);
    return v;
  };
  fvec x = rnd(B * F), gamma = rnd(F), beta = rnd(F), rm = rnd(F), rv(F, 1.5f), dy = rnd(B * F);
  fvec y(B * F), sm(F), si(F), dx(B * F), dg(F), db(F), dx2(B * F), dg2(F), db2(F), yi(B * F);
  batchnorm_forward_train(B, F, x.data(), gamma.data(), beta.data(), 1e-3f, 0.99f, rm.data(),
                          rv.data(), sm.data(), si.data(), y.data(), true);
  batchnorm_forward_infer(B, F, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), 1e-3f,
                          yi.data(), false);
  batchnorm_backward(B, F, x.data(), y.data(), dy.data(), gamma.data(), sm.data(), si.data(),
                     dx.data(), dg.data(), db.data());
  batchnorm_backward(B, F, x.data(), nullptr, dy.data(), gamma.data(), sm.data(), si.data(),
                     dx2.data(), dg2.data(), db2.data());
  // Fused dropout: mask after the ReLU, dy scaled by 1 / keep.
  std::vector<uint8_t> mask(B * F);
  for (int64_t i = 0; i < B * F; ++i) mask[i] = (i * 7 + i / 3) % 5 != 0;
  fvec yd(B * F), sm3(F), si3(F), dx3(B * F), dg3(F), db3(F);
  batchnorm_forward_train(B, F, x.data(), gamma.data(), beta.data(), 1e-3f, 0.99f, rm.data(),
                          rv.data(), sm3.data(), si3.data(), yd.data(), true, mask.data(), 0.8f);
  batchnorm_backward(B, F, x.data(), yd.data(), dy.data(), gamma.data(), sm3.data(), si3.data(),
                     dx3.data(), dg3.data(), db3.data(), 1.25f);
  return {y, sm, si, rm, rv, yi, dx, dg, db, dx2, dg2, db2, yd, dx3, dg3, db3};
}

static void test_isa_identity() {
  const int top = isa_level(cpu_selected_isa());
  const int64_t shapes[][2] = {{1, 7}, {5, 33}, {128, 257}, {1000, 300}, {37, 1030}};
  for (const auto& sh : shapes) {
    set_kernel_isa_override(0);
    const std::vector<fvec> ref = run_batchnorm(sh[0], sh[1]);
    for (int isa = 1; isa <= top; ++isa) {
      set_kernel_isa_override(isa);
      const std::vector<fvec> got = run_batchnorm(sh[0], sh[1]);
      bool same = true;
      for (size_t k = 0; k < ref.size(); ++k)
        same &= std::memcmp(ref[k].data(), got[k].data(), ref[k].size() * 4) == 0;
      check(same, std::string("bn bitwise identical portable vs ") +
                      cpu_isa_name(isa_at_level(isa)) + " " + shape(sh[0], sh[1]));
    }
  }
  set_kernel_isa_override(-1);

  // The stream kernels (optimizers, dropout, axpy): same bits on every ISA,
  // including the tails (n not a multiple of any vector width).
  for (int64_t n : {int64_t(1), int64_t(37), int64_t(100003)}) {
    auto run = [n](int isa) {
      set_kernel_isa_override(isa);
      std::mt19937 r(7);
      std::normal_distribution<float> nd(0.0f, 1.0f);
      fvec p(n), g(n), m(n), v(n), s(n), vel(n), y(n), z(n);
      for (int64_t i = 0; i < n; ++i) {
        p[i] = nd(r);
        g[i] = i % 5 == 0 ? 0.0f : nd(r) * 1e-3f;  // zero gradients: moments decay to subnormals
        m[i] = i % 3 == 0 ? 1e-39f : 0.0f;
        v[i] = i % 3 == 0 ? 1e-40f : 0.0f;
        s[i] = vel[i] = std::fabs(nd(r));
        y[i] = nd(r);
      }
      fvec q = p;
      for (int64_t t = 1; t <= 3; ++t) {
        // Every form of the terms: none, the L2 term alone, both (with either at 0).
        adam_update(n, p.data(), g.data(), m.data(), v.data(), 1e-3f, 0.9f, 0.999f, 1e-7f, t, 0.01f, 2e-3f);
        rmsprop_update(n, q.data(), g.data(), s.data(), 1e-3f, 0.9f, 1e-7f, 0.0f, 1e-3f);
        momentum_update(n, q.data(), g.data(), vel.data(), 1e-2f, 0.9f, 0.0f, 0.0f);
        sgd_update(n, q.data(), g.data(), 1e-2f, 0.1f, 0.0f);
      }
      // Each read of the clipped updates: the scale alone, the clamp, a scale below FLT_MIN.
      fvec c = p, cm = m, cv = v, cs = s, cvel = vel;
      for (const auto& [scale, clip] :
           {std::pair<double, float>{0.4, 0.0f}, {0.4, 5e-4f}, {1e-39, 0.0f}}) {
        adam_update(n, c.data(), g.data(), cm.data(), cv.data(), 1e-3f, 0.9f, 0.999f, 1e-7f, 4,
                    0.01f, 1e-3f, scale, clip);
        rmsprop_update(n, c.data(), g.data(), cs.data(), 1e-3f, 0.9f, 1e-7f, 0.0f, 1e-3f, scale, clip);
        momentum_update(n, c.data(), g.data(), cvel.data(), 1e-2f, 0.9f, 0.0f, 0.0f, scale, clip);
        sgd_update(n, c.data(), g.data(), 1e-2f, 0.1f, 0.0f, scale, clip);
      }
      const double sums[] = {sum_of_squares(n, g.data()), sum_of_squares(n, g.data(), 5e-4f)};
      fvec sum_bits(4);
      std::memcpy(sum_bits.data(), sums, sizeof sums);
      uint32_t state[4] = {9, 8, 7, 6};
      std::vector<uint8_t> mask(n);
      dropout_mask(n, 0.7, state, mask.data());
      dropout_apply(n, y.data(), mask.data(), 0.7f, z.data());
      axpy(n, 0.3f, p.data(), y.data());
      fvec bytes(mask.begin(), mask.end());
      return std::vector<fvec>{p, m, v, q, s, vel, z, y, bytes, c, cm, cv, cs, cvel, sum_bits};
    };
    const std::vector<fvec> ref = run(0);
    bool flushed = true;
    for (int64_t i = 0; i < n; ++i) flushed &= ref[1][i] == 0.0f || std::fabs(ref[1][i]) >= FLT_MIN;
    check(flushed, "adam stores no subnormal moment n=" + std::to_string(n));
    for (int isa = 1; isa <= top; ++isa) {
      const std::vector<fvec> got = run(isa);
      bool same = true;
      for (size_t k = 0; k < ref.size(); ++k)
        same &= std::memcmp(ref[k].data(), got[k].data(), ref[k].size() * 4) == 0;
      check(same, std::string("stream kernels bitwise identical portable vs ") +
                      cpu_isa_name(isa_at_level(isa)) + " n=" + std::to_string(n));
    }
  }
  set_kernel_isa_override(-1);
}

// The cache model against the two machines whose sweeps are recorded (docs/performance.md):
// Zen 5 (48 KiB L1d, 1 MiB L2, 32 MiB L3 per 2 vCPUs) must give the AVX-512 table measured
// best there; Zen 3 (32 KiB / 512 KiB) the A block within its L2. Unknown levels keep the table.
void test_cpu_budget(void (*check)(bool, const std::string&));  // cpu_budget_test.cc

static void test_blocking_model() {
  auto caches = [](int64_t l1, int64_t l2, int64_t l3, int l3_share) {
    CacheInfo c;
    c.l1d = CacheLevel{l1, 12, 1};
    c.l2 = CacheLevel{l2, 16, 1};
    c.l3 = CacheLevel{l3, 16, l3_share};
    c.source = "test";
    return c;
  };
  auto same = [](const Blocking& b, Blocking want) {
    return b.mr == want.mr && b.nr == want.nr && b.mc == want.mc && b.kc == want.kc &&
           b.nc == want.nc;
  };
  const CacheInfo zen5 = caches(48 << 10, 1 << 20, 32 << 20, 2);
  const CacheInfo zen3 = caches(32 << 10, 512 << 10, 32 << 20, 2);
  check(same(model_blocking(kBlockAvx512, zen5), kBlockAvx512), "model: Zen 5 avx512 = table");
  check(same(model_blocking(kBlockAvx2, zen3), Blocking{6, 16, 192, 512, 4096}),
        "model: Zen 3 avx2");
  const Blocking neon = model_blocking(kBlockNeon, caches(64 << 10, 1 << 20, 32 << 20, 64));
  check(neon.mc % neon.mr == 0 && neon.nc % neon.nr == 0 && neon.nc >= 1024 && neon.kc == 512,
        "model: Graviton-like neon: multiples of the tile, NC at its floor");
  // 16 KiB L1: KC stays 512 (2 x L1 / 64 B); 8 KiB halves it. No L3: NC from the table.
  check(same(model_blocking(kBlockAvx2, caches(16 << 10, 256 << 10, 0, 0)),
             Blocking{6, 16, 96, 512, kBlockAvx2.nc}),
        "model: 16 KiB L1, 256 KiB L2");
  check(same(model_blocking(kBlockAvx2, caches(8 << 10, 64 << 10, 0, 0)),
             Blocking{6, 16, 48, 256, kBlockAvx2.nc}),
        "model: 8 KiB L1, 64 KiB L2");
  check(same(model_blocking(kBlockAvx2, CacheInfo{}), kBlockAvx2), "model: unknown caches");
  // Sizes a hypervisor may report: 1 KiB of L1, 1 GiB of L2, 64 GiB of L3 stay in range.
  const Blocking odd = model_blocking(kBlockAvx2, caches(1 << 10, int64_t(1) << 30, int64_t(1) << 36, 1));
  check(odd.kc == 64 && odd.mc == 4092 && odd.nc == 8192, "model: absurd cache sizes are clamped");
  // SMT siblings sharing L2 halve what one thread may use.
  CacheInfo smt = zen3;
  smt.l2.sharing = 2;
  check(model_blocking(kBlockAvx2, smt).mc == 96, "model: shared L2");

  // product_blocking: a K up to whole_k is one block; a deeper one the fewest equal blocks of at
  // most whole_k, with MC and NC sized for the block; with whole_k at KC (the table, or
  // DENSENODE_BLOCKING) blocks of KC. A function of k alone.
  BlockingChoice model{model_blocking(kBlockAvx2, zen3), {}, "model", 1024, 512 << 10, 16 << 20};
  struct Depth {
    int64_t k, kc;
  };
  for (const Depth d : {Depth{100, 512}, Depth{512, 512}, Depth{513, 513}, Depth{1024, 1024},
                        Depth{1025, 513}, Depth{2048, 1024}, Depth{3000, 1000}, Depth{5000, 1000}}) {
    const Blocking in_place = product_blocking(model, d.k, false);
    const Blocking packed = product_blocking(model, d.k, true);
    const int64_t blocks = (d.k + in_place.kc - 1) / in_place.kc;
    const bool even = d.k <= d.kc || blocks * in_place.kc - d.k < blocks;
    const std::string name = "product_blocking: k " + std::to_string(d.k);
    check(in_place.kc == d.kc && packed.kc == d.kc && even,
          name + " in equal blocks of " + std::to_string(d.kc) + ", got " +
              std::to_string(in_place.kc));
    if (d.k <= 512) continue;
    const bool a_fits = packed.mc % 6 == 0 && int64_t(packed.mc) * packed.kc * 4 <= 3 * (512 << 10) / 4;
    const bool b_fits = packed.nc % 16 == 0 && int64_t(packed.nc) * packed.kc * 4 <= (16 << 20) / 2;
    check(a_fits && b_fits && in_place.mc == model.bk.mc,
          name + ": the A block in 3/4 of L2, the B panel in 1/2 of L3");
  }
  BlockingChoice fixed{kBlockAvx2, {}, "table", kBlockAvx2.kc, 0, 0};
  check(same(product_blocking(fixed, 2048, true), kBlockAvx2) &&
            same(product_blocking(fixed, 100, false), kBlockAvx2),
        "product_blocking: the table's KC blocks a deep K");

  Blocking b = kBlockAvx2;
  check(parse_blocking("100,256,1000", b) && same(b, Blocking{6, 16, 102, 256, 1008}),
        "parse_blocking rounds mc, nc up to the tile");
  for (const char* bad : {"", "1,2", "1,2,3,4", "0,1,1", "1,,1", "a,1,1", "1,1,70000", " 1,1,1",
                          "1,1,1 ", "-1,1,1", "1,1,1,"}) {
    Blocking untouched = kBlockAvx2;
    check(!parse_blocking(bad, untouched) && same(untouched, kBlockAvx2),
          std::string("parse_blocking rejects '") + bad + "'");
  }
}

int main() {
  std::printf("isa: %s\n", cpu_best_isa());
  test_isa_identity();
  for (int64_t B : {1, 2, 5, 128})
    for (int64_t F : {1, 7, 33, 257})
      for (bool relu : {false, true}) {
        test_batchnorm(B, F, relu, false);
        test_batchnorm(B, F, relu, true);
      }
  test_batchnorm(1024, 300, true, true);  // several feature blocks
  test_batchnorm(3000, 7, false, false);
  test_bn_hard_stats();
  test_bn_finite_difference(5, 7);
  test_bn_finite_difference(2, 33);
  test_bn_finite_difference(128, 7);
  for (int64_t n : {1, 7, 33, 257, 100000}) test_activations(n);
  for (int64_t rows : {1, 2, 5, 128})
    for (int64_t cols : {1, 7, 33, 257}) {
      test_softmax(rows, cols);
      test_losses(rows, cols);
      test_regression_losses(rows, cols);
      test_row_weights(rows, cols);
    }
  test_softmax(5000, 10);
  test_extreme_logits();
  test_misc();
  test_gather_ahead();
  test_expand_rows();
  test_optimizers();
  test_clipping();
  test_thread_determinism();
  test_blocking_model();
  test_cpu_budget(check);
  std::printf("%d passed, %d failed\n", g_checks - g_failures, g_failures);
  return g_failures ? 1 : 0;
}
