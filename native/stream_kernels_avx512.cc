// The stream kernels built for AVX-512 (F, VL, BW, DQ, with AVX2/FMA). Nothing
// on non-x86 targets.
#if defined(__x86_64__) || defined(_M_X64)
#define STREAM_NS avx512
#include "stream_kernels_impl.h"
#endif
