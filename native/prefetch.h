#pragma once
// Software prefetch of rows picked at random from a large pool (a batch's
// rows): each is a cache miss the hardware prefetcher cannot see coming, so
// the row gathers fetch the row a few picks ahead while copying this one.
#include <cstdint>

namespace densenode {

// Rows this far ahead are prefetched (gather_rows, expand_rows).
constexpr int64_t kPrefetchAhead = 8;

inline void prefetch(const float* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

// The first cache lines of floats [row, row + len), at most 4: the hardware
// prefetcher follows a row's later lines once its copy starts, and asking
// for all 49 lines of a 784-float row 8 rows ahead overran the outstanding
// misses a core can track (a 128-row gather from a 188 MB pool: 74 us with
// no prefetch, 75-84 with whole rows, 49-60 with 4 lines).
inline void prefetch_row(const float* row, int64_t len) {
  const int64_t end = len < 64 ? len : 64;
  for (int64_t f = 0; f < end; f += 16) prefetch(row + f);  // 16 floats a cache line
}

// While copying pick i of [.., end): prefetches the row that pick
// i + kPrefetchAhead names, when there is one and it is inside the pool
// (rows of `stride` floats; an index past the pool is reported by the caller
// when it gets there).
inline void prefetch_pick(const float* src, int64_t stride, int64_t rows, const uint32_t* indices,
                          int64_t i, int64_t end) {
  if (i + kPrefetchAhead >= end) return;
  const uint32_t ahead = indices[i + kPrefetchAhead];
  if (ahead < rows) prefetch_row(src + static_cast<int64_t>(ahead) * stride, stride);
}

}  // namespace densenode
