// BLIS-style driver: five loops around a register-tile micro-kernel, edge
// tiles, epilogue placement, small-matrix path and threading; the products
// with few rows or columns go to thin_products.cc. The kernels and block
// sizes come from the ISA's row of the kernel table (native/cpu.h).
#include "gemm.h"

#include <algorithm>
#include <cstdlib>

#include "../cpu.h"
#include "../threadpool.h"
#include "blocking.h"
#include "kernels.h"
#include "pack.h"
#include "problem.h"
#include "runtime_blocking.h"
#include "thin_products.h"

namespace densenode {

namespace {

// Products with m*n*k at or below this run on the calling thread, never the
// pool: ~12 us of work on one core, where a hand-off to a sleeping worker
// (10-30 us, up to 100 on a VM) stops paying (bench "sweep"). While the
// workers spin (a training step: its GEMMs come a few us apart) a hand-off
// costs ~1 us, so from 1/8 of that the products are split: the output layer's
// three 128x10x128-sized products of a Fashion-MNIST step on 2 Zen 3 threads
// 11.8 -> 7.5 ms an epoch (per-call medians). DENSENODE_SMALL_MNK overrides
// both, for that measurement only.
int64_t small_mnk() {
  static const int64_t forced = [] {
    const char* env = std::getenv("DENSENODE_SMALL_MNK");
    return env ? std::atoll(env) : int64_t(-1);
  }();
  if (forced >= 0) return forced;
  return pool_workers_spinning() ? int64_t(1) << 17 : int64_t(1) << 20;
}

// Up to this m*n*k, A is read in place instead of packed: measured faster on
// one core for every cube <= 512^3 and every MLP shape (Zen 5: 128x128x256 180
// vs 149 GFLOP/s, 512^3 191 vs 164, with B also in place then). Beyond it,
// slivers are reused so often (and 4 KiB strides alias in L1/TLB) that packing
// wins (1024^3: 152 packed vs ~97 in place). B is always packed: its sliver is
// re-read by every row tile, and read in place (KC rows at the caller's
// stride) it lost on Zen 3 at every shape, aliased or not (128x256x784 57 vs
// 73 GFLOP/s, 128x200x784 73 vs 86; docs/decisions.md).
constexpr int64_t kInPlaceMNK = int64_t(1) << 27;

// Transposed A (a weight gradient's Xᵀ) with a row stride from this many floats is packed on
// one thread (see gemm()).
constexpr int64_t kPackTransposedLda = 512;

// One mr x nr tile (mr <= MR, nr <= NR) of C at c. A partial tile goes through
// a local MR x NR buffer so the kernel never touches C outside the matrix.
// Narrow edges (nr <= NR/2) use the half-width kernel where there is one.
inline void run_tile(const GemmKernels& K, int64_t kc, const float* a, ALayout al, const float* b,
                     int64_t b_step, float* c, int64_t ldc, int mr, int nr, const Epilogue& ep) {
  const int MR = K.bk.mr;
  int NR = K.bk.nr;
  MicroKernel fn = K.fn;
  if (K.half && nr <= NR / 2) {
    fn = K.half;
    NR /= 2;
  }
  if (mr == MR && nr == NR) {
    fn(kc, a, al, b, b_step, c, ldc, ep);
    return;
  }
  if (K.edge) {
    K.edge(kc, a, al, b, b_step, c, ldc, ep, mr, nr);
    return;
  }
  alignas(64) float tile[kMaxMR * kMaxNR];
  alignas(64) float bias_pad[kMaxNR];
  Epilogue e = ep;
  if (ep.beta != 0.0f) {  // beta == 0: C is write-only, never read (NaN-safe)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) tile[i * NR + j] = (i < mr && j < nr) ? c[i * ldc + j] : 0.0f;
  }
  if (ep.bias) {
    for (int j = 0; j < NR; ++j) bias_pad[j] = j < nr ? ep.bias[j] : 0.0f;
    e.bias = bias_pad;
  }
  fn(kc, a, al, b, b_step, tile, NR, e);
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; ++j) c[i * ldc + j] = tile[i * NR + j];
}

// Rows of the next tile when `rest` rows remain. A short tail (< 8 rows: too
// few accumulators to hide FMA latency) is merged with the tile before it and
// the pair split evenly, when tiles can start at any row (exact edge kernel,
// A in place). Which tile a row lands in never changes its arithmetic.
inline int64_t tile_rows(int64_t rest, int64_t MR, bool any_start) {
  if (rest <= MR) return rest;
  if (any_start && rest < MR + 8) return rest / 2;
  return MR;
}

// The five loops over C[i0:i1, j0:j1]. Every C element sees the same KC blocks
// in the same order whatever the sub-range, so results do not depend on how
// the caller splits C over threads.
void gemm_range(const Problem& g, const GemmKernels& K, const Blocking& bk, int64_t i0, int64_t i1,
                int64_t j0, int64_t j1) {
  const int64_t MR = bk.mr, NR = bk.nr, MC = bk.mc, KC = bk.kc, NC = bk.nc;
  const int64_t mcap = std::min(MC, round_up(i1 - i0, MR));
  const int64_t ncap = std::min(NC, round_up(j1 - j0, NR));
  const int64_t kcap = std::min(KC, g.k);
  float* bufA = pack_buffer(0, (g.a_in_place ? MR : mcap) * kcap);
  // A in place and one row block: B is packed sliver by sliver right before
  // its row tiles (each sliver still packed once), so it is used while in L1
  // instead of making a round trip through L2 as a whole panel.
  const bool b_lazy = g.a_in_place && i1 - i0 <= MC && !g.packed_b;
  float* bufB = g.packed_b ? nullptr : pack_buffer(1, (b_lazy ? NR : ncap) * kcap);

  for (int64_t jc = j0; jc < j1; jc += NC) {
    const int64_t nc = std::min(NC, j1 - jc);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      const int64_t kc = std::min(KC, g.k - pc);
      const Epilogue ep = k_block_epilogue(g, pc, kc);
      if (!b_lazy && !g.packed_b) pack_b(K, g.tb, b_at(g, pc, jc), g.ldb, kc, nc, int(NR), bufB);

      for (int64_t ic = i0; ic < i1; ic += MC) {
        const int64_t mc = std::min(MC, i1 - ic);
        // With exact edge tiles, in-place A needs no ragged-sliver packing.
        const bool a_exact = g.a_in_place && K.edge;
        const int64_t mfull = a_exact ? mc : mc / MR * MR;
        if (!g.a_in_place)
          pack_a(K, g.ta, a_at(g, ic, pc), g.lda, mc, kc, int(MR), bufA);
        else if (mfull < mc)
          pack_a(K, g.ta, a_at(g, ic + mfull, pc), g.lda, mc - mfull, kc, int(MR), bufA);

        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = int(std::min(NR, nc - jr));
          if (b_lazy) pack_b(K, g.tb, b_at(g, pc, jc + jr), g.ldb, kc, nr, int(NR), bufB);
          const float* b = g.packed_b ? packed_sliver(g.packed_b, g.n, NR, kc, pc, jc + jr)
                                      : bufB + (b_lazy ? 0 : jr * kc);
          Epilogue e = ep;
          if (e.bias) e.bias += jc + jr;
          for (int64_t ir = 0, mr; ir < mc; ir += mr) {
            mr = tile_rows(mc - ir, MR, a_exact);
            const bool a_direct = g.a_in_place && ir < mfull;
            const float* a = a_direct ? a_at(g, ic + ir, pc) : bufA + (g.a_in_place ? 0 : ir * kc);
            const ALayout al = !a_direct ? ALayout{1, MR}
                               : g.ta    ? ALayout{1, g.lda}
                                         : ALayout{g.lda, 1};
            run_tile(K, kc, a, al, b, NR, g.C + (ic + ir) * g.ldc + jc + jr, g.ldc, int(mr), nr, e);
          }
        }
      }
    }
  }
}

// C = act(beta*C + bias): the k == 0 / alpha == 0 case.
void scale_only(const Problem& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* c = g.C + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) {
      float v = g.beta == 0.0f ? 0.0f : g.beta * c[j];
      if (g.bias) v += g.bias[j];
      if (g.relu) v = v < 0.0f ? 0.0f : v;  // NaN kept (avx2_util.h)
      c[j] = v;
    }
  }
}

// A tm x tn grid of C blocks, one pool item each; rows cut at MR multiples,
// columns at NR multiples, so only the matrix edge has partial tiles.
struct GridJob {
  const Problem* g;
  const GemmKernels* K;
  Blocking bk;
  int64_t tm, tn, rows, cols;  // grid shape and block size
};

void grid_item(void* ctx, int64_t begin, int64_t end) {
  const GridJob& J = *static_cast<const GridJob*>(ctx);
  for (int64_t t = begin; t < end; ++t) {
    const int64_t i0 = (t / J.tn) * J.rows, j0 = (t % J.tn) * J.cols;
    const int64_t i1 = std::min(J.g->m, i0 + J.rows), j1 = std::min(J.g->n, j0 + J.cols);
    if (i0 < i1 && j0 < j1) gemm_range(*J.g, *J.K, J.bk, i0, i1, j0, j1);
  }
}

// Picks the grid for `threads` workers that minimises per-thread cost: its
// share of FMAs plus the operand packing every block repeats (a packed
// element costs roughly as much as 16 FMA lanes).
GridJob plan_grid(const Problem& g, const GemmKernels& K, const Blocking& bk, int threads) {
  const int64_t MR = bk.mr, NR = bk.nr;
  // The cost of the grid with tm row blocks and its block size; -1 if a block would be empty.
  auto grid_cost = [&](int64_t tm, int64_t& rows, int64_t& cols) {
    const int64_t tn = threads / tm;
    rows = round_up((g.m + tm - 1) / tm, MR);
    cols = round_up((g.n + tn - 1) / tn, NR);
    if (tm > 1 && rows * (tm - 1) >= g.m) return -1.0;  // a row of the grid would be empty
    if (tn > 1 && cols * (tn - 1) >= g.n) return -1.0;
    // A block is at most the matrix: rows rounded up to MR past m are no work.
    const double r = double(std::min(rows, g.m)), c = double(std::min(cols, g.n));
    const double pack = (g.a_in_place ? 0.0 : r) + (g.packed_b ? 0.0 : c);
    return r * c + 16.0 * pack;
  };
  double least = -1;
  for (int64_t tm = 1, rows, cols; tm <= threads; ++tm) {
    const double cost = grid_cost(tm, rows, cols);
    if (cost >= 0 && (least < 0 || cost < least)) least = cost;
  }
  // Within 5 % of the cheapest, the most row blocks: each thread's share of C
  // is then one contiguous run of rows, like its share of an element-wise
  // kernel over the same array (a weight gradient and the optimizer update
  // that reads it next), so the data stays in that core's cache. (With B packed
  // per block, a column split packs less and would otherwise always win by a
  // little.) Against the cheapest, not the last grid taken: chained 5 % steps
  // took 4 x 2 for 784x256x128 (Xᵀ·dZ) where 2 x 4 is 3.9 % faster on 2 Zen 5
  // threads with the AVX-512 tile, 1.3 % with AVX2.
  GridJob best{&g, &K, bk, 1, 1, g.m, g.n};
  for (int64_t tm = 1, rows, cols; tm <= threads; ++tm) {
    const double cost = grid_cost(tm, rows, cols);
    if (cost >= 0 && cost <= 1.05 * least) best = GridJob{&g, &K, bk, tm, threads / tm, rows, cols};
  }
  return best;
}

}  // namespace

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const float* bias, bool relu, const float* packed_b) {
  if (m <= 0 || n <= 0) return;
  Problem g{transA, transB, m, n,   k,    alpha, A,     lda,    B,
            ldb,    beta,   C, ldc, bias, relu,  false, nullptr};
  if (k <= 0 || alpha == 0.0f) {
    scale_only(g);
    return;
  }
  const bool small = m * n * k <= small_mnk();
  const KernelTable& row = isa_kernels();
  // Every path blocks K the same way for the same k (product_blocking), so a
  // product's bits do not depend on which path its m and n pick.
  const BlockingChoice& base = runtime_blocking(row);
  BlockingChoice choice = base;
  choice.bk.kc = choice.narrow.kc = product_blocking(base, k, false).kc;
  const int thin_threads = small ? 1 : pool_threads();
  if (m <= kSmallM && !transB) return small_m_product(g, row.gemm, choice, thin_threads);
  // One column with A row-major: the narrow path would transpose all of A
  // into panels for one dot product a row.
  if (n == 1 && !transA && row.gemm.gemv)
    return one_column_product(g, row.gemm, choice, thin_threads);
  // Narrow path up to 16 columns when A is read in place (transA); when A
  // must be transposed into panels, only while the main kernel would waste
  // lanes enough to pay for that (at 13..16 columns it is as fast or faster).
  if (n <= (transA ? kNarrowMaxN : kNarrowMaxNPacked))
    return narrow_product(g, row.gemm, choice, thin_threads);
  const GemmKernels& K = row.gemm;
  // Transposed A read in place steps lda floats a k: from 512 on (2 KiB) a tile's kc steps touch
  // that many pages, and on one thread packing A measured faster (Zen 3, 784x256x128 0.90x the
  // time, 512x512x64 0.87x, 1000x300x32 0.95x; at lda 64-256 1.01-1.07x). Across threads in
  // place keeps its several blocks a thread (784x256x128 on 2: as fast either way).
  const bool pack_transposed = transA && lda >= kPackTransposedLda && thin_threads == 1;
  g.a_in_place = m * n * k <= kInPlaceMNK && !pack_transposed;
  g.packed_b = packed_b;
  const Blocking bk = g.a_in_place ? choice.bk : product_blocking(base, k, true);
  if (small) {
    gemm_range(g, K, bk, 0, m, 0, n);  // calling thread, no pool hand-off
    return;
  }
  // With A in place, more blocks than threads: a block then repeats no A
  // packing (and a column split no B packing), and a worker that wakes late
  // or is descheduled by a busy host loses its items to the others instead
  // of stalling the call on its one share. Packed-A products keep one block
  // per thread. The split is over C only.
  const int threads = pool_threads();
  GridJob job =
      plan_grid(g, K, bk, threads > 1 && g.a_in_place ? kItemsPerThread * threads : threads);
  pool_parallel_for(job.tm * job.tn, grid_item, &job);
}

int64_t packed_b_floats(int64_t m, int64_t n, int64_t k) {
  if (m <= kSmallM || n <= kNarrowMaxN || k <= 0) return 0;
  return k * round_up(n, isa_kernels().gemm.bk.nr);
}

void pack_b_whole(bool transB, int64_t n, int64_t k, const float* B, int64_t ldb, float* dst) {
  const KernelTable& row = isa_kernels();
  const int64_t NR = row.gemm.bk.nr, KC = product_blocking(runtime_blocking(row), k, false).kc;
  const Problem g{false, transB, 0,       n, k,       1.0f,  nullptr, 0,      B,
                  ldb,   0.0f,   nullptr, 0, nullptr, false, false,   nullptr};
  for (int64_t pc = 0; pc < k; pc += KC) {
    const int64_t kc = std::min(KC, k - pc);
    pack_b(row.gemm, transB, b_at(g, pc, 0), ldb, kc, n, int(NR), dst + pc * round_up(n, NR));
  }
}

const char* gemm_isa() { return cpu_isa_name(isa_kernels().isa); }

}  // namespace densenode
