#pragma once
// The ISA is chosen here and only here: detection, the DENSENODE_ISA and test
// overrides, and the kernel table whose row for that ISA every kernel reads
// (like BLIS's context), so a new ISA is one row in cpu.cc and the x86 rows
// exist only where CMakeLists.txt builds the x86 files.
#include "batchnorm_kernels.h"
#include "gemm/kernels.h"
#include "stream_kernels.h"

namespace densenode {
enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

// Best ISA this CPU + OS can run, lowered by DENSENODE_ISA if set. Decided once
// (first call) and cached; thread-safe.
Isa cpu_selected_isa();
const char* cpu_isa_name(Isa isa);  // "portable" | "avx2" | "avx512"
const char* cpu_best_isa();         // name of cpu_selected_isa()

// The ISA whose kernels run: cpu_selected_isa(), lowered by the test override
// below.
Isa kernel_isa();
// For tests only: -1 = follow cpu_selected_isa() (the default); 0/1/2 =
// portable/avx2/avx512, lowered to cpu_selected_isa() if that is below.
void set_kernel_isa_override(int isa);

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
