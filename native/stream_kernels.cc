// The baseline copy of the stream kernels; the ISA copies are in
// stream_kernels_avx2.cc / stream_kernels_avx512.cc, chosen in native/cpu.cc.
#define STREAM_NS portable
#include "stream_kernels_impl.h"
