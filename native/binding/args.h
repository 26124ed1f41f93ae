// Argument checking for the N-API binding: every export reads its arguments
// through Args, which throws a TypeError/RangeError naming the argument in the
// one format shared with lib/errors.ts:
//   "<fn>: expected <what> for <name>, received <actual>"
#pragma once
#include <napi.h>

#include <cstdint>
#include <exception>
#include <string>

namespace densenode::binding {

// Sizes are capped so that (rows - 1) * ld + cols cannot overflow int64.
constexpr int64_t kMaxDim = 2147483647;  // 2^31 - 1

std::string Describe(const Napi::Value& v);
// A number as the errors print it (as lib/errors.ts's describe does for the values tests use).
std::string FormatNumber(double d);

// Elements spanned by a rows x cols row-major view with leading dimension ld.
inline int64_t Span(int64_t rows, int64_t cols, int64_t ld) {
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

// A call's arguments, read into a fixed array: Napi::CallbackInfo allocates one on the heap and
// reads them twice for a call of more than 6 (gemm has 16; see docs/decisions.md). A call with
// more than kMaxArgs reports its real Length(), so Args refuses it by count.
class CallInfo {
 public:
  static constexpr size_t kMaxArgs = 20;
  CallInfo(napi_env env, napi_callback_info info) : env_(env) {
    napi_status status = napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr);
    NAPI_THROW_IF_FAILED_VOID(env, status);
  }
  Napi::Env Env() const { return Napi::Env(env_); }
  size_t Length() const { return argc_; }
  Napi::Value operator[](size_t i) const {
    return i < argc_ && i < kMaxArgs ? Napi::Value(env_, argv_[i]) : Env().Undefined();
  }

 private:
  napi_env env_;
  size_t argc_ = kMaxArgs;
  napi_value argv_[kMaxArgs] = {};
};

using Export = Napi::Value (*)(const CallInfo&);

// The N-API callback of an export: its C++ exceptions become JavaScript ones (a Napi::Error as
// itself, anything else as an Error with its message), as node-addon-api's own wrapper does.
template <Export F>
napi_value Call(napi_env env, napi_callback_info cb) {
  try {
    CallInfo info(env, cb);
    return F(info);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(env, e.what()).ThrowAsJavaScriptException();
  } catch (...) {
    Napi::Error::New(env, "A native exception was thrown").ThrowAsJavaScriptException();
  }
  return nullptr;
}

// exports[name] = a function calling F.
template <Export F>
void Define(Napi::Env env, Napi::Object exports, const char* name) {
  napi_value fn = nullptr;
  napi_status status = napi_create_function(env, name, NAPI_AUTO_LENGTH, Call<F>, nullptr, &fn);
  NAPI_THROW_IF_FAILED_VOID(env, status);
  exports.Set(name, Napi::Value(env, fn));
}

// A checked typed-array argument: its data and the elements the call may touch.
template <typename T>
struct View {
  T* data;
  int64_t need;
  const char* name;
};

class Args {
 public:
  // Checks the argument count exactly: extra or missing arguments are errors.
  Args(const CallInfo& info, const char* fn, size_t count);
  // The same with optional trailing arguments: `count` or `countWithOptional`.
  Args(const CallInfo& info, const char* fn, size_t count, size_t countWithOptional);
  // Whether argument i was passed.
  bool Has(size_t i) const { return i < info_.Length(); }

  [[noreturn]] void Type(const char* name, const std::string& expected,
                         const std::string& actual) const;
  [[noreturn]] void Range(const char* name, const std::string& expected,
                          const std::string& actual) const;

  bool Bool(size_t i, const char* name) const;
  std::string String(size_t i, const char* name) const;
  // An integer in [min, max] (max defaults to 2^31 - 1).
  int64_t Size(size_t i, const char* name, int64_t min = 0, int64_t max = kMaxDim) const;
  // A leading dimension: an integer >= max(1, cols).
  int64_t Leading(size_t i, const char* name, int64_t cols, const char* colsName) const;
  // A finite number.
  float Scalar(size_t i, const char* name) const;
  // A finite number in [lo, hi], or (lo, hi] / [lo, hi) / (lo, hi) when the bounds are open.
  float ScalarIn(size_t i, const char* name, double lo, double hi, bool loOpen = false,
                 bool hiOpen = false) const;
  // The same, kept as a double (where the JS side computes in double too).
  double NumberIn(size_t i, const char* name, double lo, double hi, bool loOpen = false,
                  bool hiOpen = false) const;

  // Typed arrays of at least `need` elements (any byteOffset, ArrayBuffer or
  // SharedArrayBuffer, never detached). Optional ones accept null -> data nullptr.
  View<float> Floats(size_t i, const char* name, int64_t need) const;
  View<float> OptionalFloats(size_t i, const char* name, int64_t need) const;
  View<int32_t> Int32s(size_t i, const char* name, int64_t need) const;
  View<uint8_t> Bytes(size_t i, const char* name, int64_t need) const;
  View<uint8_t> OptionalBytes(size_t i, const char* name, int64_t need) const;
  View<uint32_t> Uint32s(size_t i, const char* name, int64_t need) const;

  // An output must not overlap an input or another output, except that it may
  // be exactly the same array where the kernel allows it in place.
  template <typename A, typename B>
  void Disjoint(const View<A>& out, const View<B>& other, bool sameOk = false) const {
    const char* a = reinterpret_cast<const char*>(out.data);
    const char* b = reinterpret_cast<const char*>(other.data);
    if (!a || !b || out.need == 0 || other.need == 0) return;
    const char* aEnd = a + out.need * static_cast<int64_t>(sizeof(A));
    const char* bEnd = b + other.need * static_cast<int64_t>(sizeof(B));
    if (a >= bEnd || b >= aEnd) return;
    if (sameOk && a == b) return;
    Overlap(out.name, other.name, sameOk);
  }

  Napi::Env env() const { return env_; }

 private:
  // Argument i as a double; a TypeError naming expected() (built only then) when it is not a
  // number. Defined in args.cc, its only user.
  template <typename Expected>
  double Number(size_t i, const char* name, Expected expected) const;
  // The data of a typed array of `type` with at least `need` elements.
  void* Typed(size_t i, const char* name, napi_typedarray_type type, const char* typeName,
              bool optional, int64_t need) const;
  [[noreturn]] void Overlap(const char* out, const char* other, bool sameOk) const;

  const CallInfo& info_;
  Napi::Env env_;
  const char* fn_;
};

// Each file of the binding adds its exports to the module object.
void RegisterGemm(Napi::Env env, Napi::Object exports);
void RegisterLayers(Napi::Env env, Napi::Object exports);
void RegisterLosses(Napi::Env env, Napi::Object exports);
void RegisterOptimizers(Napi::Env env, Napi::Object exports);

}  // namespace densenode::binding
