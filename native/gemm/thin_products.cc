// The small-m, one-column and narrow paths of gemm() (thin_products.h).
#include "thin_products.h"

#include <algorithm>

#include "blocking.h"
#include "kernels.h"
#include "pack.h"

namespace densenode {

namespace {

// Narrow-n path (n <= kNarrowMaxN) over rows [i0, i1), all columns: panels
// of MR rows, A contiguous along m (transposed A read in place, else packed
// per panel), B read in place unless transposed (then packed: kc x 16, a few
// KiB). The K blocking is fixed, so any row split gives identical results.
void narrow_range(const Problem& g, const GemmKernels& N, const NarrowBlocking& nb, int64_t i0,
                  int64_t i1) {
  const int64_t MR = nb.mr, KC = nb.kc;
  const int64_t kcap = std::min(KC, g.k);
  float* bufA = pack_buffer(0, MR * kcap);
  float* bufB = g.tb ? pack_buffer(1, kNarrowMaxN * kcap) : nullptr;
  for (int64_t pc = 0; pc < g.k; pc += KC) {
    const int64_t kc = std::min(KC, g.k - pc);
    const Epilogue ep = k_block_epilogue(g, pc, kc);
    if (g.tb) pack_b(N, true, b_at(g, pc, 0), g.ldb, kc, g.n, kNarrowMaxN, bufB);
    const float* b = g.tb ? bufB : b_at(g, pc, 0);
    const int64_t b_rs = g.tb ? kNarrowMaxN : g.ldb;
    for (int64_t ir = i0; ir < i1; ir += MR) {
      const int mr = int(std::min(MR, i1 - ir));
      const bool direct = g.ta && mr == MR;  // a ragged panel is packed (zero-padded)
      if (!direct) pack_a(N, g.ta, a_at(g, ir, pc), g.lda, mr, kc, int(MR), bufA);
      N.narrow(kc, direct ? a_at(g, ir, pc) : bufA, direct ? g.lda : MR, b, b_rs, mr, int(g.n),
               g.C + ir * g.ldc, g.ldc, ep);
    }
  }
}

struct NarrowJob {
  const Problem* g;
  const GemmKernels* N;
  NarrowBlocking nb;
  int64_t rows;  // per item, a multiple of the panel height
};

void narrow_item(void* ctx, int64_t begin, int64_t end) {
  const NarrowJob& J = *static_cast<const NarrowJob*>(ctx);
  for (int64_t t = begin; t < end; ++t)
    narrow_range(*J.g, *J.N, J.nb, t * J.rows, std::min(J.g->m, (t + 1) * J.rows));
}

// Small-m path (m <= kSmallM, B not transposed) over columns [j0, j1): B read
// in place in the ISA's small_width strips, the K blocks those of the main
// path, so each element's arithmetic is the same as there.
void small_range(const Problem& g, const GemmKernels& K, int64_t KC, int64_t j0, int64_t j1) {
  const int64_t W = K.small_width;
  const int64_t a_rs = g.ta ? 1 : g.lda, a_cs = g.ta ? g.lda : 1;
  for (int64_t pc = 0; pc < g.k; pc += KC) {
    const int64_t kc = std::min(KC, g.k - pc);
    const Epilogue ep = k_block_epilogue(g, pc, kc);
    for (int64_t j = j0; j < j1; j += W) {
      Epilogue e = ep;
      if (e.bias) e.bias += j;
      K.small(kc, a_at(g, 0, pc), a_rs, a_cs, int(g.m), b_at(g, pc, j), g.ldb,
              int(std::min(W, j1 - j)), g.C + j, g.ldc, e);
    }
  }
}

struct SmallJob {
  const Problem* g;
  const GemmKernels* K;
  int64_t kc, cols;  // K block; columns per item, a multiple of small_width
};

void small_item(void* ctx, int64_t begin, int64_t end) {
  const SmallJob& J = *static_cast<const SmallJob*>(ctx);
  for (int64_t t = begin; t < end; ++t)
    small_range(*J.g, *J.K, J.kc, t * J.cols, std::min(J.g->n, (t + 1) * J.cols));
}

// One-column path (n == 1, A row-major) over rows [i0, i1): the ISA's gemv
// reads A in place, the K blocks those of the narrow path.
void gemv_range(const Problem& g, GemvKernel fn, int64_t KC, int64_t i0, int64_t i1) {
  const int64_t b_rs = g.tb ? 1 : g.ldb;
  for (int64_t pc = 0; pc < g.k; pc += KC) {
    const int64_t kc = std::min(KC, g.k - pc);
    fn(kc, a_at(g, i0, pc), g.lda, b_at(g, pc, 0), b_rs, i1 - i0, g.C + i0 * g.ldc, g.ldc,
       k_block_epilogue(g, pc, kc));
  }
}

struct GemvJob {
  const Problem* g;
  GemvKernel fn;
  int64_t kc, rows;  // K block; rows per item, a multiple of 8
};

void gemv_item(void* ctx, int64_t begin, int64_t end) {
  const GemvJob& J = *static_cast<const GemvJob*>(ctx);
  for (int64_t t = begin; t < end; ++t)
    gemv_range(*J.g, J.fn, J.kc, t * J.rows, std::min(J.g->m, (t + 1) * J.rows));
}

}  // namespace

void small_m_product(const Problem& g, const GemmKernels& K, const BlockingChoice& choice,
                     int threads) {
  const int64_t W = K.small_width;
  SmallJob job{&g, &K, choice.bk.kc, W * units_per_item((g.n + W - 1) / W, threads)};
  run_items((g.n + job.cols - 1) / job.cols, threads, small_item, &job);
}

void one_column_product(const Problem& g, const GemmKernels& K, const BlockingChoice& choice,
                        int threads) {
  GemvJob job{&g, K.gemv, choice.narrow.kc, 8 * units_per_item((g.m + 7) / 8, threads)};
  run_items((g.m + job.rows - 1) / job.rows, threads, gemv_item, &job);
}

void narrow_product(const Problem& g, const GemmKernels& K, const BlockingChoice& choice,
                    int threads) {
  const int64_t MR = choice.narrow.mr;
  NarrowJob job{&g, &K, choice.narrow, MR * units_per_item((g.m + MR - 1) / MR, threads)};
  run_items((g.m + job.rows - 1) / job.rows, threads, narrow_item, &job);
}

}  // namespace densenode
