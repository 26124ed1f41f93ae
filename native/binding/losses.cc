// Losses from logits: each returns the summed loss and optionally writes the
// output activation (probs) and scale * dLoss/dz (native/elementwise.h).
#include <vector>

#include "binding/args.h"
#include "elementwise.h"

namespace densenode::binding {
namespace {

// A loss against dense targets y: (rows, cols, z, y, scale, probs, dz) -> Σ loss. probs and
// dz may each be null; dz may be z itself.
using DenseTargetLoss = double (*)(int64_t, int64_t, const float*, const float*, float, float*,
                                   float*);

Napi::Value LossWithDenseTargets(const Napi::CallbackInfo& info, const char* fn, int64_t minCols,
                                 DenseTargetLoss loss) {
  Args args(info, fn, 7);
  int64_t rows = args.Size(0, "rows");
  int64_t cols = args.Size(1, "cols", minCols);
  auto z = args.Floats(2, "z", rows * cols);
  auto y = args.Floats(3, "y", rows * cols);
  float scale = args.Scalar(4, "scale");
  auto probs = args.OptionalFloats(5, "probs", rows * cols);
  auto dz = args.OptionalFloats(6, "dz", rows * cols);
  args.Disjoint(dz, z, true);
  args.Disjoint(dz, y);
  args.Disjoint(dz, probs);
  args.Disjoint(probs, z);
  args.Disjoint(probs, y);
  double sum = loss(rows, cols, z.data, y.data, scale, probs.data, dz.data);
  return Napi::Number::New(info.Env(), sum);
}

Napi::Value SigmoidCrossEntropy(const Napi::CallbackInfo& info) {
  return LossWithDenseTargets(info, "sigmoidCrossEntropy", 0, loss_sigmoid_bce);
}

Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  return LossWithDenseTargets(info, "softmaxCrossEntropy", 1, loss_softmax_ce_dense);
}

// softmaxCrossEntropyLabels(rows, cols, z, labels, scale, probs, dz) -> Σ loss
Napi::Value SoftmaxCrossEntropyLabels(const Napi::CallbackInfo& info) {
  Args args(info, "softmaxCrossEntropyLabels", 7);
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
  args.Disjoint(dz, z, true);
  args.Disjoint(dz, labels);
  args.Disjoint(dz, probs);
  args.Disjoint(probs, z);
  args.Disjoint(probs, labels);
  double loss =
      loss_softmax_ce_labels(rows, cols, z.data, checked.data(), scale, probs.data, dz.data);
  return Napi::Number::New(info.Env(), loss);
}

// meanSquaredError(rows, cols, z, y, scale, dz) -> Σ (z - y)^2
Napi::Value MeanSquaredError(const Napi::CallbackInfo& info) {
  Args args(info, "meanSquaredError", 6);
  int64_t rows = args.Size(0, "rows");
  int64_t cols = args.Size(1, "cols");
  auto z = args.Floats(2, "z", rows * cols);
  auto y = args.Floats(3, "y", rows * cols);
  float scale = args.Scalar(4, "scale");
  auto dz = args.OptionalFloats(5, "dz", rows * cols);
  args.Disjoint(dz, z, true);
  args.Disjoint(dz, y);
  double loss = loss_mse(rows, cols, z.data, y.data, scale, dz.data);
  return Napi::Number::New(info.Env(), loss);
}

}  // namespace

void RegisterLosses(Napi::Env env, Napi::Object exports) {
  exports.Set("sigmoidCrossEntropy", Napi::Function::New(env, SigmoidCrossEntropy));
  exports.Set("softmaxCrossEntropyLabels", Napi::Function::New(env, SoftmaxCrossEntropyLabels));
  exports.Set("softmaxCrossEntropy", Napi::Function::New(env, SoftmaxCrossEntropy));
  exports.Set("meanSquaredError", Napi::Function::New(env, MeanSquaredError));
}

}  // namespace densenode::binding
