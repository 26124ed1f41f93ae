// The batch-norm kernels built for AVX2 (+FMA, which -ffp-contract=off keeps
// from changing results): -mavx2 -mfma. Built on x86-64 only.
#define BN_NS avx2
#include "batchnorm_impl.h"
