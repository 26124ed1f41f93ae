#pragma once
namespace densenode {
enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

// Best ISA this CPU + OS can run, lowered by DENSENODE_ISA if set. Decided once
// (first call) and cached; thread-safe.
Isa cpu_selected_isa();
const char* cpu_isa_name(Isa isa);  // "portable" | "avx2" | "avx512"
const char* cpu_best_isa();         // name of cpu_selected_isa()
}  // namespace densenode
