// The stream kernels built for AVX2 (+FMA, which -ffp-contract=off keeps from
// changing results): -mavx2 -mfma. Nothing on non-x86 targets.
#if defined(__x86_64__) || defined(_M_X64)
#define STREAM_NS avx2
#include "stream_kernels_impl.h"
#endif
