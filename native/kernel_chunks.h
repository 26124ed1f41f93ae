#pragma once
// Internal helper shared by the element-wise, batch-norm and optimizer
// kernels: run a body over [0, n) in FIXED chunks, on the pool when the input
// is large enough. The chunk boundaries depend only on n and chunk, never on
// the thread count, and every chunk is processed by the same code whichever
// thread takes it, so results are bitwise identical for any pool size.
#include <cstdint>

#include "threadpool.h"

namespace densenode {
namespace detail {

// Elements from which a loop goes to the pool: a memory-bound one (a copy, an update, a scan)
// from ~64K (a few us, about what the hand-off to a second core costs), one with an expf or
// tanhf an element from ~8K (tens of us).
constexpr int64_t kParallelLight = 1 << 16;
constexpr int64_t kParallelHeavy = 1 << 13;

template <class Body>
struct ChunkJob {
  const Body* body;
  int64_t n;
  int64_t chunk;
};

// RangeFn adaptor: the pool hands out chunk indices [first, last) (one at a
// time when spread, all at once when it runs inline on the caller).
template <class Body>
void run_chunk_range(void* ctx, int64_t first, int64_t last) {
  const ChunkJob<Body>& job = *static_cast<const ChunkJob<Body>*>(ctx);
  for (int64_t c = first; c < last; ++c) {
    const int64_t begin = c * job.chunk;
    const int64_t end = job.n - begin < job.chunk ? job.n : begin + job.chunk;
    (*job.body)(begin, end);
  }
}

// body(begin, end) for each chunk of [0, n); spread over the pool when
// n >= parallel_min and there are at least two chunks, else on this thread.
template <class Body>
void for_chunks(int64_t n, int64_t chunk, int64_t parallel_min, const Body& body) {
  if (n <= 0) return;
  const int64_t nchunks = (n + chunk - 1) / chunk;
  ChunkJob<Body> job{&body, n, chunk};
  if (n < parallel_min || nchunks < 2) {
    run_chunk_range<Body>(&job, 0, nchunks);
  } else {
    pool_parallel_for(nchunks, &run_chunk_range<Body>, &job);
  }
}

}  // namespace detail
}  // namespace densenode
