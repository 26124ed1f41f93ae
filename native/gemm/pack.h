#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace densenode {

// K: the ISA row whose transposing gather does the transposed cases (the
// one the calling GEMM runs, so a call never mixes rows).

// Packs the mc x kc block of op(A) whose top-left element is at A (already
// offset by the caller) into ceil(mc/mr) slivers. Sliver s holds rows
// [s*mr, s*mr+mr) k-major: dst[s*mr*kc + p*mr + i]. Rows past mc are zero, so
// the micro-kernel can always read a full mr x kc sliver.
// transA: A is stored k x m, so op(A)(i,p) = A[p*lda + i]; else A[i*lda + p].
void pack_a(const GemmKernels& K, bool transA, const float* A, int64_t lda, int64_t mc, int64_t kc,
            int mr, float* dst);

// Packs the kc x nc block of op(B) at B into ceil(nc/nr) slivers, sliver s
// holding columns [s*nr, s*nr+nr): dst[s*nr*kc + p*nr + j]; columns past nc
// are zero. transB: B is stored n x k, op(B)(p,j) = B[j*ldb + p]; else B[p*ldb + j].
void pack_b(const GemmKernels& K, bool transB, const float* B, int64_t ldb, int64_t kc, int64_t nc,
            int nr, float* dst);

// Per-thread, 64-byte aligned scratch that only grows: no allocation per call
// once the largest shape has been seen. slot 0 = A block, 1 = B panel,
// 2 = edge slivers of the in-place path.
float* pack_buffer(int slot, size_t floats);

}  // namespace densenode
