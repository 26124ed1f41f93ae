// The baseline copy of the stream kernels and the choice between the copies.
#include "stream_kernels.h"

#include <atomic>

#include "cpu.h"

#define STREAM_NS portable
#include "stream_kernels_impl.h"

namespace densenode {
namespace stream {
namespace {
std::atomic<int> g_isa_override{-1};
}  // namespace

void set_isa_override(int isa) { g_isa_override.store(isa, std::memory_order_relaxed); }

const Kernels& kernels() {
  int isa = static_cast<int>(cpu_selected_isa());
  const int forced = g_isa_override.load(std::memory_order_relaxed);
  if (forced >= 0 && forced < isa) isa = forced;
#if defined(__x86_64__) || defined(_M_X64)
  if (isa == static_cast<int>(Isa::Avx512)) return avx512::kKernels;
  if (isa == static_cast<int>(Isa::Avx2)) return avx2::kKernels;
#endif
  return portable::kKernels;
}

}  // namespace stream
}  // namespace densenode
