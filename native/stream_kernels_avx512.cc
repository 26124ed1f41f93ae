// The stream kernels built for AVX-512 (F, VL, BW, DQ, with AVX2/FMA). Built on
// x86-64 only.
#define STREAM_NS avx512
#include "stream_kernels_impl.h"
