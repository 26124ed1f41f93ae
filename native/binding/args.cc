// Argument checks shared by every export of the binding (see args.h).
#include "binding/args.h"

#include <cmath>
#include <cstdio>

namespace densenode::binding {

std::string FormatNumber(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", d);
  return text;
}

namespace {

const char* TypedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array: return "a Float32Array";
    case napi_float64_array: return "a Float64Array";
    case napi_int32_array: return "an Int32Array";
    case napi_uint32_array: return "a Uint32Array";
    case napi_uint8_array: return "a Uint8Array";
    case napi_int8_array: return "an Int8Array";
    case napi_uint8_clamped_array: return "a Uint8ClampedArray";
    case napi_int16_array: return "an Int16Array";
    case napi_uint16_array: return "a Uint16Array";
    default: return "a TypedArray of another type";
  }
}

}  // namespace

std::string Describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return v.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: return FormatNumber(v.As<Napi::Number>().DoubleValue());
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: break;
  }
  if (v.IsTypedArray()) return TypedArrayName(v.As<Napi::TypedArray>().TypedArrayType());
  if (v.IsArray()) return "an Array";
  if (v.IsArrayBuffer()) return "an ArrayBuffer";
  if (v.IsDataView()) return "a DataView";
  return "an object";
}

Args::Args(const CallInfo& info, const char* fn, size_t count)
    : info_(info), env_(info.Env()), fn_(fn) {
  if (info.Length() != count) {
    throw Napi::TypeError::New(env_, std::string(fn) + ": expected " + std::to_string(count) +
                                         " arguments, received " + std::to_string(info.Length()));
  }
}

Args::Args(const CallInfo& info, const char* fn, size_t count, size_t countWithOptional)
    : info_(info), env_(info.Env()), fn_(fn) {
  if (info.Length() != count && info.Length() != countWithOptional) {
    throw Napi::TypeError::New(env_, std::string(fn) + ": expected " + std::to_string(count) +
                                         " or " + std::to_string(countWithOptional) +
                                         " arguments, received " + std::to_string(info.Length()));
  }
}

void Args::Type(const char* name, const std::string& expected, const std::string& actual) const {
  throw Napi::TypeError::New(
      env_, std::string(fn_) + ": expected " + expected + " for " + name + ", received " + actual);
}

void Args::Range(const char* name, const std::string& expected, const std::string& actual) const {
  throw Napi::RangeError::New(
      env_, std::string(fn_) + ": expected " + expected + " for " + name + ", received " + actual);
}

// Each read is one N-API call on the success path: napi_get_value_* and napi_get_typedarray_info
// fail on a value of another type, so no separate type check runs first (a gemm call read its 16
// arguments in ~30 calls; see docs/decisions.md).
bool Args::Bool(size_t i, const char* name) const {
  bool b = false;
  if (napi_get_value_bool(env_, info_[i], &b) != napi_ok)
    Type(name, "a boolean", Describe(info_[i]));
  return b;
}

template <typename Expected>
double Args::Number(size_t i, const char* name, Expected expected) const {
  double d = 0;
  if (napi_get_value_double(env_, info_[i], &d) != napi_ok)
    Type(name, expected(), Describe(info_[i]));
  return d;
}

std::string Args::String(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (!v.IsString()) Type(name, "a string", Describe(v));
  return v.As<Napi::String>().Utf8Value();
}

// The messages are built only on the error path: these run for every argument of every call.
int64_t Args::Size(size_t i, const char* name, int64_t min, int64_t max) const {
  double d = Number(i, name, [&] { return "an integer >= " + std::to_string(min); });
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) ||
      d > static_cast<double>(max)) {
    Range(name, "an integer >= " + std::to_string(min) + " and <= " + std::to_string(max),
          Describe(info_[i]));
  }
  return static_cast<int64_t>(d);
}

int64_t Args::Leading(size_t i, const char* name, int64_t cols, const char* colsName) const {
  int64_t ld = Size(i, name, 1);
  if (ld < cols) {
    Range(name, std::string("an integer >= ") + colsName + " (" + std::to_string(cols) + ")",
          std::to_string(ld));
  }
  return ld;
}

float Args::Scalar(size_t i, const char* name) const {
  double d = Number(i, name, [] { return std::string("a finite number"); });
  if (!std::isfinite(d)) Range(name, "a finite number", Describe(info_[i]));
  return static_cast<float>(d);
}

float Args::ScalarIn(size_t i, const char* name, double lo, double hi, bool loOpen,
                     bool hiOpen) const {
  return static_cast<float>(NumberIn(i, name, lo, hi, loOpen, hiOpen));
}

double Args::NumberIn(size_t i, const char* name, double lo, double hi, bool loOpen,
                      bool hiOpen) const {
  auto expected = [&] {
    return std::string("a number in ") + (loOpen ? "(" : "[") + FormatNumber(lo) + ", " +
           FormatNumber(hi) + (hiOpen ? ")" : "]");
  };
  double d = Number(i, name, expected);
  bool above = loOpen ? d > lo : d >= lo;
  bool below = hiOpen ? d < hi : d <= hi;
  if (!(above && below)) Range(name, expected(), Describe(info_[i]));
  return d;
}

// One napi_get_typedarray_info per array. A detached buffer reports length 0, so it is looked
// for only when the array is too short, which keeps the check off the hot path.
void* Args::Typed(size_t i, const char* name, napi_typedarray_type type, const char* typeName,
                  bool optional, int64_t need) const {
  napi_value v = info_[i];
  auto expected = [&] { return std::string(typeName) + (optional ? " or null" : ""); };
  napi_typedarray_type actual = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer = nullptr;
  if (napi_get_typedarray_info(env_, v, &actual, &length, &data, &buffer, nullptr) != napi_ok ||
      actual != type) {
    Type(name, expected(), Describe(info_[i]));
  }
  if (static_cast<int64_t>(length) < need) {
    bool detached = false;
    napi_is_detached_arraybuffer(env_, buffer, &detached);
    if (detached) Type(name, expected(), std::string(typeName) + " on a detached ArrayBuffer");
    Range(name, std::string(typeName) + " of at least " + std::to_string(need) + " elements",
          "length " + std::to_string(length));
  }
  return data;
}

View<float> Args::Floats(size_t i, const char* name, int64_t need) const {
  return {static_cast<float*>(Typed(i, name, napi_float32_array, "a Float32Array", false, need)),
          need, name};
}

View<float> Args::OptionalFloats(size_t i, const char* name, int64_t need) const {
  if (info_[i].IsNull()) return {nullptr, 0, name};
  return {static_cast<float*>(Typed(i, name, napi_float32_array, "a Float32Array", true, need)),
          need, name};
}

View<int32_t> Args::Int32s(size_t i, const char* name, int64_t need) const {
  return {static_cast<int32_t*>(Typed(i, name, napi_int32_array, "an Int32Array", false, need)),
          need, name};
}

View<uint8_t> Args::Bytes(size_t i, const char* name, int64_t need) const {
  return {static_cast<uint8_t*>(Typed(i, name, napi_uint8_array, "a Uint8Array", false, need)),
          need, name};
}

View<uint8_t> Args::OptionalBytes(size_t i, const char* name, int64_t need) const {
  if (info_[i].IsNull()) return {nullptr, 0, name};
  return {static_cast<uint8_t*>(Typed(i, name, napi_uint8_array, "a Uint8Array", true, need)), need,
          name};
}

View<uint32_t> Args::Uint32s(size_t i, const char* name, int64_t need) const {
  return {static_cast<uint32_t*>(Typed(i, name, napi_uint32_array, "a Uint32Array", false, need)),
          need, name};
}

void Args::Overlap(const char* out, const char* other, bool sameOk) const {
  throw Napi::RangeError::New(env_, std::string(fn_) + ": " + out + " must not overlap " + other +
                                        (sameOk ? " (it may be the very same array)" : ""));
}

}  // namespace densenode::binding
