// The batch-norm kernels built for AVX-512 (F, VL, BW, DQ, with AVX2/FMA):
// -mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma. Nothing on non-x86.
#if defined(__x86_64__) || defined(_M_X64)
#define BN_NS avx512
#include "batchnorm_impl.h"
#endif
