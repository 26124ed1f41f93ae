#include "runtime_blocking.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace densenode {

namespace {
// The model's KC: deeper was no faster on Zen 5 (sweep in docs/decisions.md). Where the caches are
// known it sizes MC and NC for K up to itself only; deeper K goes in blocks of up to kMaxWholeK.
constexpr int64_t kMaxKC = 512;
// A K up to 1024 is one block wherever the caches are known (product_blocking), whatever L1
// holds of the B sliver: Zen 3 AVX2, 256x256x784 with B packed 92.3 -> 95.8-96.2 GFLOP/s on 1
// thread; Zen 5 AVX-512 (the sliver rule said 768), 1024^3 5-6 % and the 784-deep products
// 0-7 % less time on 1 and 2 threads (docs/decisions.md).
constexpr int64_t kMaxWholeK = 1024;
constexpr int64_t kMinNC = 1024, kMaxNC = 8192, kMaxMC = 4096;
constexpr int64_t kFloat = int64_t(sizeof(float));

// The deepest KC whose KC x NR sliver of B is within 2 x L1 (a multiple of 64), before any cap.
int64_t sliver_kc(int64_t l1, int64_t nr) { return round_down(2 * l1 / (nr * kFloat), 64); }

// MC for an MC x KC A block within 3/4 of L2: a multiple of MR, clamped (a VM may report any size).
int mc_for_l2(int64_t l2, int64_t kc, int mr) {
  return int(
      std::clamp<int64_t>(round_down(3 * l2 / 4 / (kc * kFloat), mr), mr, round_down(kMaxMC, mr)));
}

// NC for a KC x NC B panel within 1/2 of L3: a multiple of NR, clamped.
int nc_for_l3(int64_t l3, int64_t kc, int nr) {
  return int(std::clamp<int64_t>(round_down(l3 / 2 / (kc * kFloat), nr), round_up(kMinNC, nr),
                                 round_down(kMaxNC, nr)));
}
}  // namespace

Blocking model_blocking(const Blocking& table, const CacheInfo& caches) {
  Blocking b = table;
  const int64_t l1 = CacheInfo::per_thread(caches.l1d), l2 = CacheInfo::per_thread(caches.l2),
                l3 = CacheInfo::per_thread(caches.l3);
  if (l1 > 0) b.kc = int(std::clamp<int64_t>(sliver_kc(l1, b.nr), 64, kMaxKC));
  if (l2 > 0) b.mc = mc_for_l2(l2, b.kc, b.mr);
  if (l3 > 0) b.nc = nc_for_l3(l3, b.kc, b.nr);
  return b;
}

bool parse_blocking(const char* text, Blocking& bk) {
  long long v[3];
  const char* p = text;
  for (int i = 0; i < 3; ++i) {
    char* end;
    if (*p < '0' || *p > '9') return false;
    v[i] = std::strtoll(p, &end, 10);
    if (v[i] < 1 || v[i] > 65536) return false;
    if (*end != (i < 2 ? ',' : '\0')) return false;
    p = end + (i < 2 ? 1 : 0);
  }
  bk.mc = int(round_up(v[0], bk.mr));
  bk.kc = int(v[1]);
  bk.nc = int(round_up(v[2], bk.nr));
  return true;
}

namespace {
BlockingChoice choose(const KernelTable& row) {
  BlockingChoice c{row.gemm.bk, row.gemm.narrow_bk, "table"};
  c.whole_k = c.bk.kc;
  const char* env = std::getenv("DENSENODE_BLOCKING");
  if (env && parse_blocking(env, c.bk)) {
    c.source = "DENSENODE_BLOCKING";
    c.whole_k = c.bk.kc;
  } else if (cpu_caches().l1d.bytes > 0) {
    const CacheInfo& caches = cpu_caches();
    c.bk = model_blocking(row.gemm.bk, caches);
    c.source = "model";
    c.whole_k = std::max<int64_t>(c.bk.kc, kMaxWholeK);
    c.l2 = CacheInfo::per_thread(caches.l2);
    c.l3 = CacheInfo::per_thread(caches.l3);
  }
  c.narrow.kc = c.bk.kc;
  return c;
}
}  // namespace

Blocking product_blocking(const BlockingChoice& choice, int64_t k, bool a_packed) {
  Blocking b = choice.bk;
  if (k <= b.kc || choice.whole_k <= b.kc) return b;
  // A deeper K in the fewest equal blocks of at most whole_k: each block a pass of the C tiles
  // fewer than at KC (2048^3 on Zen 5 in 2 blocks of 1024, not 4 of 512: 0.93-0.94 -> 0.966 of
  // OpenBLAS's speed with the AVX-512 tile, 0.978-0.984 -> 0.987 with AVX2; docs/decisions.md).
  const int64_t blocks = (k + choice.whole_k - 1) / choice.whole_k;
  const int64_t kc = (k + blocks - 1) / blocks;
  // Caches unknown but L1: the A block keeps its size in floats.
  if (a_packed)
    b.mc = choice.l2 > 0
               ? mc_for_l2(choice.l2, kc, b.mr)
               : int(std::max<int64_t>(round_down(int64_t(b.mc) * b.kc / kc, b.mr), b.mr));
  if (choice.l3 > 0) b.nc = nc_for_l3(choice.l3, kc, b.nr);
  b.kc = int(kc);
  return b;
}

const BlockingChoice& runtime_blocking(const KernelTable& row) {
  static BlockingChoice choices[4];
  static std::once_flag once[4];
  const int i = int(row.isa);
  std::call_once(once[i], [&] { choices[i] = choose(row); });
  return choices[i];
}

}  // namespace densenode
