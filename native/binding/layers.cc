// Batch-norm, activations, softmax, dropout, column sums, row gathers, axpy and the
// non-finite scan (native/batchnorm.h, native/elementwise.h, native/rows.h state the math).
#include <vector>

#include "batchnorm.h"
#include "binding/args.h"
#include "elementwise.h"
#include "gather_ahead.h"
#include "rows.h"

namespace densenode::binding {
namespace {

Activation ActivationArg(const Args& args, size_t i) {
  std::string name = args.String(i, "kind");
  if (name == "linear") return Activation::Linear;
  if (name == "relu") return Activation::Relu;
  if (name == "leakyRelu") return Activation::LeakyRelu;
  if (name == "tanh") return Activation::Tanh;
  if (name == "sigmoid") return Activation::Sigmoid;
  args.Range("kind", "'linear', 'relu', 'leakyRelu', 'tanh' or 'sigmoid'", "'" + name + "'");
}

// batchNormForwardTrain(batch, features, x, gamma, beta, epsilon, momentum,
//   runningMean, runningVar, savedMean, savedInvStd, y, relu[, mask, keep])
Napi::Value BatchNormForwardTrain(const CallInfo& info) {
  Args args(info, "batchNormForwardTrain", 13, 15);
  int64_t batch = args.Size(0, "batch", 1);
  int64_t features = args.Size(1, "features");
  int64_t count = batch * features;
  auto x = args.Floats(2, "x", count);
  auto gamma = args.Floats(3, "gamma", features);
  auto beta = args.Floats(4, "beta", features);
  float epsilon = args.ScalarIn(5, "epsilon", 0, 1, true);
  float momentum = args.ScalarIn(6, "momentum", 0, 1);
  auto runningMean = args.Floats(7, "runningMean", features);
  auto runningVar = args.Floats(8, "runningVar", features);
  auto savedMean = args.Floats(9, "savedMean", features);
  auto savedInvStd = args.Floats(10, "savedInvStd", features);
  auto y = args.Floats(11, "y", count);
  bool relu = args.Bool(12, "relu");
  View<uint8_t> mask{nullptr, 0, "mask"};
  float keep = 1.0f;
  if (args.Has(13)) {
    mask = args.OptionalBytes(13, "mask", count);
    keep = args.ScalarIn(14, "keep", 0, 1, true);
  }
  args.Disjoint(y, x, true);
  for (const auto* out : {&runningMean, &runningVar, &savedMean, &savedInvStd, &y}) {
    for (const auto* other :
         {&x, &gamma, &beta, &runningMean, &runningVar, &savedMean, &savedInvStd, &y}) {
      if (out != other && !(out == &y && other == &x)) args.Disjoint(*out, *other);
    }
    args.Disjoint(*out, mask);
  }
  batchnorm_forward_train(batch, features, x.data, gamma.data, beta.data, epsilon, momentum,
                          runningMean.data, runningVar.data, savedMean.data, savedInvStd.data,
                          y.data, relu, mask.data, keep);
  return info.Env().Undefined();
}

// batchNormForwardInfer(batch, features, x, gamma, beta, runningMean, runningVar, epsilon, y, relu)
Napi::Value BatchNormForwardInfer(const CallInfo& info) {
  Args args(info, "batchNormForwardInfer", 10);
  int64_t batch = args.Size(0, "batch");
  int64_t features = args.Size(1, "features");
  int64_t count = batch * features;
  auto x = args.Floats(2, "x", count);
  auto gamma = args.Floats(3, "gamma", features);
  auto beta = args.Floats(4, "beta", features);
  auto runningMean = args.Floats(5, "runningMean", features);
  auto runningVar = args.Floats(6, "runningVar", features);
  float epsilon = args.ScalarIn(7, "epsilon", 0, 1, true);
  auto y = args.Floats(8, "y", count);
  bool relu = args.Bool(9, "relu");
  args.Disjoint(y, x, true);
  args.Disjoint(y, gamma);
  args.Disjoint(y, beta);
  args.Disjoint(y, runningMean);
  args.Disjoint(y, runningVar);
  batchnorm_forward_infer(batch, features, x.data, gamma.data, beta.data, runningMean.data,
                          runningVar.data, epsilon, y.data, relu);
  return info.Env().Undefined();
}

// batchNormBackward(batch, features, x, y, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta
//   [, dyScale])
Napi::Value BatchNormBackward(const CallInfo& info) {
  Args args(info, "batchNormBackward", 11, 12);
  int64_t batch = args.Size(0, "batch", 1);
  int64_t features = args.Size(1, "features");
  int64_t count = batch * features;
  auto x = args.Floats(2, "x", count);
  auto y = args.OptionalFloats(3, "y", count);
  auto dy = args.Floats(4, "dy", count);
  auto gamma = args.Floats(5, "gamma", features);
  auto savedMean = args.Floats(6, "savedMean", features);
  auto savedInvStd = args.Floats(7, "savedInvStd", features);
  auto dx = args.Floats(8, "dx", count);
  auto dgamma = args.Floats(9, "dgamma", features);
  auto dbeta = args.Floats(10, "dbeta", features);
  const float dyScale = args.Has(11) ? args.ScalarIn(11, "dyScale", 0, 1e6, true) : 1.0f;
  args.Disjoint(dx, dy, true);
  for (const auto* out : {&dx, &dgamma, &dbeta}) {
    for (const auto* other : {&x, &y, &gamma, &savedMean, &savedInvStd, &dx, &dgamma, &dbeta}) {
      if (out != other) args.Disjoint(*out, *other);
    }
  }
  args.Disjoint(dgamma, dy);
  args.Disjoint(dbeta, dy);
  batchnorm_backward(batch, features, x.data, y.data, dy.data, gamma.data, savedMean.data,
                     savedInvStd.data, dx.data, dgamma.data, dbeta.data, dyScale);
  return info.Env().Undefined();
}

// activationForward(kind, count, x, y, slope)
Napi::Value ActivationForward(const CallInfo& info) {
  Args args(info, "activationForward", 5);
  Activation kind = ActivationArg(args, 0);
  int64_t count = args.Size(1, "count");
  auto x = args.Floats(2, "x", count);
  auto y = args.Floats(3, "y", count);
  float slope = args.ScalarIn(4, "slope", 0, 1, false, true);
  args.Disjoint(y, x, true);
  activation_forward(kind, count, x.data, y.data, slope);
  return info.Env().Undefined();
}

// activationBackward(kind, count, y, dy, dx, slope)
Napi::Value ActivationBackward(const CallInfo& info) {
  Args args(info, "activationBackward", 6);
  Activation kind = ActivationArg(args, 0);
  int64_t count = args.Size(1, "count");
  auto y = args.Floats(2, "y", count);
  auto dy = args.Floats(3, "dy", count);
  auto dx = args.Floats(4, "dx", count);
  float slope = args.ScalarIn(5, "slope", 0, 1, false, true);
  args.Disjoint(dx, dy, true);
  args.Disjoint(dx, y);
  activation_backward(kind, count, y.data, dy.data, dx.data, slope);
  return info.Env().Undefined();
}

// softmaxForward(rows, cols, x, y)
Napi::Value SoftmaxForward(const CallInfo& info) {
  Args args(info, "softmaxForward", 4);
  int64_t rows = args.Size(0, "rows");
  int64_t cols = args.Size(1, "cols", 1);
  auto x = args.Floats(2, "x", rows * cols);
  auto y = args.Floats(3, "y", rows * cols);
  args.Disjoint(y, x, true);
  softmax_forward(rows, cols, x.data, y.data);
  return info.Env().Undefined();
}

// softmaxBackward(rows, cols, y, dy, dx)
Napi::Value SoftmaxBackward(const CallInfo& info) {
  Args args(info, "softmaxBackward", 5);
  int64_t rows = args.Size(0, "rows");
  int64_t cols = args.Size(1, "cols", 1);
  auto y = args.Floats(2, "y", rows * cols);
  auto dy = args.Floats(3, "dy", rows * cols);
  auto dx = args.Floats(4, "dx", rows * cols);
  args.Disjoint(dx, dy, true);
  args.Disjoint(dx, y);
  softmax_backward(rows, cols, y.data, dy.data, dx.data);
  return info.Env().Undefined();
}

// dropoutApply(count, x, mask, keep, y)
Napi::Value DropoutApply(const CallInfo& info) {
  Args args(info, "dropoutApply", 5);
  int64_t count = args.Size(0, "count");
  auto x = args.Floats(1, "x", count);
  auto mask = args.Bytes(2, "mask", count);
  float keep = args.ScalarIn(3, "keep", 0, 1, true);
  auto y = args.Floats(4, "y", count);
  args.Disjoint(y, x, true);
  args.Disjoint(y, mask);
  dropout_apply(count, x.data, mask.data, keep, y.data);
  return info.Env().Undefined();
}

// dropoutMask(count, keep, state, mask)
Napi::Value DropoutMask(const CallInfo& info) {
  Args args(info, "dropoutMask", 4);
  int64_t count = args.Size(0, "count");
  double keep = args.NumberIn(1, "keep", 0, 1, true);
  auto state = args.Uint32s(2, "state", 4);
  auto mask = args.Bytes(3, "mask", count);
  args.Disjoint(mask, state);
  // An all-zero state is the one xoshiro cannot leave: it would keep every unit forever.
  if ((state.data[0] | state.data[1] | state.data[2] | state.data[3]) == 0) {
    args.Range("state", "four 32-bit words, not all 0", "all 0");
  }
  dropout_mask(count, keep, state.data, mask.data);
  return info.Env().Undefined();
}

// columnSums(rows, cols, x, ld, alpha, beta, out)
Napi::Value ColumnSums(const CallInfo& info) {
  Args args(info, "columnSums", 7);
  int64_t rows = args.Size(0, "rows");
  int64_t cols = args.Size(1, "cols");
  int64_t ld = args.Leading(3, "ld", cols, "cols");
  auto x = args.Floats(2, "x", Span(rows, cols, ld));
  float alpha = args.Scalar(4, "alpha");
  float beta = args.Scalar(5, "beta");
  auto out = args.Floats(6, "out", cols);
  args.Disjoint(out, x);
  column_sums(rows, cols, x.data, ld, alpha, beta, out.data);
  return info.Env().Undefined();
}

// axpy(count, a, x, y): y += a * x
Napi::Value Axpy(const CallInfo& info) {
  Args args(info, "axpy", 4);
  int64_t count = args.Size(0, "count");
  float a = args.Scalar(1, "a");
  auto x = args.Floats(2, "x", count);
  auto y = args.Floats(3, "y", count);
  args.Disjoint(y, x);
  axpy(count, a, x.data, y.data);
  return info.Env().Undefined();
}

// gatherRows's and gatherRowsAhead's arguments (count, cols, rows, src, indices, dst), read and
// checked alike.
struct GatherArgs {
  int64_t count, cols, rows;
  View<float> src;
  View<uint32_t> indices;
  View<float> dst;
};

GatherArgs ReadGather(const Args& args) {
  const int64_t count = args.Size(0, "count");
  const int64_t cols = args.Size(1, "cols");
  const int64_t rows = args.Size(2, "rows");
  GatherArgs g{count,
               cols,
               rows,
               args.Floats(3, "src", rows * cols),
               args.Uint32s(4, "indices", count),
               args.Floats(5, "dst", count * cols)};
  args.Disjoint(g.dst, g.src);
  args.Disjoint(g.dst, g.indices);
  return g;
}

// Throws for the index at position bad, when there is one (bad >= 0).
void CheckGathered(const Args& args, const GatherArgs& g, int64_t bad) {
  if (bad < 0) return;
  args.Range("indices", "indices below " + std::to_string(g.rows) + " (the rows of src)",
             std::to_string(g.indices.data[bad]) + " at position " + std::to_string(bad));
}

// gatherRows(count, cols, rows, src, indices, dst)
Napi::Value GatherRows(const CallInfo& info) {
  Args args(info, "gatherRows", 6);
  const GatherArgs g = ReadGather(args);
  CheckGathered(args, g,
                gather_rows(g.count, g.cols, g.rows, g.src.data, g.indices.data, g.dst.data));
  return info.Env().Undefined();
}

// This env's gather ahead, with references to its arrays until it is settled, so that no GC
// frees them under the worker. Settled before the references go (env teardown included).
struct ReadAhead {
  GatherAhead gather;
  Napi::Reference<Napi::Value> src, dst;
  ~ReadAhead() { gather.settle(); }
  void settle() {
    gather.settle();
    src.Reset();
    dst.Reset();
  }
};

ReadAhead& read_ahead(Napi::Env env) {
  ReadAhead* r = env.GetInstanceData<ReadAhead>();
  if (r == nullptr) {
    r = new ReadAhead;
    env.SetInstanceData<ReadAhead>(r);
  }
  return *r;
}

// gatherRowsAhead(count, cols, rows, src, indices, dst) -> true when it runs beside the caller
Napi::Value GatherRowsAhead(const CallInfo& info) {
  Args args(info, "gatherRowsAhead", 6);
  const GatherArgs g = ReadGather(args);
  ReadAhead& ahead = read_ahead(info.Env());
  ahead.settle();  // dst or src may be the last gather's arrays
  CheckGathered(
      args, g, ahead.gather.start(g.count, g.cols, g.rows, g.src.data, g.indices.data, g.dst.data));
  if (ahead.gather.pending()) {
    ahead.src = Napi::Persistent(info[3]);
    ahead.dst = Napi::Persistent(info[5]);
  }
  return Napi::Boolean::New(info.Env(), ahead.gather.pending());
}

// gatherRowsSettle(): returns once the last gatherRowsAhead's rows are written
Napi::Value GatherRowsSettle(const CallInfo& info) {
  Args args(info, "gatherRowsSettle", 0);
  if (ReadAhead* ahead = info.Env().GetInstanceData<ReadAhead>()) ahead->settle();
  return info.Env().Undefined();
}

// expandRows(count, rows, stride, cols, src, indices, parts, layout, dst, targets)
Napi::Value ExpandRows(const CallInfo& info) {
  Args args(info, "expandRows", 10);
  int64_t count = args.Size(0, "count");
  int64_t rows = args.Size(1, "rows");
  int64_t stride = args.Size(2, "stride", 1);
  int64_t cols = args.Size(3, "cols");
  auto src = args.Floats(4, "src", rows * stride);
  auto indices = args.Uint32s(5, "indices", count);
  int64_t parts = args.Size(6, "parts");
  auto layoutView = args.Int32s(7, "layout", 3 * parts);
  auto dst = args.Floats(8, "dst", count * cols);
  auto targets = args.Floats(9, "targets", count);
  args.Disjoint(dst, targets);
  args.Disjoint(dst, src);
  args.Disjoint(dst, indices);
  args.Disjoint(dst, layoutView);
  args.Disjoint(targets, src);
  args.Disjoint(targets, indices);
  args.Disjoint(targets, layoutView);
  // Copied, then checked: the kernel must read the triples that were checked.
  std::vector<int32_t> layout(layoutView.data, layoutView.data + 3 * parts);
  for (int64_t p = 0; p < parts; ++p) {
    const int64_t from = layout[3 * p], into = layout[3 * p + 1], n = layout[3 * p + 2];
    const int64_t width = n < 0 ? -n : n;
    if (n == 0 || from < 0 || from + (n > 0 ? n : 1) > stride - 1 || into < 0 ||
        into + width > cols) {
      args.Range("layout",
                 "(from, into, n) triples with n != 0 inside a stored row of " +
                     std::to_string(stride - 1) + " features and a row of " + std::to_string(cols),
                 "(" + std::to_string(from) + ", " + std::to_string(into) + ", " +
                     std::to_string(n) + ") at part " + std::to_string(p));
    }
  }
  const ExpandFault fault = expand_rows(count, rows, stride, cols, src.data, indices.data, parts,
                                        layout.data(), dst.data, targets.data);
  if (fault.row >= 0 && fault.index) {
    args.Range("indices", "indices below " + std::to_string(rows) + " (the rows of src)",
               std::to_string(fault.source) + " at position " + std::to_string(fault.row));
  }
  if (fault.row >= 0) {
    const int64_t width = -static_cast<int64_t>(layout[3 * fault.part + 2]);
    args.Range("src", "level indices (integers in [0, " + std::to_string(width) + "])",
               FormatNumber(fault.level) + " in row " + std::to_string(fault.source) + " (part " +
                   std::to_string(fault.part) + ")");
  }
  return info.Env().Undefined();
}

// findNonFinite(count, x) -> index of the first NaN/Inf, or -1
Napi::Value FindNonFinite(const CallInfo& info) {
  Args args(info, "findNonFinite", 2);
  int64_t count = args.Size(0, "count");
  auto x = args.Floats(1, "x", count);
  return Napi::Number::New(info.Env(), static_cast<double>(find_nonfinite(count, x.data)));
}

}  // namespace

void RegisterLayers(Napi::Env env, Napi::Object exports) {
  Define<BatchNormForwardTrain>(env, exports, "batchNormForwardTrain");
  Define<BatchNormForwardInfer>(env, exports, "batchNormForwardInfer");
  Define<BatchNormBackward>(env, exports, "batchNormBackward");
  Define<ActivationForward>(env, exports, "activationForward");
  Define<ActivationBackward>(env, exports, "activationBackward");
  Define<SoftmaxForward>(env, exports, "softmaxForward");
  Define<SoftmaxBackward>(env, exports, "softmaxBackward");
  Define<DropoutApply>(env, exports, "dropoutApply");
  Define<DropoutMask>(env, exports, "dropoutMask");
  Define<ColumnSums>(env, exports, "columnSums");
  Define<GatherRows>(env, exports, "gatherRows");
  Define<GatherRowsAhead>(env, exports, "gatherRowsAhead");
  Define<GatherRowsSettle>(env, exports, "gatherRowsSettle");
  Define<ExpandRows>(env, exports, "expandRows");
  Define<Axpy>(env, exports, "axpy");
  Define<FindNonFinite>(env, exports, "findNonFinite");
}

}  // namespace densenode::binding
