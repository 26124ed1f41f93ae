// The N-API surface of densenode: the only file that knows N-API. Each export
// checks every argument (type, integer sizes, lengths against the stated
// shape, detached buffers) and throws a TypeError/RangeError naming it; the
// kernels below take raw pointers and sizes and never see a JS value.
//
// Node-API modules are context-aware: nothing here is per-process mutable state
// except the thread pool, which guards itself, so the addon loads in workers.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "gemm/gemm.h"
#include "threadpool.h"

namespace {

// Dimensions are capped so that (rows - 1) * ld + cols cannot overflow int64.
constexpr int64_t kMaxDim = 2147483647;  // 2^31 - 1

std::string Describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return v.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: {
      double d = v.As<Napi::Number>().DoubleValue();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      std::string s = std::to_string(d);
      s.erase(s.find_last_not_of('0') + 1);
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    }
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: break;
  }
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return "a Float32Array";
      case napi_float64_array: return "a Float64Array";
      case napi_int32_array: return "an Int32Array";
      case napi_uint8_array: return "a Uint8Array";
      default: return "a TypedArray of another type";
    }
  }
  if (v.IsArray()) return "an Array";
  if (v.IsArrayBuffer()) return "an ArrayBuffer";
  return "an object";
}

// One message format for every argument error, the same as lib/errors.ts:
//   "gemm: expected <what> for <name>, received <actual>"
[[noreturn]] void ThrowType(Napi::Env env, const char* fn, const char* name,
                            const std::string& expected, const std::string& actual) {
  throw Napi::TypeError::New(
      env, std::string(fn) + ": expected " + expected + " for " + name + ", received " + actual);
}

[[noreturn]] void ThrowRange(Napi::Env env, const char* fn, const char* name,
                             const std::string& expected, const std::string& actual) {
  throw Napi::RangeError::New(
      env, std::string(fn) + ": expected " + expected + " for " + name + ", received " + actual);
}

// Reads arguments of one call in order, naming each in its errors.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn, size_t count)
      : info_(info), env_(info.Env()), fn_(fn) {
    if (info.Length() != count) {
      throw Napi::TypeError::New(env_, std::string(fn) + ": expected " + std::to_string(count) +
                                           " arguments, received " + std::to_string(info.Length()));
    }
  }

  // A size or leading dimension: an integer in [min, 2^31 - 1].
  int64_t Size(size_t i, const char* name, int64_t min = 0) const {
    Napi::Value v = info_[i];
    std::string expected = "an integer >= " + std::to_string(min);
    if (!v.IsNumber()) ThrowType(env_, fn_, name, expected, Describe(v));
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) ||
        d > static_cast<double>(kMaxDim)) {
      ThrowRange(env_, fn_, name, expected + " and <= 2147483647", Describe(v));
    }
    return static_cast<int64_t>(d);
  }

  float Scalar(size_t i, const char* name) const {
    Napi::Value v = info_[i];
    if (!v.IsNumber()) ThrowType(env_, fn_, name, "a finite number", Describe(v));
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d)) ThrowRange(env_, fn_, name, "a finite number", Describe(v));
    return static_cast<float>(d);
  }

  bool Bool(size_t i, const char* name) const {
    Napi::Value v = info_[i];
    if (!v.IsBoolean()) ThrowType(env_, fn_, name, "a boolean", Describe(v));
    return v.As<Napi::Boolean>().Value();
  }

  // A Float32Array of at least `need` elements (any byteOffset, ArrayBuffer or
  // SharedArrayBuffer). `optional` also accepts null/undefined -> nullptr.
  float* Floats(size_t i, const char* name, int64_t need, bool optional = false) const {
    Napi::Value v = info_[i];
    if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
    const char* expected = optional ? "a Float32Array or null" : "a Float32Array";
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      ThrowType(env_, fn_, name, expected, Describe(v));
    }
    Napi::Float32Array array = v.As<Napi::Float32Array>();
    Napi::Value buffer = array.ArrayBuffer();
    if (buffer.IsArrayBuffer() && buffer.As<Napi::ArrayBuffer>().IsDetached()) {
      ThrowType(env_, fn_, name, expected, "a Float32Array on a detached ArrayBuffer");
    }
    int64_t length = static_cast<int64_t>(array.ElementLength());
    if (length < need) {
      ThrowRange(env_, fn_, name,
                 "a Float32Array of at least " + std::to_string(need) + " elements",
                 "length " + std::to_string(length));
    }
    return array.Data();
  }

  // The leading dimension of a rows x cols row-major view: at least cols (and 1).
  int64_t Leading(size_t i, const char* name, int64_t cols, const char* colsName) const {
    int64_t ld = Size(i, name, 1);
    if (ld < cols) {
      ThrowRange(env_, fn_, name,
                 std::string("an integer >= ") + colsName + " (" + std::to_string(cols) + ")",
                 std::to_string(ld));
    }
    return ld;
  }

  [[noreturn]] void Overlap(const char* a, const char* b) const {
    throw Napi::RangeError::New(env_, std::string(fn_) + ": " + a + " must not overlap " + b);
  }

  Napi::Env env() const { return env_; }

 private:
  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* fn_;
};

// Elements spanned by a rows x cols view with leading dimension ld.
int64_t Span(int64_t rows, int64_t cols, int64_t ld) {
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

bool Overlaps(const float* a, int64_t na, const float* b, int64_t nb) {
  return a && b && na > 0 && nb > 0 && a < b + nb && b < a + na;
}

// gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, bias, relu)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args args(info, "gemm", 15);
  bool transA = args.Bool(0, "transA");
  bool transB = args.Bool(1, "transB");
  int64_t m = args.Size(2, "m");
  int64_t n = args.Size(3, "n");
  int64_t k = args.Size(4, "k");
  float alpha = args.Scalar(5, "alpha");
  // A is k x m when transposed, m x k otherwise; B is n x k or k x n.
  int64_t aRows = transA ? k : m, aCols = transA ? m : k;
  int64_t bRows = transB ? n : k, bCols = transB ? k : n;
  int64_t lda = args.Leading(7, "lda", aCols, transA ? "m" : "k");
  int64_t ldb = args.Leading(9, "ldb", bCols, transB ? "k" : "n");
  float beta = args.Scalar(10, "beta");
  int64_t ldc = args.Leading(12, "ldc", n, "n");
  int64_t needA = Span(aRows, aCols, lda), needB = Span(bRows, bCols, ldb);
  int64_t needC = Span(m, n, ldc);
  const float* A = args.Floats(6, "A", needA);
  const float* B = args.Floats(8, "B", needB);
  float* C = args.Floats(11, "C", needC);
  const float* bias = args.Floats(13, "bias", n, true);
  bool relu = args.Bool(14, "relu");
  if (Overlaps(C, needC, A, needA)) args.Overlap("C", "A");
  if (Overlaps(C, needC, B, needB)) args.Overlap("C", "B");
  if (bias && Overlaps(C, needC, bias, n)) args.Overlap("C", "bias");
  densenode::gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, bias, relu);
  return info.Env().Undefined();
}

// setThreads(n): size the shared pool; n in [1, 256].
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setThreads", 1);
  int64_t n = args.Size(0, "n", 1);
  if (n > 256)
    ThrowRange(info.Env(), "setThreads", "n", "an integer in [1, 256]", std::to_string(n));
  densenode::pool_set_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Args args(info, "info", 0);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("isa", densenode::gemm_isa());
  out.Set("threads", densenode::pool_threads());
  out.Set("napiVersion", NAPI_VERSION);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  return exports;
}

}  // namespace

NODE_API_MODULE(densenode, Init)
