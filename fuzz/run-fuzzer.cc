// The fuzz build's extra exports (cmake -DDENSENODE_FUZZ=ON, built by scripts/fuzz.mjs only):
// libFuzzer's loop inside Node. LLVMFuzzerRunDriver runs on its own thread, so the JS event loop
// stays free for the async parsers (dn.load reads files); each input goes to the JS callback
// through a thread-safe function, and the fuzzer thread waits until JS calls fuzzDone(). A
// finding (fuzzDone with a message) aborts on the fuzzer thread, inside the callback, so
// libFuzzer's own crash handler writes the input as crash-<sha1>; so does an input that takes
// longer than -timeout. JS coverage reaches libFuzzer through jsCounters(), a view of an array in
// the __libfuzzer_extra_counters section, which libFuzzer clears before each input and reads after
// it, as it reads the addon's own counters.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv,
                                   int (*callback)(const uint8_t* data, size_t size));

namespace densenode::fuzz {
namespace {

constexpr size_t kJsCounters = 1 << 16;
__attribute__((section("__libfuzzer_extra_counters"), used)) uint8_t js_counters[kJsCounters];

struct Input {
  const uint8_t* data;
  size_t size;
};

Napi::ThreadSafeFunction on_input;
Napi::ThreadSafeFunction on_exit_js;
std::thread::id fuzzer_thread;
std::mutex mutex;
std::condition_variable answered;
bool done = false;
std::string finding;
int timeout_seconds = 1200;  // libFuzzer's default -timeout
std::vector<std::string> arg_storage;
std::vector<char*> arg_pointers;

void CallJs(Napi::Env env, Napi::Function callback, Input* input) {
  // A copy: the bytes belong to libFuzzer, which reuses them once the callback returns.
  callback.Call({Napi::Buffer<uint8_t>::Copy(env, input->data, input->size)});
}

int OneInput(const uint8_t* data, size_t size) {
  Input input{data, size};
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = false;
  }
  if (on_input.BlockingCall(&input, CallJs) != napi_ok) {
    std::fprintf(stderr, "fuzz: the JS callback is gone\n");
    std::abort();
  }
  std::unique_lock<std::mutex> lock(mutex);
  // libFuzzer's own -timeout cannot fire here: its SIGALRM handler acts only on the thread that
  // runs the fuzzer, and the kernel delivers the signal to another (Node's main thread), so the
  // wait is bounded here, with the same -timeout.
  if (!answered.wait_for(lock, std::chrono::seconds(timeout_seconds), [] { return done; })) {
    std::fprintf(stderr, "\n==fuzz== FINDING: timeout: the input took more than %d s\n",
                 timeout_seconds);
    std::fflush(stderr);
    std::abort();
  }
  if (!finding.empty()) {
    std::fprintf(stderr, "\n==fuzz== FINDING: %s\n", finding.c_str());
    std::fflush(stderr);
    std::abort();  // libFuzzer's SIGABRT handler saves this input as crash-<sha1>
  }
  return 0;
}

// Waits (a bounded time) for the JS callback of this turn to call fuzzDone().
bool WaitForJs(std::chrono::seconds bound) {
  std::unique_lock<std::mutex> lock(mutex);
  return answered.wait_for(lock, bound, [] { return done; });
}

// libFuzzer ends the run with exit() on its thread: onExit() runs first, in JS, while the main
// thread is still alive (the harness writes its coverage summary there). Then the process ends
// at once with exit()'s status: letting exit() go on would run static destructors on this thread
// while V8 still runs on the main one (a SIGSEGV at the end of a clean run, now and then in CI).
void AtExit(int status, void*) {
  if (std::this_thread::get_id() != fuzzer_thread) return;
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = false;
  }
  if (on_exit_js.BlockingCall() == napi_ok) WaitForJs(std::chrono::seconds(20));
  std::fflush(nullptr);
  std::_Exit(status);
}

// runFuzzer(argv, onInput, onExit): starts libFuzzer with argv (argv[0] is the command that reruns
// this harness, for -merge); onInput(bytes) is called for each input and must end with
// fuzzDone(), as must onExit(), called when libFuzzer exits the process at the end of the run.
Napi::Value RunFuzzer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsArray() || !info[1].IsFunction() || !info[2].IsFunction()) {
    throw Napi::TypeError::New(
        env, "runFuzzer: expected (argv: string[], onInput: function, onExit: function)");
  }
  Napi::Array argv = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < argv.Length(); i++)
    arg_storage.push_back(argv.Get(i).ToString().Utf8Value());
  for (auto& arg : arg_storage) {
    if (arg.rfind("-timeout=", 0) == 0) timeout_seconds = std::max(1, std::atoi(arg.c_str() + 9));
    arg_pointers.push_back(arg.data());
  }
  arg_pointers.push_back(nullptr);
  on_input = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "fuzz", 0, 1);
  on_exit_js = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "fuzz-exit", 0, 1);
  on_exit(AtExit, nullptr);  // glibc: the handler gets exit()'s status
  std::thread([] {
    fuzzer_thread = std::this_thread::get_id();
    int argc = static_cast<int>(arg_pointers.size()) - 1;
    char** args = arg_pointers.data();
    std::exit(LLVMFuzzerRunDriver(&argc, &args, OneInput));
  }).detach();
  return env.Undefined();
}

// fuzzDone(finding?): the current input is finished; a string is a finding (the run stops).
Napi::Value FuzzDone(const Napi::CallbackInfo& info) {
  std::string message =
      info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  {
    std::lock_guard<std::mutex> lock(mutex);
    finding = message;
    done = true;
  }
  answered.notify_one();
  return info.Env().Undefined();
}

Napi::Value JsCounters(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), js_counters, kJsCounters);
  return Napi::Uint8Array::New(info.Env(), kJsCounters, buffer, 0);
}

}  // namespace

void RegisterFuzz(Napi::Env env, Napi::Object exports) {
  exports.Set("runFuzzer", Napi::Function::New(env, RunFuzzer, "runFuzzer"));
  exports.Set("fuzzDone", Napi::Function::New(env, FuzzDone, "fuzzDone"));
  exports.Set("jsCounters", Napi::Function::New(env, JsCounters, "jsCounters"));
}

}  // namespace densenode::fuzz
