// expand_rows: see rows.h. Spread over the pool in fixed chunks of rows, as gather_rows is.
#include "rows.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include "kernel_chunks.h"
#include "prefetch.h"

namespace densenode {
namespace {

constexpr int64_t kChunk = 16384;  // output floats per work item
using detail::kParallelLight;      // a copy

// The level of a one-hot block, or -1 when v is not an integer in [0, width].
inline int64_t level_of(float v, int64_t width) {
  if (!(v >= 0.0f && v <= static_cast<float>(width))) return -1;  // NaN fails here too
  const int64_t k = static_cast<int64_t>(v);
  return static_cast<float>(k) == v ? k : -1;
}

}  // namespace

ExpandFault expand_rows(int64_t count, int64_t rows, int64_t stride, int64_t cols, const float* src,
                        const uint32_t* indices, int64_t parts, const int32_t* layout, float* dst,
                        float* targets) {
  ExpandFault fault;
  std::mutex first;
  const auto report = [&](const ExpandFault& f) {
    std::lock_guard<std::mutex> lock(first);
    if (fault.row < 0 || f.row < fault.row) fault = f;
  };
  const int64_t per = std::max<int64_t>(1, kChunk / std::max<int64_t>(1, cols));
  const int64_t parallel_min = count * cols >= kParallelLight ? 0 : count + 1;
  detail::for_chunks(count, per, parallel_min, [&](int64_t b, int64_t e) {
    prefetch_first_picks(src, stride, rows, indices, b, e);
    for (int64_t i = b; i < e; ++i) {
      prefetch_pick(src, stride, rows, indices, i, e);
      const uint32_t r = indices[i];
      if (r >= rows) {
        ExpandFault f;
        f.row = i;
        f.index = true;
        f.source = r;
        report(f);
        return;
      }
      const float* s = src + static_cast<int64_t>(r) * stride;
      float* d = dst + i * cols;
      if (cols > 0) std::memset(d, 0, sizeof(float) * cols);
      for (int64_t p = 0; p < parts; ++p) {
        const int64_t from = layout[3 * p];
        const int64_t into = layout[3 * p + 1];
        const int64_t n = layout[3 * p + 2];
        if (n > 0) {
          std::memcpy(d + into, s + from, sizeof(float) * n);
          continue;
        }
        const float v = s[from];
        const int64_t k = level_of(v, -n);
        if (k < 0) {
          ExpandFault f;
          f.row = i;
          f.part = p;
          f.source = r;
          f.level = v;
          report(f);
          return;
        }
        if (k < -n) d[into + k] = 1.0f;
      }
      targets[i] = s[stride - 1];
    }
  });
  return fault;
}

}  // namespace densenode
