// The addon's entry point. Node-API modules are context-aware: nothing here is
// per-process mutable state except the thread pool, which guards itself, so
// the addon loads in worker_threads.
#include "binding/args.h"
#include "cache_info.h"
#include "cpu.h"
#include "cpu_budget.h"
#include "gemm/gemm.h"
#include "gemm/runtime_blocking.h"
#include "threadpool.h"

#ifdef DENSENODE_FUZZ
namespace densenode::fuzz {
void RegisterFuzz(Napi::Env env, Napi::Object exports);  // fuzz/run-fuzzer.cc, the fuzz build only
}
#endif

namespace densenode::binding {
namespace {

// setThreads(n): size the shared pool; n in [1, kMaxThreads].
Napi::Value SetThreads(const CallInfo& info) {
  Args args(info, "setThreads", 1);
  pool_set_threads(static_cast<int>(args.Size(0, "n", 1, kMaxThreads)));
  return info.Env().Undefined();
}

Napi::Value Info(const CallInfo& info) {
  Args args(info, "info", 0);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("isa", gemm_isa());
  out.Set("threads", pool_threads());
  out.Set("napiVersion", NAPI_VERSION);
  const CpuBudget& budget = cpu_budget();
  Napi::Object cpus = Napi::Object::New(info.Env());
  cpus.Set("online", budget.online);
  cpus.Set("affinity", budget.affinity);
  cpus.Set("quota", budget.quota);
  cpus.Set("threads", budget.threads);
  cpus.Set("source", budget.source);
  out.Set("cpus", cpus);
  const CacheInfo& c = cpu_caches();
  Napi::Object caches = Napi::Object::New(info.Env());
  auto level = [&](const char* name, const CacheLevel& l) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("bytes", double(l.bytes));
    o.Set("ways", l.ways);
    o.Set("sharing", l.sharing);
    caches.Set(name, o);
  };
  level("l1d", c.l1d);
  level("l2", c.l2);
  level("l3", c.l3);
  caches.Set("source", c.source);
  out.Set("caches", caches);
  const BlockingChoice& b = runtime_blocking(isa_kernels());
  Napi::Object blocking = Napi::Object::New(info.Env());
  blocking.Set("mr", b.bk.mr);
  blocking.Set("nr", b.bk.nr);
  blocking.Set("mc", b.bk.mc);
  blocking.Set("kc", b.bk.kc);
  blocking.Set("nc", b.bk.nc);
  blocking.Set("wholeK", b.whole_k);
  blocking.Set("source", b.source);
  out.Set("blocking", blocking);
  return out;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Define<SetThreads>(env, exports, "setThreads");
  Define<Info>(env, exports, "info");
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
