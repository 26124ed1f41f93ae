// The batch-norm kernels built for AVX-512 (F, VL, BW, DQ, with AVX2/FMA):
// -mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma. Built on x86-64 only.
#define BN_NS avx512
#include "batchnorm_impl.h"
