#pragma once
// Pieces shared by the NEON GEMM files (kernel_neon*.cc, built on arm64
// only): the epilogue of one 4-column vector, partial loads and stores for a
// ragged last vector, and the 4 x 4 register transpose.
#include <arm_neon.h>

#include "kernels.h"

namespace densenode {
namespace neon {

// ep's constants as vectors, read once per tile.
struct EpilogueV {
  float32x4_t alpha, beta, zero;
  explicit EpilogueV(const Epilogue& ep)
      : alpha(vdupq_n_f32(ep.alpha)), beta(vdupq_n_f32(ep.beta)), zero(vdupq_n_f32(0.0f)) {}
};

// The ReLU as v < 0 ? 0 : v: a NaN stays NaN and -0 stays -0, as in the other kernels.
inline float32x4_t relu(float32x4_t v) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  return vbslq_f32(vcltq_f32(v, zero), zero, v);
}

// alpha * acc (+ beta * c, one fused multiply-add, as the x86 kernels) (+ bias), then relu().
inline float32x4_t finish(float32x4_t acc, float32x4_t c, float32x4_t bias, const Epilogue& ep,
                          const EpilogueV& k) {
  float32x4_t v = vmulq_f32(acc, k.alpha);
  if (ep.beta != 0.0f) v = vfmaq_f32(v, c, k.beta);
  if (ep.bias) v = vaddq_f32(v, bias);
  if (ep.relu) v = relu(v);
  return v;
}

// The first n (1..4) floats at p, the other lanes 0; never reads past p + n.
// Lane loads, not memcpy: a call would clobber the caller-saved vector
// registers, and GCC then kept a tile's accumulators in memory.
inline float32x4_t load_n(const float* p, int n) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  switch (n) {
    case 1: return vsetq_lane_f32(p[0], zero, 0);
    case 2: return vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f));
    case 3: return vsetq_lane_f32(p[2], vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f)), 2);
    default: return vld1q_f32(p);
  }
}

// Stores the first n (1..4) lanes of v at p; never writes past p + n.
inline void store_n(float* p, float32x4_t v, int n) {
  switch (n) {
    case 1: vst1q_lane_f32(p, v, 0); break;
    case 2: vst1_f32(p, vget_low_f32(v)); break;
    case 3:
      vst1_f32(p, vget_low_f32(v));
      vst1q_lane_f32(p + 2, v, 2);
      break;
    default: vst1q_f32(p, v);
  }
}

// In place: lane j of r[i] becomes lane i of r[j].
inline void transpose4(float32x4_t r[4]) {
  const float32x4_t t0 = vtrn1q_f32(r[0], r[1]), t1 = vtrn2q_f32(r[0], r[1]);
  const float32x4_t t2 = vtrn1q_f32(r[2], r[3]), t3 = vtrn2q_f32(r[2], r[3]);
  const auto lo = [](float32x4_t x, float32x4_t y) {
    return vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(x), vreinterpretq_f64_f32(y)));
  };
  const auto hi = [](float32x4_t x, float32x4_t y) {
    return vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(x), vreinterpretq_f64_f32(y)));
  };
  r[0] = lo(t0, t2);
  r[1] = lo(t1, t3);
  r[2] = hi(t0, t2);
  r[3] = hi(t1, t3);
}

}  // namespace neon
}  // namespace densenode
