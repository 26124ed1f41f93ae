#include "runtime_blocking.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace densenode {

namespace {
constexpr int64_t kMaxKC = 512;  // deeper: no faster on Zen 5 (sweep in docs/decisions.md)
constexpr int64_t kMinNC = 1024, kMaxNC = 8192, kMaxMC = 4096;
}  // namespace

Blocking model_blocking(const Blocking& table, const CacheInfo& caches) {
  Blocking b = table;
  const int64_t l1 = CacheInfo::per_thread(caches.l1d), l2 = CacheInfo::per_thread(caches.l2),
                l3 = CacheInfo::per_thread(caches.l3);
  const int64_t f = int64_t(sizeof(float));
  if (l1 > 0) b.kc = int(std::clamp<int64_t>(round_down(2 * l1 / (b.nr * f), 64), 64, kMaxKC));
  if (l2 > 0)  // clamped: a VM may report any size
    b.mc = int(std::clamp<int64_t>(round_down(3 * l2 / 4 / (int64_t(b.kc) * f), b.mr), b.mr,
                                   round_down(kMaxMC, b.mr)));
  if (l3 > 0) {
    b.nc = int(std::clamp<int64_t>(round_down(l3 / 2 / (int64_t(b.kc) * f), b.nr),
                                   round_up(kMinNC, b.nr), round_down(kMaxNC, b.nr)));
  }
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
  const char* env = std::getenv("DENSENODE_BLOCKING");
  if (env && parse_blocking(env, c.bk)) {
    c.source = "DENSENODE_BLOCKING";
  } else if (cpu_caches().l1d.bytes > 0) {
    c.bk = model_blocking(row.gemm.bk, cpu_caches());
    c.source = "model";
  }
  c.narrow.kc = c.bk.kc;
  return c;
}
}  // namespace

const BlockingChoice& runtime_blocking(const KernelTable& row) {
  static BlockingChoice choices[4];
  static std::once_flag once[4];
  const int i = int(row.isa);
  std::call_once(once[i], [&] { choices[i] = choose(row); });
  return choices[i];
}

}  // namespace densenode
