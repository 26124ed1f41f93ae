// Losses from logits: each returns the summed (row-weighted) loss and optionally writes the
// output activation (probs) and scale * dLoss/dz (native/losses.h). Every loss takes an optional
// trailing rowWeights: null or absent for unweighted rows.
#include "losses.h"

#include <cmath>
#include <string>
#include <vector>

#include "binding/args.h"

namespace densenode::binding {
namespace {

// The optional last argument rowWeights: rows weights, each finite and >= 0, or null. The weights
// are not copied, unlike the labels: a weight that another thread rewrites during the call (shared
// memory) can change the result, but it never indexes anything.
View<float> RowWeights(const Args& args, size_t i, int64_t rows) {
  if (!args.Has(i)) return {nullptr, 0, "rowWeights"};
  View<float> w = args.OptionalFloats(i, "rowWeights", rows);
  for (int64_t r = 0; w.data && r < rows; ++r) {
    const float v = w.data[r];
    if (!(v >= 0.0f && std::isfinite(v))) {
      args.Range(
          "rowWeights", "finite numbers >= 0",
          "rowWeights[" + std::to_string(r) + "] = " + Describe(Napi::Number::New(args.env(), v)));
    }
  }
  return w;
}

// A loss against dense targets y: (rows, cols, z, y, scale, probs, dz, rowWeights) -> Σ loss.
// probs and dz may each be null; dz may be z itself.
using DenseTargetLoss = double (*)(int64_t, int64_t, const float*, const float*, float, float*,
                                   float*, const float*);

Napi::Value LossWithDenseTargets(const CallInfo& info, const char* fn, int64_t minCols,
                                 DenseTargetLoss loss) {
  Args args(info, fn, 7, 8);
  int64_t rows = args.Size(0, "rows");
  int64_t cols = args.Size(1, "cols", minCols);
  auto z = args.Floats(2, "z", rows * cols);
  auto y = args.Floats(3, "y", rows * cols);
  float scale = args.Scalar(4, "scale");
  auto probs = args.OptionalFloats(5, "probs", rows * cols);
  auto dz = args.OptionalFloats(6, "dz", rows * cols);
  auto w = RowWeights(args, 7, rows);
  args.Disjoint(dz, z, true);
  args.Disjoint(dz, y);
  args.Disjoint(dz, probs);
  args.Disjoint(dz, w);
  args.Disjoint(probs, z);
  args.Disjoint(probs, y);
  args.Disjoint(probs, w);
  double sum = loss(rows, cols, z.data, y.data, scale, probs.data, dz.data, w.data);
  return Napi::Number::New(info.Env(), sum);
}

Napi::Value SigmoidCrossEntropy(const CallInfo& info) {
  return LossWithDenseTargets(info, "sigmoidCrossEntropy", 0, loss_sigmoid_bce);
}

Napi::Value SoftmaxCrossEntropy(const CallInfo& info) {
  return LossWithDenseTargets(info, "softmaxCrossEntropy", 1, loss_softmax_ce_dense);
}

// softmaxCrossEntropyLabels(rows, cols, z, labels, scale, probs, dz, rowWeights?) -> Σ loss
Napi::Value SoftmaxCrossEntropyLabels(const CallInfo& info) {
  Args args(info, "softmaxCrossEntropyLabels", 7, 8);
  int64_t rows = args.Size(0, "rows");
  int64_t cols = args.Size(1, "cols", 1);
  auto z = args.Floats(2, "z", rows * cols);
  auto labels = args.Int32s(3, "labels", rows);
  float scale = args.Scalar(4, "scale");
  auto probs = args.OptionalFloats(5, "probs", rows * cols);
  auto dz = args.OptionalFloats(6, "dz", rows * cols);
  // The labels index z, so the kernel gets a checked copy: on a SharedArrayBuffer another thread
  // could otherwise rewrite a label between the check and its use (found by the fuzz test).
  std::vector<int32_t> checked(labels.data, labels.data + rows);
  for (int64_t i = 0; i < rows; ++i) {
    if (checked[i] < 0 || checked[i] >= cols) {
      args.Range("labels", "class indices in [0, " + std::to_string(cols) + ")",
                 "labels[" + std::to_string(i) + "] = " + std::to_string(checked[i]));
    }
  }
  auto w = RowWeights(args, 7, rows);
  args.Disjoint(dz, z, true);
  args.Disjoint(dz, labels);
  args.Disjoint(dz, probs);
  args.Disjoint(dz, w);
  args.Disjoint(probs, z);
  args.Disjoint(probs, labels);
  args.Disjoint(probs, w);
  double loss = loss_softmax_ce_labels(rows, cols, z.data, checked.data(), scale, probs.data,
                                       dz.data, w.data);
  return Napi::Number::New(info.Env(), loss);
}

// A regression loss: (rows, cols, z, y, [delta,] scale, dz, rowWeights?) -> Σ loss; dz may be z.
struct RegressionArgs {
  int64_t rows, cols;
  View<float> z, y, dz, w;
  float scale;
};

// delta (huber's) sits between y and scale and is read in its place, so that an error names the
// first bad argument, as the TypeScript checks do.
RegressionArgs ReadRegression(const Args& args, double* delta) {
  RegressionArgs a{};
  a.rows = args.Size(0, "rows");
  a.cols = args.Size(1, "cols");
  a.z = args.Floats(2, "z", a.rows * a.cols);
  a.y = args.Floats(3, "y", a.rows * a.cols);
  size_t i = 4;
  if (delta) *delta = args.NumberIn(i++, "delta", 0.0, 1e6, true, false);
  a.scale = args.Scalar(i++, "scale");
  a.dz = args.OptionalFloats(i++, "dz", a.rows * a.cols);
  a.w = RowWeights(args, i, a.rows);
  args.Disjoint(a.dz, a.z, true);
  args.Disjoint(a.dz, a.y);
  args.Disjoint(a.dz, a.w);
  return a;
}

// meanSquaredError(rows, cols, z, y, scale, dz, rowWeights?) -> Σ w (z - y)^2
Napi::Value MeanSquaredError(const CallInfo& info) {
  Args args(info, "meanSquaredError", 6, 7);
  RegressionArgs a = ReadRegression(args, nullptr);
  double loss = loss_mse(a.rows, a.cols, a.z.data, a.y.data, a.scale, a.dz.data, a.w.data);
  return Napi::Number::New(info.Env(), loss);
}

// huber(rows, cols, z, y, delta, scale, dz, rowWeights?) -> Σ w huber_delta(z - y)
Napi::Value Huber(const CallInfo& info) {
  Args args(info, "huber", 7, 8);
  double delta = 1.0;
  RegressionArgs a = ReadRegression(args, &delta);
  double loss = loss_huber(a.rows, a.cols, a.z.data, a.y.data, delta, a.scale, a.dz.data, a.w.data);
  return Napi::Number::New(info.Env(), loss);
}

// meanAbsoluteError(rows, cols, z, y, scale, dz, rowWeights?) -> Σ w |z - y|
Napi::Value MeanAbsoluteError(const CallInfo& info) {
  Args args(info, "meanAbsoluteError", 6, 7);
  RegressionArgs a = ReadRegression(args, nullptr);
  double loss = loss_mae(a.rows, a.cols, a.z.data, a.y.data, a.scale, a.dz.data, a.w.data);
  return Napi::Number::New(info.Env(), loss);
}

}  // namespace

void RegisterLosses(Napi::Env env, Napi::Object exports) {
  Define<SigmoidCrossEntropy>(env, exports, "sigmoidCrossEntropy");
  Define<SoftmaxCrossEntropyLabels>(env, exports, "softmaxCrossEntropyLabels");
  Define<SoftmaxCrossEntropy>(env, exports, "softmaxCrossEntropy");
  Define<MeanSquaredError>(env, exports, "meanSquaredError");
  Define<Huber>(env, exports, "huber");
  Define<MeanAbsoluteError>(env, exports, "meanAbsoluteError");
}

}  // namespace densenode::binding
