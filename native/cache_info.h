#pragma once
// The running CPU's data caches, read once at first use: CPUID on x86-64
// (leaf 4 on Intel, 0x8000001D on AMD/Hygon), else Linux sysfs, else macOS
// sysctl. The GEMM block sizes are derived from them (gemm/runtime_blocking.h).
#include <cstdint>

namespace densenode {

struct CacheLevel {
  int64_t bytes = 0;  // one instance; 0 = unknown
  int ways = 0;       // associativity, 0 = unknown (or fully associative)
  int sharing = 0;    // logical CPUs sharing one instance, 0 = unknown
};

struct CacheInfo {
  CacheLevel l1d, l2, l3;
  const char* source = "none";  // "cpuid" | "sysfs" | "sysctl" | "none"

  // Bytes of a level one thread can count on when every logical CPU that
  // shares it runs a GEMM thread (0 when unknown).
  static int64_t per_thread(const CacheLevel& c) {
    return c.sharing > 1 ? c.bytes / c.sharing : c.bytes;
  }
};

const CacheInfo& cpu_caches();

}  // namespace densenode
