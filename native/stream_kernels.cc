// The baseline copy of the stream kernels and the choice between the copies.
#include "stream_kernels.h"

#include "cpu.h"

#define STREAM_NS portable
#include "stream_kernels_impl.h"

namespace densenode {
namespace stream {

const Kernels& kernels() {
  switch (kernel_isa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::Avx512: return avx512::kKernels;
    case Isa::Avx2: return avx2::kKernels;
#endif
    default: return portable::kKernels;
  }
}

}  // namespace stream
}  // namespace densenode
