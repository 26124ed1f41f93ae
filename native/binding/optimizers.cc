// Optimizer updates over a whole parameter arena (native/optimizers.h).
// Every state array has the arena's length and must not overlap another.
#include "optimizers.h"

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

// sgdUpdate(count, params, grads, lr, weightDecay)
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "sgdUpdate", 5);
  int64_t count = args.Size(0, "count");
  View<float> arrays[] = {args.Floats(1, "params", count), args.Floats(2, "grads", count)};
  float lr = LearningRate(args, 3);
  float weightDecay = WeightDecay(args, 4);
  CheckArena(args, arrays);
  sgd_update(count, arrays[0].data, arrays[1].data, lr, weightDecay);
  return info.Env().Undefined();
}

// momentumUpdate(count, params, grads, velocity, lr, beta1, weightDecay)
Napi::Value MomentumUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "momentumUpdate", 7);
  int64_t count = args.Size(0, "count");
  View<float> arrays[] = {args.Floats(1, "params", count), args.Floats(2, "grads", count),
                          args.Floats(3, "velocity", count)};
  float lr = LearningRate(args, 4);
  float beta1 = args.ScalarIn(5, "beta1", 0, 1, false, true);
  float weightDecay = WeightDecay(args, 6);
  CheckArena(args, arrays);
  momentum_update(count, arrays[0].data, arrays[1].data, arrays[2].data, lr, beta1, weightDecay);
  return info.Env().Undefined();
}

// rmspropUpdate(count, params, grads, square, lr, beta2, epsilon, weightDecay)
Napi::Value RmspropUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "rmspropUpdate", 8);
  int64_t count = args.Size(0, "count");
  View<float> arrays[] = {args.Floats(1, "params", count), args.Floats(2, "grads", count),
                          args.Floats(3, "square", count)};
  float lr = LearningRate(args, 4);
  float beta2 = args.ScalarIn(5, "beta2", 0, 1, false, true);
  float epsilon = args.ScalarIn(6, "epsilon", 0, 1, true);
  float weightDecay = WeightDecay(args, 7);
  CheckArena(args, arrays);
  rmsprop_update(count, arrays[0].data, arrays[1].data, arrays[2].data, lr, beta2, epsilon,
                 weightDecay);
  return info.Env().Undefined();
}

// adamUpdate(count, params, grads, m, v, lr, beta1, beta2, epsilon, step, weightDecay)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "adamUpdate", 11);
  int64_t count = args.Size(0, "count");
  View<float> arrays[] = {args.Floats(1, "params", count), args.Floats(2, "grads", count),
                          args.Floats(3, "m", count), args.Floats(4, "v", count)};
  float lr = LearningRate(args, 5);
  float beta1 = args.ScalarIn(6, "beta1", 0, 1, false, true);
  float beta2 = args.ScalarIn(7, "beta2", 0, 1, false, true);
  float epsilon = args.ScalarIn(8, "epsilon", 0, 1, true);
  int64_t step = args.Size(9, "step", 1);
  float weightDecay = WeightDecay(args, 10);
  CheckArena(args, arrays);
  adam_update(count, arrays[0].data, arrays[1].data, arrays[2].data, arrays[3].data, lr, beta1,
              beta2, epsilon, step, weightDecay);
  return info.Env().Undefined();
}

}  // namespace

void RegisterOptimizers(Napi::Env env, Napi::Object exports) {
  exports.Set("sgdUpdate", Napi::Function::New(env, SgdUpdate));
  exports.Set("momentumUpdate", Napi::Function::New(env, MomentumUpdate));
  exports.Set("rmspropUpdate", Napi::Function::New(env, RmspropUpdate));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
}

}  // namespace densenode::binding
