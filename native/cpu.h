#pragma once
// The ISA is chosen here and only here: detection, the DENSENODE_ISA and test
// overrides, and the kernel table whose row for that ISA every kernel reads
// (like BLIS's context), so a new ISA is one row in cpu.cc and the x86 rows
// exist only where CMakeLists.txt builds the x86 files.
#include "batchnorm_kernels.h"
#include "gemm/kernels.h"
#include "stream_kernels.h"

namespace densenode {
enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2, Neon = 3 };

// This build's ISAs from the baseline up, the order DENSENODE_ISA and the test
// override lower through: portable < avx2 < avx512 on x86-64, portable < neon
// on arm64, portable alone elsewhere. A level is an index into that ladder.
int isa_levels();             // how many: 3, 2 or 1
Isa isa_at_level(int level);  // 0 = Portable
int isa_level(Isa isa);       // its index, or -1 if this build has no kernels for it

// Best ISA this CPU + OS can run, lowered by DENSENODE_ISA if set (a name not
// on this build's ladder is ignored). Decided once (first call) and cached;
// thread-safe.
Isa cpu_selected_isa();
const char* cpu_isa_name(Isa isa);  // "portable" | "avx2" | "avx512" | "neon"
const char* cpu_best_isa();         // name of cpu_selected_isa()

// The ISA whose kernels run: cpu_selected_isa(), lowered by the test override
// below.
Isa kernel_isa();
// For tests only: -1 = follow cpu_selected_isa() (the default); otherwise a
// level (above), lowered to cpu_selected_isa()'s if that is below.
void set_kernel_isa_override(int level);

// One ISA's copy of every per-ISA kernel. The layer tables are pointers: they
// are defined in their own translation units, and their addresses (unlike
// their contents) are constants, so each row is built at compile time.
struct KernelTable {
  Isa isa;
  GemmKernels gemm;  // micro-, edge and narrow kernels, blocking, packing
  const bn::Kernels* batchnorm;
  const stream::Kernels* stream;
};

// The row for kernel_isa(). Read it per call rather than caching it: the test
// override may change between calls.
const KernelTable& isa_kernels();
}  // namespace densenode
