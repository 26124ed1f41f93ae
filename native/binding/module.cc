// The addon's entry point. Node-API modules are context-aware: nothing here is
// per-process mutable state except the thread pool, which guards itself, so
// the addon loads in worker_threads.
#include "binding/args.h"
#include "gemm/gemm.h"
#include "threadpool.h"

#ifdef DENSENODE_FUZZ
namespace densenode::fuzz {
void RegisterFuzz(Napi::Env env, Napi::Object exports);  // fuzz/run-fuzzer.cc, the fuzz build only
}
#endif

namespace densenode::binding {
namespace {

// setThreads(n): size the shared pool; n in [1, 256].
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setThreads", 1);
  pool_set_threads(static_cast<int>(args.Size(0, "n", 1, 256)));
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Args args(info, "info", 0);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("isa", gemm_isa());
  out.Set("threads", pool_threads());
  out.Set("napiVersion", NAPI_VERSION);
  return out;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  RegisterGemm(env, exports);
  RegisterLayers(env, exports);
  RegisterLosses(env, exports);
  RegisterOptimizers(env, exports);
#ifdef DENSENODE_FUZZ
  fuzz::RegisterFuzz(env, exports);
#endif
  return exports;
}

}  // namespace densenode::binding

// NODE_API_MODULE pastes its second argument into an identifier, so it needs an unqualified name.
static Napi::Object InitDensenode(Napi::Env env, Napi::Object exports) {
  return densenode::binding::Init(env, exports);
}

NODE_API_MODULE(densenode, InitDensenode)
