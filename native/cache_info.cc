#include "cache_info.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "first_line.h"

#if defined(__x86_64__) || defined(_M_X64)
#define DENSENODE_CPUID 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

namespace densenode {
namespace {

#if defined(DENSENODE_CPUID)
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#if defined(_MSC_VER)
  int out[4];
  __cpuidex(out, int(leaf), int(sub));
  for (int i = 0; i < 4; ++i) r[i] = unsigned(out[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

// Leaf 4 (Intel) and 0x8000001D (AMD) share one layout: EAX type/level/
// sharing, EBX line/partitions/ways, ECX sets; subleaf i is the i-th cache.
bool from_cpuid(CacheInfo& out) {
  unsigned r[4];
  cpuid(0, 0, r);
  char vendor[13] = {};
  std::memcpy(vendor, &r[1], 4);
  std::memcpy(vendor + 4, &r[3], 4);
  std::memcpy(vendor + 8, &r[2], 4);
  const unsigned max_leaf = r[0];
  unsigned leaf = 4;
  if (std::strcmp(vendor, "AuthenticAMD") == 0 || std::strcmp(vendor, "HygonGenuine") == 0) {
    cpuid(0x80000000u, 0, r);
    if (r[0] < 0x8000001Du) return false;
    cpuid(0x80000001u, 0, r);
    if (!((r[2] >> 22) & 1)) return false;  // no topology extensions: no leaf 0x8000001D
    leaf = 0x8000001Du;
  } else if (max_leaf < 4) {
    return false;
  }
  bool any = false;
  for (unsigned sub = 0; sub < 16; ++sub) {
    cpuid(leaf, sub, r);
    const unsigned type = r[0] & 0x1F;
    if (type == 0) break;     // no more caches
    if (type == 2) continue;  // instruction cache
    const unsigned level = (r[0] >> 5) & 0x7;
    const int64_t line = (r[1] & 0xFFF) + 1, parts = ((r[1] >> 12) & 0x3FF) + 1,
                  ways = ((r[1] >> 22) & 0x3FF) + 1, sets = int64_t(r[2]) + 1;
    const bool fully_assoc = (r[0] >> 9) & 1;
    CacheLevel c{line * parts * ways * sets, fully_assoc ? 0 : int(ways),
                 int(((r[0] >> 14) & 0xFFF) + 1)};
    if (level == 1) out.l1d = c;
    if (level == 2) out.l2 = c;
    if (level == 3) out.l3 = c;
    any = any || level == 1;
  }
  if (any) out.source = "cpuid";
  return any;
}
#endif

#if defined(__linux__)
// "0-3,8-11" -> 8.
int count_cpus(const char* list) {
  int n = 0;
  for (const char* p = list; *p;) {
    char* end;
    const long a = std::strtol(p, &end, 10);
    if (end == p) break;
    long b = a;
    if (*end == '-') b = std::strtol(end + 1, &end, 10);
    if (b >= a) n += int(b - a + 1);
    p = *end == ',' ? end + 1 : end;
    if (*p == '\n') break;
  }
  return n;
}

bool from_sysfs(CacheInfo& out) {
  bool any = false;
  char path[96], buf[256];
  for (int i = 0; i < 16; ++i) {
    auto field = [&](const char* name) {
      std::snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", i, name);
      return read_first_line(path, buf, sizeof buf);
    };
    if (!field("level")) break;
    const int level = std::atoi(buf);
    if (!field("type") || std::strncmp(buf, "Instruction", 11) == 0) continue;
    if (!field("size")) continue;
    char* unit;
    int64_t bytes = std::strtoll(buf, &unit, 10);
    if (*unit == 'K') bytes <<= 10;
    if (*unit == 'M') bytes <<= 20;
    CacheLevel c{bytes, field("ways_of_associativity") ? std::atoi(buf) : 0,
                 field("shared_cpu_list") ? count_cpus(buf) : 0};
    if (level == 1) out.l1d = c;
    if (level == 2) out.l2 = c;
    if (level == 3) out.l3 = c;
    any = any || (level == 1 && bytes > 0);
  }
  if (any) out.source = "sysfs";
  return any;
}
#endif

#if defined(__APPLE__)
int64_t sysctl_int(const char* name) {
  int64_t v = 0;
  size_t size = sizeof v;
  return sysctlbyname(name, &v, &size, nullptr, 0) == 0 ? v : 0;
}

// The performance cores' caches (perflevel0) where the OS reports levels.
bool from_sysctl(CacheInfo& out) {
  int64_t l1 = sysctl_int("hw.perflevel0.l1dcachesize"),
          l2 = sysctl_int("hw.perflevel0.l2cachesize");
  int64_t l2_share = sysctl_int("hw.perflevel0.cpusperl2");
  if (l1 <= 0) l1 = sysctl_int("hw.l1dcachesize");
  if (l2 <= 0) l2 = sysctl_int("hw.l2cachesize");
  if (l1 <= 0) return false;
  out.l1d = CacheLevel{l1, 0, 1};
  out.l2 = CacheLevel{l2, 0, int(l2_share)};
  out.l3 = CacheLevel{sysctl_int("hw.l3cachesize"), 0, 0};
  out.source = "sysctl";
  return true;
}
#endif

CacheInfo detect() {
  CacheInfo info;
#if defined(DENSENODE_CPUID)
  if (from_cpuid(info)) return info;
#endif
#if defined(__linux__)
  if (from_sysfs(info)) return info;
#endif
#if defined(__APPLE__)
  if (from_sysctl(info)) return info;
#endif
  return info;
}

}  // namespace

const CacheInfo& cpu_caches() {
  static const CacheInfo info = detect();  // magic static: once, thread-safe
  return info;
}

}  // namespace densenode
