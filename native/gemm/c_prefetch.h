#pragma once
// The C tile fetched a few dozen K steps before a whole tile's epilogue reads it (beta != 0: the
// K blocks after a product's first). Such a tile was last touched a whole pass over C earlier, so
// it is in L3 at best; fetched at the tile's start it is evicted again by the B sliver streaming
// through L1 (64 KB with the AVX-512 tile at KC 512 against Zen 5's 48 KB L1, 32 KB with AVX2's
// against Zen 3's 32 KB), and not fetched its misses stall the epilogue.
#include <cstdint>

namespace densenode {
namespace tiles {

// How far ahead: ~650 cycles of FMAs, longer than an L3 miss, with only a few KB of B through L1
// meanwhile. In K steps of each tile: 48 for the AVX-512 tile (28 FMAs a step), 96 for AVX2 (12).
constexpr int64_t kCLeadAvx512 = 48;
constexpr int64_t kCLeadAvx2 = 96;

// Both ends of each of the ROWS rows of COLS floats (a row spans at most two lines more when it
// is not line-aligned: the hardware takes the middle ones with the ends).
template <int ROWS, int COLS>
inline void prefetch_tile(const float* c, int64_t ldc) {
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i) {
    __builtin_prefetch(c + i * ldc);
    __builtin_prefetch(c + i * ldc + COLS - 1);
  }
}

// A tile's K loop, steps(count) running `count` K steps: whole tiles (kWhole) whose epilogue reads
// C stop `lead` steps short of the end to fetch it, when the loop is at least twice that long.
template <bool kWhole, int ROWS, int COLS, class Steps>
inline void k_loop_fetching_c(int64_t kc, int64_t lead, float beta, const float* c, int64_t ldc,
                              Steps&& steps) {
  int64_t head = kc;
  if constexpr (kWhole) {
    if (beta != 0.0f && kc >= 2 * lead) head = kc - lead;
  } else {
    (void)lead;
    (void)beta;
  }
  steps(head);
  if (head < kc) {
    prefetch_tile<ROWS, COLS>(c, ldc);
    steps(kc - head);
  }
}

}  // namespace tiles
}  // namespace densenode
