#pragma once
// Block sizes per ISA. MR x NR is the register tile (fixed by the kernel), KC
// the depth of one rank-KC update, MC x KC the packed A block, KC x NC the B
// panel. At load MC/KC/NC are derived from the running CPU's caches
// (runtime_blocking.h); the values below are the fallback where the caches
// cannot be read. They were swept on Zen 5 (L1d 48 KiB 12-way, L2 1 MiB per
// core), 1024^3 and 2048^3 on one thread: KC 128..1024 x MC 126..504; the
// cache model reproduces the AVX-512 row there.
#include <cstdint>

namespace densenode {

// x rounded to a multiple of q (q > 0, x >= 0): block sizes to whole tiles.
constexpr int64_t round_up(int64_t x, int64_t q) { return (x + q - 1) / q * q; }
constexpr int64_t round_down(int64_t x, int64_t q) { return x / q * q; }

struct Blocking {
  int mr, nr, mc, kc, nc;
};

// avx512: 14x32 tile = 28 zmm accumulators + 2 B vectors + 1 broadcast (<= 32 regs).
//   KC 512: the kernel needs only ~13 B/cycle, so a B sliver streaming from L2
//     is fine; a deep KC halves the C-tile read/write passes (swept: 512 best,
//     ~180 vs ~160 GFLOP/s for 256).
//   MC 378 (=14*27): 378x512 A block = 756 KiB, ~3/4 of the 1 MiB L2.
//   NC 4096: 512x4096 B panel = 8 MiB, fits the shared L3 per thread.
constexpr Blocking kBlockAvx512{14, 32, 378, 512, 4096};
// avx2: 6x16 tile = 12 ymm accumulators + 2 B + 1 broadcast (<= 16 regs).
//   KC 512: 32 KiB B sliver, fits L1. MC 378 (=6*63): 756 KiB A block in L2.
constexpr Blocking kBlockAvx2{6, 16, 378, 512, 4096};
// neon (arm64): 8x12 tile = 24 q-register accumulators + 2 A + 3 B (<= 32
//   regs), the A value taken from a vector lane (fmla by element): 5 loads per
//   24 FMAs. Sized for the 64 KiB L1d / 1-2 MiB L2 per core of Neoverse
//   N1/V1/V2 (Graviton 2-4, Ampere Altra); not measured (docs/decisions.md).
//   KC 512: 24 KiB B sliver + a 16 KiB A sliver in L1. MC 256 (=8*32): 512 KiB
//   A block, half of a 1 MiB L2. NC 3072 = 12*256: a multiple of NR, so only
//   the matrix edge has partial slivers.
constexpr Blocking kBlockNeon{8, 12, 256, 512, 3072};
// portable: 6x8 tile = 12 SSE/NEON accumulators, same cache reasoning as avx2.
constexpr Blocking kBlockPortable{6, 8, 378, 512, 4096};

// Narrow-n path (n <= 16): panel height (rows of C per narrow-kernel call)
// and K block. avx512: 32 rows = 2 zmm per column, up to 12 columns (24
// accumulators); avx2: 16 rows = 2 ymm, up to 6 columns; neon: 8 rows = 2
// q registers, up to 12 columns (24 accumulators); portable: 8 rows.
// KC 512 as above: a 512 x 16 B block (32 KiB) stays in L1 across panels.
struct NarrowBlocking {
  int mr, kc;
};
constexpr NarrowBlocking kNarrowAvx512{32, 512};
constexpr NarrowBlocking kNarrowAvx2{16, 512};
constexpr NarrowBlocking kNarrowNeon{8, 512};
constexpr NarrowBlocking kNarrowPortable{8, 512};
constexpr int kNarrowMaxN = 16;        // widest n the narrow path takes
constexpr int kNarrowMaxNPacked = 12;  // same when A needs packing (NN, NT):
                                       // 1024x16x1024 NN 105 vs 122 GFLOP/s main

constexpr int kMaxMR = 14;  // largest mr above: sizes the on-stack edge tile
constexpr int kMaxNR = 32;  // largest nr above

}  // namespace densenode
