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

// Every cache line of floats [row, row + len).
inline void prefetch_row(const float* row, int64_t len) {
  if (len <= 0) return;
  for (int64_t f = 0; f < len; f += 16) prefetch(row + f);  // 16 floats a cache line
  prefetch(row + len - 1);
}

}  // namespace densenode
