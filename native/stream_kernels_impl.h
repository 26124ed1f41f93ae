// The inner loops of stream_kernels.h, compiled once per ISA: the including
// file defines STREAM_NS (the namespace of this copy) and builds with its own
// ISA flags. No guard: each TU includes it exactly once.
//
// Each loop reads everything it needs for element i before it stores
// anything: the arenas are page-aligned, so p[i], m[i] and v[i] share their
// low 12 address bits, and a load issued after a store to the same 4 KiB
// offset waits on a false dependency. They are free functions, not lambdas:
// a byte store (the mask) may alias a lambda's captures, which keeps a loop
// scalar.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "stream_kernels.h"

#if !defined(STREAM_NS)
#error "define STREAM_NS before including stream_kernels_impl.h"
#endif

namespace densenode {
namespace stream {
namespace STREAM_NS {
namespace {

// Moments that decay geometrically (a weight whose gradient stays 0, like a
// background pixel's) sink into the subnormal range and stick there: 0.9 times
// the smallest subnormal rounds back to itself. Subnormal arithmetic takes a
// microcode assist on x86 (Adam measured 2.3x slower), so a moment below
// FLT_MIN is stored as 0. lib/backend/js/optimizers.ts does the same.
inline float flush_tiny(float x) { return std::fabs(x) < FLT_MIN ? 0.0f : x; }

// clamp(v, -limit, limit) as two selects, which the vectoriser turns into max and min (GCC 12
// compiled the nested ternary on v to compares and branches); a NaN stays a NaN.
inline float clamp_to(float v, float limit) {
  const float above = v < -limit ? -limit : v;
  return above > limit ? limit : above;
}

// The gradient as an update reads it (GradRead in stream_kernels.h), in three forms so that
// each loop carries only the constants it uses. Adam on AVX2 is short of registers: measured at
// 235k floats on Zen 3, 124 us plain, 139 us with scale and rescale, 130 us with the scale alone,
// 153 us with the clamp too. So:
//   kPlain  g as it is: the loops the updates ran before clipping existed, bit for bit;
//   kScale  g * scale: the norm clip alone, at a normal scale (the common case);
//   kFull   the value clip, or a scale below FLT_MIN (rescale != 1).
enum class Read { kPlain, kScale, kFull };

template <Read kRead>
inline float read_grad(float g, GradRead r) {
  if constexpr (kRead == Read::kPlain) {
    (void)r;
    return g;
  } else if constexpr (kRead == Read::kScale) {
    return g * r.scale;
  } else {
    return (clamp_to(g, r.limit) * r.scale) * r.rescale;
  }
}

inline Read read_kind(GradRead r) {
  if (r.limit != INFINITY || r.rescale != 1.0f) return Read::kFull;
  return r.scale == 1.0f ? Read::kPlain : Read::kScale;
}

// The terms an update adds: the coupled L2 term (it steps on g + l2 * p, added before the clipping
// read as the separate axpy pass it replaces did, so the same bits) and the decoupled weight decay
// (wd * p beside the update). Each loop has a form without the terms it does not need, because
// Adam on AVX2 runs out of registers: the constants of both terms and the overflow check made it
// 20 % slower at 235k floats on Zen 3. kBoth takes either at 0 (then g + 0 * p turns a -0
// gradient into +0, which no update can tell apart).
enum class Terms { kNone, kL2, kBoth };

template <Read kRead, Terms kTerms>
inline float step_grad(float g, float p, float l2, GradRead r) {
  if constexpr (kTerms == Terms::kNone) {
    (void)p;
    (void)l2;
    return read_grad<kRead>(g, r);
  } else {
    return read_grad<kRead>(g + l2 * p, r);
  }
}

template <Terms kTerms>
inline float decayed(float update, float p, float wd) {
  if constexpr (kTerms == Terms::kBoth) {
    return update + wd * p;
  } else {
    (void)p;
    (void)wd;
    return update;
  }
}

// |x| as bits: x is Inf or NaN exactly when they reach kInfBits. An update keeps the largest it
// stores (an integer max, which vectorises to one AND and one max a vector: a compare-and-OR
// test slowed Adam on AVX2 by 20 %), so it reports an overflowed parameter without a pass.
constexpr uint32_t kInfBits = 0x7f800000u;
inline uint32_t magnitude_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u & 0x7fffffffu;
}
inline uint32_t larger(uint32_t a, uint32_t b) { return a > b ? a : b; }

template <Read kRead, Terms kTerms>
bool sgd_loop(int64_t n, float* p, const float* g, float lr, float wd, float l2, GradRead r) {
  uint32_t top = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float pi = p[i];
    const float next = pi - lr * decayed<kTerms>(step_grad<kRead, kTerms>(g[i], pi, l2, r), pi, wd);
    p[i] = next;
    top = larger(top, magnitude_bits(next));
  }
  return top >= kInfBits;
}

template <Read kRead, Terms kTerms>
bool momentum_loop(int64_t n, float* p, const float* g, float* v, float lr, float beta1, float wd,
                   float l2, GradRead r) {
  const float one_minus_b1 = 1.0f - beta1;
  uint32_t top = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float pi = p[i];
    const float vi =
        flush_tiny(beta1 * v[i] + one_minus_b1 * step_grad<kRead, kTerms>(g[i], pi, l2, r));
    v[i] = vi;
    const float next = pi - lr * decayed<kTerms>(vi, pi, wd);
    p[i] = next;
    top = larger(top, magnitude_bits(next));
  }
  return top >= kInfBits;
}

template <Read kRead, Terms kTerms>
bool rmsprop_loop(int64_t n, float* p, const float* g, float* s, float lr, float beta2,
                  float epsilon, float wd, float l2, GradRead r) {
  const float one_minus_b2 = 1.0f - beta2;
  uint32_t top = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float pi = p[i];
    const float gi = step_grad<kRead, kTerms>(g[i], pi, l2, r);
    const float si = flush_tiny(beta2 * s[i] + one_minus_b2 * gi * gi);
    s[i] = si;
    const float next = pi - lr * decayed<kTerms>(gi / (std::sqrt(si) + epsilon), pi, wd);
    p[i] = next;
    top = larger(top, magnitude_bits(next));
  }
  return top >= kInfBits;
}

template <Read kRead, Terms kTerms>
bool adam_loop(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1,
               float beta2, float epsilon, float inv_bc1, float inv_bc2, float wd, float l2,
               GradRead r) {
  const float one_minus_b1 = 1.0f - beta1;
  const float one_minus_b2 = 1.0f - beta2;
  uint32_t top = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float pi = p[i];
    const float gi = step_grad<kRead, kTerms>(g[i], pi, l2, r);
    const float mi = flush_tiny(beta1 * m[i] + one_minus_b1 * gi);
    const float vi = flush_tiny(beta2 * v[i] + one_minus_b2 * gi * gi);
    const float mhat = mi * inv_bc1;
    const float vhat = vi * inv_bc2;
    m[i] = mi;
    v[i] = vi;
    const float next = pi - lr * decayed<kTerms>(mhat / (std::sqrt(vhat) + epsilon), pi, wd);
    p[i] = next;
    top = larger(top, magnitude_bits(next));
  }
  return top >= kInfBits;
}

template <Read kRead>
using ReadTag = std::integral_constant<Read, kRead>;
template <Terms kTerms>
using TermsTag = std::integral_constant<Terms, kTerms>;

// Calls loop(ReadTag, TermsTag) for the gradient read and the terms the arguments ask for. Only
// the updates bound by their square root and divide (RMSprop, Adam: kForms) get a form per set
// of terms; SGD and momentum, bound by memory, and the rare value clip (kFull) keep one form with
// both terms, which keeps the four updates at 16 loops an ISA instead of 28.
template <bool kForms, Read kRead, class Loop>
bool with_terms(float l2, float wd, const Loop& loop) {
  if constexpr (kForms && kRead != Read::kFull) {
    if (wd == 0.0f && l2 == 0.0f) return loop(ReadTag<kRead>{}, TermsTag<Terms::kNone>{});
    if (wd == 0.0f) return loop(ReadTag<kRead>{}, TermsTag<Terms::kL2>{});
  } else {
    (void)l2;
    (void)wd;
  }
  return loop(ReadTag<kRead>{}, TermsTag<Terms::kBoth>{});
}
template <bool kForms, class Loop>
bool dispatch(GradRead r, float l2, float wd, const Loop& loop) {
  switch (read_kind(r)) {
    case Read::kPlain: return with_terms<kForms, Read::kPlain>(l2, wd, loop);
    case Read::kScale: return with_terms<kForms, Read::kScale>(l2, wd, loop);
    case Read::kFull: break;
  }
  return with_terms<kForms, Read::kFull>(l2, wd, loop);
}

bool sgd(int64_t n, float* p, const float* g, float lr, float wd, float l2, GradRead r) {
  return dispatch<false>(r, l2, wd, [&](auto read, auto terms) {
    return sgd_loop<read.value, terms.value>(n, p, g, lr, wd, l2, r);
  });
}

bool momentum(int64_t n, float* p, const float* g, float* v, float lr, float beta1, float wd,
              float l2, GradRead r) {
  return dispatch<false>(r, l2, wd, [&](auto read, auto terms) {
    return momentum_loop<read.value, terms.value>(n, p, g, v, lr, beta1, wd, l2, r);
  });
}

bool rmsprop(int64_t n, float* p, const float* g, float* s, float lr, float beta2, float epsilon,
             float wd, float l2, GradRead r) {
  return dispatch<true>(r, l2, wd, [&](auto read, auto terms) {
    return rmsprop_loop<read.value, terms.value>(n, p, g, s, lr, beta2, epsilon, wd, l2, r);
  });
}

bool adam(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1,
          float beta2, float epsilon, float inv_bc1, float inv_bc2, float wd, float l2,
          GradRead r) {
  return dispatch<true>(r, l2, wd, [&](auto read, auto terms) {
    return adam_loop<read.value, terms.value>(n, p, g, m, v, lr, beta1, beta2, epsilon, inv_bc1,
                                              inv_bc2, wd, l2, r);
  });
}

// 16 independent double lanes (lane i % 16): no reassociation, so every ISA adds the same
// numbers in the same order. The squares go through a block of doubles first: accumulated
// straight from the clamp, GCC kept the lanes scalar (5x slower). A float's square is exact in
// double; only the additions round. Bound by the cache's bandwidth: 8 or 32 lanes run as fast.
constexpr int kLanes = 16;

double sum_of_squares(int64_t n, const float* x, float limit) {
  double lane[kLanes] = {};
  const int64_t body = n - n % kLanes;
  for (int64_t i = 0; i < body; i += kLanes) {
    double d[kLanes];
    for (int j = 0; j < kLanes; ++j) d[j] = static_cast<double>(clamp_to(x[i + j], limit));
    for (int j = 0; j < kLanes; ++j) lane[j] += d[j] * d[j];
  }
  for (int64_t i = body; i < n; ++i) {
    const double d = static_cast<double>(clamp_to(x[i], limit));
    lane[i - body] += d * d;
  }
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int j = 0; j < width; ++j) lane[j] += lane[j + width];
  }
  return lane[0];
}

// A 32-bit bijection with full avalanche: xorshift-multiply rounds with the
// constants of Chris Wellons' hash-prospector search ("lowbias32").
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x21f0aaadu;
  x ^= x >> 15;
  x *= 0x735a2d97u;
  x ^= x >> 15;
  return x;
}

void hashed_mask(uint8_t* out, uint32_t base, uint32_t n, uint32_t k0, uint32_t k,
                 uint32_t threshold) {
  for (uint32_t i = 0; i < n; ++i) out[i] = mix32(mix32((base + i) ^ k0) ^ k) < threshold ? 1 : 0;
}

void dropout_apply(int64_t n, const float* x, const uint8_t* mask, float inv_keep, float* y) {
  // The literal x * mask / keep: a dropped NaN stays NaN rather than being hidden. A mask byte
  // other than 0 keeps the unit, as in the JS backend (never x * 255).
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * (mask[i] != 0 ? 1.0f : 0.0f) * inv_keep;
}

void axpy(int64_t n, float a, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// Branch-free test of the exponent bits (all ones = Inf or NaN), so the
// all-finite case, the common one, vectorises.
bool any_nonfinite(int64_t n, const float* x) {
  uint32_t top = 0;
  for (int64_t i = 0; i < n; ++i) top = larger(top, magnitude_bits(x[i]));
  return top >= kInfBits;
}

}  // namespace

extern const Kernels kKernels = {&sgd,           &momentum,       &rmsprop,
                                 &adam,          &sum_of_squares, &hashed_mask,
                                 &dropout_apply, &axpy,           &any_nonfinite};

}  // namespace STREAM_NS
}  // namespace stream
}  // namespace densenode
