#pragma once
// Products with few rows of C (the small-m path, m <= kSmallM) or few columns
// (the one-column and narrow paths): each walks the long dimension in items
// over the pool (threads 1: on the calling thread), with the K blocks of the
// main path, so a row of C gets the same bits whichever path computes it.
#include "../cpu.h"
#include "problem.h"
#include "runtime_blocking.h"

namespace densenode {

// m <= kSmallM, B not transposed: B read in place in small_width strips.
void small_m_product(const Problem& g, const GemmKernels& K, const BlockingChoice& choice,
                     int threads);
// n == 1, A row-major, K.gemv set: A read in place.
void one_column_product(const Problem& g, const GemmKernels& K, const BlockingChoice& choice,
                        int threads);
// n <= kNarrowMaxN: vectorised along m in panels.
void narrow_product(const Problem& g, const GemmKernels& K, const BlockingChoice& choice,
                    int threads);

}  // namespace densenode
