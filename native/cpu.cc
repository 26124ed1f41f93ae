#include "cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

// CMakeLists.txt defines DENSENODE_X86_KERNELS where it builds the *avx2* /
// *avx512* files; this is the one test of it, so detection and the table can
// never offer an ISA whose kernels are not linked in.
#if defined(DENSENODE_X86_KERNELS)
#if !defined(__x86_64__) && !defined(_M_X64)
#error "DENSENODE_X86_KERNELS on a non-x86-64 target"
#endif
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif
// Likewise DENSENODE_NEON_KERNELS where it builds the *neon* files (arm64).
// NEON is part of the AArch64 baseline: every arm64 CPU runs them, no check.
#if defined(DENSENODE_NEON_KERNELS) && !defined(__aarch64__) && !defined(_M_ARM64)
#error "DENSENODE_NEON_KERNELS on a non-arm64 target"
#endif

namespace densenode {
namespace {

// This build's ladder (cpu.h), baseline first.
#if defined(DENSENODE_X86_KERNELS)
constexpr Isa kLadder[] = {Isa::Portable, Isa::Avx2, Isa::Avx512};
#elif defined(DENSENODE_NEON_KERNELS)
constexpr Isa kLadder[] = {Isa::Portable, Isa::Neon};
#else
constexpr Isa kLadder[] = {Isa::Portable};
#endif
constexpr int kLevels = int(sizeof kLadder / sizeof kLadder[0]);

#if defined(DENSENODE_X86_KERNELS)
// XCR0 tells which register states the OS saves on context switch; a CPU flag
// alone is not enough (a kernel without AVX-512 support would corrupt zmm).
unsigned long long read_xcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
#endif
}

bool os_saves_xsave_state() {
#if defined(_MSC_VER)
  int r[4];
  __cpuid(r, 1);
  return (r[2] >> 27) & 1;  // OSXSAVE
#else
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c >> 27) & 1;
#endif
}

Isa detect_hw() {
  if (!os_saves_xsave_state()) return Isa::Portable;
  const unsigned long long xcr0 = read_xcr0();
  const bool ymm_ok = (xcr0 & 0x6) == 0x6;    // SSE + AVX state
  const bool zmm_ok = (xcr0 & 0xE6) == 0xE6;  // + opmask, ZMM_Hi256, Hi16_ZMM
#if defined(_MSC_VER)
  // MSVC has no __builtin_cpu_supports; leaf 7 bits are checked directly.
  int r[4];
  __cpuidex(r, 7, 0);
  const bool avx2 = (r[1] >> 5) & 1, f = (r[1] >> 16) & 1, dq = (r[1] >> 17) & 1,
             bw = (r[1] >> 30) & 1, vl = (r[1] >> 31) & 1;
  __cpuid(r, 1);
  const bool fma = (r[2] >> 12) & 1;
#else
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2"), fma = __builtin_cpu_supports("fma");
  const bool f = __builtin_cpu_supports("avx512f"), vl = __builtin_cpu_supports("avx512vl"),
             bw = __builtin_cpu_supports("avx512bw"), dq = __builtin_cpu_supports("avx512dq");
#endif
  if (zmm_ok && f && vl && bw && dq && avx2 && fma) return Isa::Avx512;
  if (ymm_ok && avx2 && fma) return Isa::Avx2;
  return Isa::Portable;
}
#elif defined(DENSENODE_NEON_KERNELS)
Isa detect_hw() { return Isa::Neon; }
#else
Isa detect_hw() { return Isa::Portable; }
#endif

Isa detect() {
  Isa best = detect_hw();
  // DENSENODE_ISA can only lower the choice: asking for more than the hardware
  // has falls back to the best supported ISA not above the request. A name
  // this build has no kernels for (another architecture's) is ignored.
  if (const char* env = std::getenv("DENSENODE_ISA")) {
    for (int level = 0; level < kLevels; ++level)
      if (std::strcmp(env, cpu_isa_name(kLadder[level])) == 0 && level < isa_level(best))
        best = kLadder[level];
  }
  return best;
}

}  // namespace

int isa_levels() { return kLevels; }

Isa isa_at_level(int level) {
  return level >= 0 && level < kLevels ? kLadder[level] : Isa::Portable;
}

int isa_level(Isa isa) {
  for (int level = 0; level < kLevels; ++level)
    if (kLadder[level] == isa) return level;
  return -1;
}

Isa cpu_selected_isa() {
  static const Isa isa = detect();  // magic static: computed once, thread-safe
  return isa;
}

const char* cpu_isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    case Isa::Neon: return "neon";
    default: return "portable";
  }
}

const char* cpu_best_isa() { return cpu_isa_name(cpu_selected_isa()); }

namespace {
std::atomic<int> g_kernel_isa_override{-1};
}  // namespace

void set_kernel_isa_override(int level) {
  g_kernel_isa_override.store(level, std::memory_order_relaxed);
}

Isa kernel_isa() {
  const Isa best = cpu_selected_isa();
  const int forced = g_kernel_isa_override.load(std::memory_order_relaxed);
  return forced >= 0 && forced < isa_level(best) ? kLadder[forced] : best;
}

namespace {

// constexpr: constant-initialised, so a kernel called during another
// translation unit's static initialisation still finds its row filled in.
constexpr KernelTable kPortable{
    Isa::Portable,
    {kernel_portable, nullptr, nullptr, kBlockPortable, narrow_portable, kNarrowPortable,
     gather_cols_portable, 1, small_m_portable, 16, nullptr},
    &bn::portable::kKernels,
    &stream::portable::kKernels};

#if defined(DENSENODE_X86_KERNELS)
constexpr KernelTable kAvx2{Isa::Avx2,
                            {kernel_avx2, kernel_avx2_n8, kernel_avx2_edge, kBlockAvx2, narrow_avx2,
                             kNarrowAvx2, gather_cols_avx2, 1, small_m_avx2, 32, gemv_avx2},
                            &bn::avx2::kKernels,
                            &stream::avx2::kKernels};

constexpr KernelTable kAvx512{
    Isa::Avx512,
    {kernel_avx512, kernel_avx512_n16, kernel_avx512_edge, kBlockAvx512, narrow_avx512,
     kNarrowAvx512, gather_cols_avx512, 1, small_m_avx512, 64, gemv_avx2},
    &bn::avx512::kKernels,
    &stream::avx512::kKernels};
#endif

#if defined(DENSENODE_NEON_KERNELS)
// The layer kernels are the portable tables: on AArch64 the compiler already
// vectorises those loops with NEON (the baseline), so a second copy would be
// the same instructions (docs/decisions.md).
constexpr KernelTable kNeon{Isa::Neon,
                            {kernel_neon, nullptr, kernel_neon_edge, kBlockNeon, narrow_neon,
                             kNarrowNeon, gather_cols_neon, 4, small_m_neon, 16, gemv_neon},
                            &bn::portable::kKernels,
                            &stream::portable::kKernels};
#endif

}  // namespace

const KernelTable& isa_kernels() {
  switch (kernel_isa()) {
#if defined(DENSENODE_X86_KERNELS)
    case Isa::Avx512: return kAvx512;
    case Isa::Avx2: return kAvx2;
#endif
#if defined(DENSENODE_NEON_KERNELS)
    case Isa::Neon: return kNeon;
#endif
    default: return kPortable;
  }
}

}  // namespace densenode
