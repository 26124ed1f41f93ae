#pragma once
namespace densenode {
enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

// Best ISA this CPU + OS can run, lowered by DENSENODE_ISA if set. Decided once
// (first call) and cached; thread-safe.
Isa cpu_selected_isa();
const char* cpu_isa_name(Isa isa);  // "portable" | "avx2" | "avx512"
const char* cpu_best_isa();         // name of cpu_selected_isa()

// The ISA whose copy of the per-ISA layer kernels (batch-norm, stream kernels)
// runs: cpu_selected_isa(), lowered by the test override below.
Isa kernel_isa();
// For tests only: -1 = follow cpu_selected_isa() (the default); 0/1/2 =
// portable/avx2/avx512, lowered to cpu_selected_isa() if that is below.
void set_kernel_isa_override(int isa);
}  // namespace densenode
