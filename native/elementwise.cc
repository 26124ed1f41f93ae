// Element-wise kernels: activations, softmax, dropout, column sums, axpy and
// the non-finite scan. (The losses from logits live in losses.cc.)
//
// Large inputs are split over the pool in fixed chunks (kernel_chunks.h), and
// only across independent outputs, so any thread count gives the same bits.
#include "elementwise.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "cpu.h"
#include "kernel_chunks.h"
#include "prefetch.h"
#include "stream_kernels.h"

namespace densenode {
namespace {

constexpr int64_t kChunk = 16384;  // elements per work item (64 KB of floats)
using detail::kParallelHeavy;
using detail::kParallelLight;
// The dropout hash (two rounds of multiplies a byte) takes ~15 us for 32K elements on AVX2: it
// spreads from two whole chunks, the 128 x 256 mask of a training step.
constexpr int64_t kParallelHash = 2 * kChunk;

// Stable logistic: exp of a non-positive argument only, so no overflow and
// no 1/(1+inf) for z = -100.
inline float sigmoid(float z) {
  const float e = std::exp(-std::fabs(z));
  return z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

// One step of xoshiro128** (Blackman & Vigna), as lib/random.ts.
inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
inline uint32_t xoshiro_next(uint32_t s[4]) {
  const uint32_t result = rotl32(s[1] * 5u, 7) * 9u;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl32(s[3], 11);
  return result;
}

}  // namespace

// x, y: [count]
void activation_forward(Activation f, int64_t count, const float* x, float* y, float slope) {
  switch (f) {
    case Activation::Linear:
      if (x == y) return;
      detail::for_chunks(count, kChunk, kParallelLight, [=](int64_t b, int64_t e) {
        std::memcpy(y + b, x + b, static_cast<size_t>(e - b) * sizeof(float));
      });
      return;
    case Activation::Relu:
      detail::for_chunks(count, kChunk, kParallelLight, [=](int64_t b, int64_t e) {
        // "v < 0 ? 0 : v" keeps a NaN a NaN (it must reach find_nonfinite).
        for (int64_t i = b; i < e; ++i) {
          const float v = x[i];
          y[i] = v < 0.0f ? 0.0f : v;
        }
      });
      return;
    case Activation::LeakyRelu:
      detail::for_chunks(count, kChunk, kParallelLight, [=](int64_t b, int64_t e) {
        const float s = slope;  // a local: y could alias the closure's copy
        for (int64_t i = b; i < e; ++i) {
          // max(v,0) + s * min(v,0), written as the min/max patterns GCC
          // vectorises (a plain "v > 0 ? v : s*v" is left scalar).
          const float v = x[i];
          const float pos = v < 0.0f ? 0.0f : v;
          const float neg = v > 0.0f ? 0.0f : v;
          y[i] = pos + s * neg;
        }
      });
      return;
    case Activation::Tanh:
      detail::for_chunks(count, kChunk, kParallelHeavy, [=](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) y[i] = std::tanh(x[i]);
      });
      return;
    case Activation::Sigmoid:
      detail::for_chunks(count, kChunk, kParallelHeavy, [=](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) y[i] = sigmoid(x[i]);
      });
      return;
  }
}

// y, dy, dx: [count]. The derivative is taken from the forward output y.
void activation_backward(Activation f, int64_t count, const float* y, const float* dy, float* dx,
                         float slope) {
  switch (f) {
    case Activation::Linear:
      if (dx == dy) return;
      detail::for_chunks(count, kChunk, kParallelLight, [=](int64_t b, int64_t e) {
        std::memcpy(dx + b, dy + b, static_cast<size_t>(e - b) * sizeof(float));
      });
      return;
    case Activation::Relu:
      detail::for_chunks(count, kChunk, kParallelLight, [=](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const float d = dy[i];
          dx[i] = y[i] > 0.0f ? d : 0.0f;
        }
      });
      return;
    case Activation::LeakyRelu:
      detail::for_chunks(count, kChunk, kParallelLight, [=](int64_t b, int64_t e) {
        const float s = slope;
        for (int64_t i = b; i < e; ++i) {
          const float d = dy[i];
          const bool up = y[i] > 0.0f;
          const float pos = up ? d : 0.0f;
          const float neg = up ? 0.0f : d;
          dx[i] = pos + s * neg;
        }
      });
      return;
    case Activation::Tanh:
      detail::for_chunks(count, kChunk, kParallelLight, [=](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      });
      return;
    case Activation::Sigmoid:
      detail::for_chunks(count, kChunk, kParallelLight, [=](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
      });
      return;
  }
}

// Rows per work item for the row-wise kernels: ~kChunk elements, >= 1 row.
// Depends on the shape only, never on the thread count.
static int64_t rows_per_chunk(int64_t cols) { return cols >= kChunk ? 1 : kChunk / cols; }

// x, y: [rows, cols]
void softmax_forward(int64_t rows, int64_t cols, const float* x, float* y) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t rpc = rows_per_chunk(cols);
  detail::for_chunks(rows, rpc, kParallelHeavy / cols + 1, [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      float mx = xr[0];
      for (int64_t j = 1; j < cols; ++j) mx = xr[j] > mx ? xr[j] : mx;
      double sum = 0.0;  // every term is in (0, 1]: the sum is >= 1, never 0
      for (int64_t j = 0; j < cols; ++j) {
        const float e = std::exp(xr[j] - mx);
        yr[j] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
    }
  });
}

// y, dy, dx: [rows, cols]
void softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t rpc = rows_per_chunk(cols);
  detail::for_chunks(rows, rpc, kParallelLight / cols + 1, [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* yr = y + r * cols;
      const float* dyr = dy + r * cols;
      float* dxr = dx + r * cols;
      double dot = 0.0;  // read all of dy before dx (which may alias it) is written
      for (int64_t j = 0; j < cols; ++j) dot += static_cast<double>(dyr[j]) * yr[j];
      const float d = static_cast<float>(dot);
      for (int64_t j = 0; j < cols; ++j) dxr[j] = yr[j] * (dyr[j] - d);
    }
  });
}

// x, y: [count]; mask: [count] of 0/1 bytes
void dropout_apply(int64_t count, const float* x, const uint8_t* mask, float keep, float* y) {
  const float inv_keep = 1.0f / keep;
  const auto fn = isa_kernels().stream->dropout_apply;
  detail::for_chunks(count, kChunk, kParallelLight,
                     [=](int64_t b, int64_t e) { fn(e - b, x + b, mask + b, inv_keep, y + b); });
}

void dropout_mask(int64_t count, double keep, uint32_t state[4], uint8_t* mask) {
  const uint32_t k0 = xoshiro_next(state), k1 = xoshiro_next(state);
  // h < keep * 2^32 over the integers h is h < ceil(keep * 2^32); from 2^32 on,
  // every unit is kept.
  const double bound = std::ceil(keep * 4294967296.0);
  const bool keep_all = bound >= 4294967296.0;
  const uint32_t threshold = keep_all ? 0 : static_cast<uint32_t>(bound);
  const auto fn = isa_kernels().stream->hashed_mask;
  detail::for_chunks(count, kChunk, kParallelHash, [=](int64_t b, int64_t e) {
    if (keep_all) {
      std::memset(mask + b, 1, static_cast<size_t>(e - b));
      return;
    }
    // The high word of i is the same across a chunk (2^32 is a multiple of kChunk).
    const uint32_t k = k1 ^ (static_cast<uint32_t>(static_cast<uint64_t>(b) >> 32) * 0x9e3779b9u);
    fn(mask + b, static_cast<uint32_t>(b), static_cast<uint32_t>(e - b), k0, k, threshold);
  });
}

// x: [rows, cols] with row stride ld; out: [cols]
void column_sums(int64_t rows, int64_t cols, const float* x, int64_t ld, float alpha, float beta,
                 float* out) {
  if (cols <= 0) return;
  // Work items are column blocks; within a block the rows are summed in
  // order, 16 rows at a time in float (contiguous, vectorised across the
  // columns) and each 16-row partial is added into a double total.
  constexpr int64_t kBlock = 128;
  constexpr int64_t kRowGroup = 16;
  const int64_t parallel_min = rows * cols >= kParallelLight ? 0 : cols + 1;
  detail::for_chunks(cols, kBlock, parallel_min, [=](int64_t c0, int64_t c1) {
    const int64_t nb = c1 - c0;
    double total[kBlock];
    float part[kBlock];
    for (int64_t j = 0; j < nb; ++j) total[j] = 0.0;
    for (int64_t i0 = 0; i0 < rows; i0 += kRowGroup) {
      const int64_t i1 = rows - i0 < kRowGroup ? rows : i0 + kRowGroup;
      for (int64_t j = 0; j < nb; ++j) part[j] = 0.0f;
      for (int64_t i = i0; i < i1; ++i) {
        const float* xr = x + i * ld + c0;
        for (int64_t j = 0; j < nb; ++j) part[j] += xr[j];
      }
      for (int64_t j = 0; j < nb; ++j) total[j] += part[j];
    }
    float* o = out + c0;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < nb; ++j) o[j] = alpha * static_cast<float>(total[j]);
    } else {
      for (int64_t j = 0; j < nb; ++j) o[j] = beta * o[j] + alpha * static_cast<float>(total[j]);
    }
  });
}

// src: [rows, cols]; indices: [count]; dst: [count, cols]
int64_t gather_rows(int64_t count, int64_t cols, int64_t rows, const float* src,
                    const uint32_t* indices, float* dst) {
  std::atomic<int64_t> bad{-1};
  const int64_t per = cols > 0 ? std::max<int64_t>(1, kChunk / cols) : count;  // rows per chunk
  const int64_t parallel_min = count * cols >= kParallelLight ? 0 : count + 1;
  detail::for_chunks(count, per, parallel_min, [&](int64_t b, int64_t e) {
    prefetch_first_picks(src, cols, rows, indices, b, e);
    for (int64_t i = b; i < e; ++i) {
      prefetch_pick(src, cols, rows, indices, i, e);
      const uint32_t r = indices[i];
      if (r >= rows) {
        int64_t cur = bad.load(std::memory_order_relaxed);
        while ((cur < 0 || i < cur) &&
               !bad.compare_exchange_weak(cur, i, std::memory_order_relaxed)) {
        }
        return;
      }
      // cols == 0: nothing to copy, and src/dst may be null (empty arrays).
      if (cols > 0)
        std::memcpy(dst + i * cols, src + static_cast<int64_t>(r) * cols, sizeof(float) * cols);
    }
  });
  return bad.load();
}

// x, y: [count]
void axpy(int64_t count, float a, const float* x, float* y) {
  const auto fn = isa_kernels().stream->axpy;
  detail::for_chunks(count, kChunk, kParallelLight,
                     [=](int64_t b, int64_t e) { fn(e - b, a, x + b, y + b); });
}

// x: [count]
int64_t find_nonfinite(int64_t count, const float* x) {
  // Each chunk finds its own first hit; the answer is the minimum over chunks,
  // the same whichever thread scanned which chunk.
  std::atomic<int64_t> first{count};
  const auto any = isa_kernels().stream->any_nonfinite;
  detail::for_chunks(count, kChunk, kParallelLight, [&](int64_t b, int64_t e) {
    if (b >= first.load(std::memory_order_relaxed)) return;  // an earlier chunk already hit
    constexpr int64_t kStep = 1024;
    for (int64_t s = b; s < e; s += kStep) {
      const int64_t t = e - s < kStep ? e : s + kStep;
      if (!any(t - s, x + s)) continue;  // rescan only a block that hit
      for (int64_t i = s; i < t; ++i) {
        if (!std::isfinite(x[i])) {
          int64_t cur = first.load(std::memory_order_relaxed);
          while (i < cur && !first.compare_exchange_weak(cur, i, std::memory_order_relaxed)) {
          }
          return;
        }
      }
    }
  });
  const int64_t r = first.load();
  return r < count ? r : -1;
}

}  // namespace densenode
