#pragma once
// Software prefetch of rows picked at random from a large pool (a batch's
// rows): each is a cache miss the hardware prefetcher cannot see coming, so
// the row gathers fetch the row a few picks ahead while copying this one.
#include <cstdint>

namespace densenode {

// Rows this far ahead are prefetched (gather_rows, expand_rows). A chunk of a
// 784-float table holds 20 picks, so 32 prefetches all of them when the chunk
// starts (a 128-row gather from a 188 MB pool on Zen 3, alternated in one
// process: 1 thread 88-110 -> 61-72 us, 2 threads 47-56 -> 38-40 us, against 8
// ahead within the chunk only; 16 ahead was between, 8 lines a row no better).
constexpr int64_t kPrefetchAhead = 32;

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
// no prefetch, 75-84 with whole rows, 49-60 with 4 lines, in an earlier run).
inline void prefetch_row(const float* row, int64_t len) {
  const int64_t end = len < 64 ? len : 64;
  for (int64_t f = 0; f < end; f += 16) prefetch(row + f);  // 16 floats a cache line
}

// Before copying picks [begin, end): their first kPrefetchAhead rows, which no
// earlier pick of this range prefetched (prefetch_pick looks ahead within the
// range only, and a 784-float row makes ranges of 20 picks).
// Row `index` of a pool of `rows` rows of `stride` floats, when it is inside (an index past the
// pool is reported by the caller when it gets there).
inline void prefetch_index(const float* src, int64_t stride, int64_t rows, uint32_t index) {
  if (index < rows) prefetch_row(src + static_cast<int64_t>(index) * stride, stride);
}

inline void prefetch_first_picks(const float* src, int64_t stride, int64_t rows,
                                 const uint32_t* indices, int64_t begin, int64_t end) {
  const int64_t stop = end - begin < kPrefetchAhead ? end : begin + kPrefetchAhead;
  for (int64_t i = begin; i < stop; ++i) prefetch_index(src, stride, rows, indices[i]);
}

// While copying pick i of [.., end): prefetches the row that pick
// i + kPrefetchAhead names, when there is one.
inline void prefetch_pick(const float* src, int64_t stride, int64_t rows, const uint32_t* indices,
                          int64_t i, int64_t end) {
  if (i + kPrefetchAhead < end) prefetch_index(src, stride, rows, indices[i + kPrefetchAhead]);
}

}  // namespace densenode
