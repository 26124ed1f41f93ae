#pragma once
// The operands of one gemm() call as its paths see them, and how a path
// spreads its work items over the pool. Internal to native/gemm/.
#include <algorithm>
#include <cstdint>

#include "../threadpool.h"
#include "blocking.h"
#include "kernels.h"

namespace densenode {

struct Problem {
  bool ta, tb;
  int64_t m, n, k;
  float alpha;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float beta;
  float* C;
  int64_t ldc;
  const float* bias;
  bool relu;
  // Read A slivers straight from the caller's memory (either layout, via
  // ALayout) instead of packing them; only a ragged last sliver is packed.
  bool a_in_place;
  // op(B) already packed by pack_b_whole (or nullptr): the main path reads
  // its slivers from here instead of packing B per call.
  const float* packed_b;
};

// Where pack_b_whole puts the sliver of op(B) at rows [pc, pc + KC) and
// columns [j, j + NR): each K block holds every column, NR-wide slivers of
// that block's depth, so any column range of any block is one offset.
inline const float* packed_sliver(const float* P, int64_t n, int64_t NR, int64_t kc, int64_t pc,
                                  int64_t j) {
  return P + pc * round_up(n, NR) + j * kc;
}

// Address of op(A)(i, p) and op(B)(p, j).
inline const float* a_at(const Problem& g, int64_t i, int64_t p) {
  return g.ta ? g.A + p * g.lda + i : g.A + i * g.lda + p;
}
inline const float* b_at(const Problem& g, int64_t p, int64_t j) {
  return g.tb ? g.B + j * g.ldb + p : g.B + p * g.ldb + j;
}

// The epilogue of the K block at [pc, pc + kc): beta only on the first
// (later blocks accumulate onto C), the bias (for column 0; a caller working
// on columns j.. offsets it) and the ReLU only on the last, while the tile is
// still in registers.
inline Epilogue k_block_epilogue(const Problem& g, int64_t pc, int64_t kc) {
  const bool last = pc + kc == g.k;
  return Epilogue{g.alpha, pc == 0 ? g.beta : 1.0f, last ? g.bias : nullptr, last && g.relu};
}

// Work items per pool thread where a block repeats no A packing (in-place
// products, narrow panels, small-m strips): see gemm().
inline constexpr int kItemsPerThread = 4;

// Units (narrow panels, small-m strips) per work item: a few items a thread,
// so idle threads pick up the rest dynamically.
inline int64_t units_per_item(int64_t units, int threads) {
  return std::max<int64_t>(1, units / (kItemsPerThread * int64_t(threads)));
}

// Runs items [0, count) of fn on the calling thread when there is one thread
// or one item (no pool hand-off), else over the pool.
inline void run_items(int64_t count, int threads, RangeFn fn, void* job) {
  if (threads == 1 || count == 1)
    fn(job, 0, count);
  else
    pool_parallel_for(count, fn, job);
}

}  // namespace densenode
