// Optimizer updates over a whole parameter arena (native/optimizers.h).
// Every state array has the arena's length and must not overlap another.
// Each update takes l2 (the coupled L2 term) after weightDecay, two optional
// trailing arguments, together: gradScale and clipValue (gradient clipping,
// applied as the update reads each gradient), and returns the index of the
// first updated parameter that is Inf or NaN, or -1.
#include "optimizers.h"

#include <cfloat>
#include <cmath>

#include "binding/args.h"

namespace densenode::binding {
namespace {

template <size_t N>
void CheckArena(const Args& args, const View<float> (&arrays)[N]) {
  for (size_t a = 0; a < N; ++a) {
    for (size_t b = a + 1; b < N; ++b) args.Disjoint(arrays[a], arrays[b]);
  }
}

float LearningRate(const Args& args, size_t i) { return args.ScalarIn(i, "lr", 0, 1e6); }
float WeightDecay(const Args& args, size_t i) { return args.ScalarIn(i, "weightDecay", 0, 1e6); }
float L2(const Args& args, size_t i) { return args.ScalarIn(i, "l2", 0, 1e6); }

Napi::Value FirstNonFinite(const CallInfo& info, int64_t index) {
  return Napi::Number::New(info.Env(), static_cast<double>(index));
}

// clipValue: a finite number >= 0 (0: no clamp). Above FLT_MAX it clamps no float, so it is
// +inf; a positive one below the smallest float still clamps (to it) rather than turning off.
float ClipValue(const Args& args, size_t i) {
  const double c = args.NumberIn(i, "clipValue", 0, INFINITY, false, true);
  if (c > static_cast<double>(FLT_MAX)) return INFINITY;
  const float f = static_cast<float>(c);
  return c > 0 && f == 0.0f ? FLT_TRUE_MIN : f;
}

// The optional trailing pair (gradScale, clipValue) from argument i on: absent is no clipping.
struct Clipping {
  double gradScale = 1.0;
  float clipValue = 0.0f;
};
Clipping ReadClipping(const Args& args, size_t i) {
  Clipping c;
  if (!args.Has(i)) return c;
  c.gradScale = args.NumberIn(i, "gradScale", 0, 1);
  c.clipValue = ClipValue(args, i + 1);
  return c;
}

// sgdUpdate(count, params, grads, lr, weightDecay, l2, [gradScale, clipValue])
Napi::Value SgdUpdate(const CallInfo& info) {
  Args args(info, "sgdUpdate", 6, 8);
  int64_t count = args.Size(0, "count");
  View<float> arrays[] = {args.Floats(1, "params", count), args.Floats(2, "grads", count)};
  float lr = LearningRate(args, 3);
  float weightDecay = WeightDecay(args, 4);
  float l2 = L2(args, 5);
  Clipping clip = ReadClipping(args, 6);
  CheckArena(args, arrays);
  return FirstNonFinite(info, sgd_update(count, arrays[0].data, arrays[1].data, lr, weightDecay, l2,
                                         clip.gradScale, clip.clipValue));
}

// momentumUpdate(count, params, grads, velocity, lr, beta1, weightDecay, l2,
//                [gradScale, clipValue])
Napi::Value MomentumUpdate(const CallInfo& info) {
  Args args(info, "momentumUpdate", 8, 10);
  int64_t count = args.Size(0, "count");
  View<float> arrays[] = {args.Floats(1, "params", count), args.Floats(2, "grads", count),
                          args.Floats(3, "velocity", count)};
  float lr = LearningRate(args, 4);
  float beta1 = args.ScalarIn(5, "beta1", 0, 1, false, true);
  float weightDecay = WeightDecay(args, 6);
  float l2 = L2(args, 7);
  Clipping clip = ReadClipping(args, 8);
  CheckArena(args, arrays);
  return FirstNonFinite(
      info, momentum_update(count, arrays[0].data, arrays[1].data, arrays[2].data, lr, beta1,
                            weightDecay, l2, clip.gradScale, clip.clipValue));
}

// rmspropUpdate(count, params, grads, square, lr, beta2, epsilon, weightDecay, l2,
//               [gradScale, clipValue])
Napi::Value RmspropUpdate(const CallInfo& info) {
  Args args(info, "rmspropUpdate", 9, 11);
  int64_t count = args.Size(0, "count");
  View<float> arrays[] = {args.Floats(1, "params", count), args.Floats(2, "grads", count),
                          args.Floats(3, "square", count)};
  float lr = LearningRate(args, 4);
  float beta2 = args.ScalarIn(5, "beta2", 0, 1, false, true);
  float epsilon = args.ScalarIn(6, "epsilon", 0, 1, true);
  float weightDecay = WeightDecay(args, 7);
  float l2 = L2(args, 8);
  Clipping clip = ReadClipping(args, 9);
  CheckArena(args, arrays);
  return FirstNonFinite(
      info, rmsprop_update(count, arrays[0].data, arrays[1].data, arrays[2].data, lr, beta2,
                           epsilon, weightDecay, l2, clip.gradScale, clip.clipValue));
}

// adamUpdate(count, params, grads, m, v, lr, beta1, beta2, epsilon, step, weightDecay, l2,
//            [gradScale, clipValue])
Napi::Value AdamUpdate(const CallInfo& info) {
  Args args(info, "adamUpdate", 12, 14);
  int64_t count = args.Size(0, "count");
  View<float> arrays[] = {args.Floats(1, "params", count), args.Floats(2, "grads", count),
                          args.Floats(3, "m", count), args.Floats(4, "v", count)};
  float lr = LearningRate(args, 5);
  float beta1 = args.ScalarIn(6, "beta1", 0, 1, false, true);
  float beta2 = args.ScalarIn(7, "beta2", 0, 1, false, true);
  float epsilon = args.ScalarIn(8, "epsilon", 0, 1, true);
  int64_t step = args.Size(9, "step", 1);
  float weightDecay = WeightDecay(args, 10);
  float l2 = L2(args, 11);
  Clipping clip = ReadClipping(args, 12);
  CheckArena(args, arrays);
  return FirstNonFinite(info, adam_update(count, arrays[0].data, arrays[1].data, arrays[2].data,
                                          arrays[3].data, lr, beta1, beta2, epsilon, step,
                                          weightDecay, l2, clip.gradScale, clip.clipValue));
}

// sumOfSquares(count, x, [clipValue]): Σ clamp(x_i)^2 in double (the squared global norm).
Napi::Value SumOfSquares(const CallInfo& info) {
  Args args(info, "sumOfSquares", 2, 3);
  int64_t count = args.Size(0, "count");
  View<float> x = args.Floats(1, "x", count);
  float clipValue = args.Has(2) ? ClipValue(args, 2) : 0.0f;
  return Napi::Number::New(info.Env(), sum_of_squares(count, x.data, clipValue));
}

}  // namespace

void RegisterOptimizers(Napi::Env env, Napi::Object exports) {
  Define<SgdUpdate>(env, exports, "sgdUpdate");
  Define<MomentumUpdate>(env, exports, "momentumUpdate");
  Define<RmspropUpdate>(env, exports, "rmspropUpdate");
  Define<AdamUpdate>(env, exports, "adamUpdate");
  Define<SumOfSquares>(env, exports, "sumOfSquares");
}

}  // namespace densenode::binding
