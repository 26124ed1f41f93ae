#pragma once
// Block sizes for the running CPU: derived from its caches (the BLIS model,
// below), the fixed table (blocking.h) where the caches are unknown, or
// DENSENODE_BLOCKING=mc,kc,nc for experiments.
#include "../cache_info.h"
#include "../cpu.h"
#include "blocking.h"

namespace densenode {

struct BlockingChoice {
  Blocking bk;            // mr/nr from the kernel, mc/kc/nc chosen here
  NarrowBlocking narrow;  // mr from the kernel, kc = bk.kc
  const char* source;     // "model" | "table" | "DENSENODE_BLOCKING"
  // The deepest K taken as one block (>= bk.kc): 1024 where the caches are
  // known, else bk.kc. l2 and l3 size MC and NC for such a block; 0 when the caches are unknown.
  int64_t whole_k = 0;
  int64_t l2 = 0;
  int64_t l3 = 0;
};

// The blocking of a main-path product of depth k (the same for every m, n,
// thread count and whether B comes packed, so a product's bits depend on k
// only): a K of at most whole_k is one block, which saves the C tiles' second
// pass, and a deeper one the fewest equal blocks of at most whole_k (with the
// table or DENSENODE_BLOCKING, blocks of bk.kc); where A is packed, MC shrinks
// so the deeper A block still fits L2, and NC so the B panel fits half of L3.
Blocking product_blocking(const BlockingChoice& choice, int64_t k, bool a_packed);

// The model (pure, for tests): with L1/L2/L3 the bytes one thread may use,
//   KC: the B sliver (KC x NR) within 2 x L1, at most 512;
//   MC: the A block (MC x KC) within 3/4 of L2, a multiple of MR, at most 4096;
//   NC: the B panel (KC x NC) within 1/2 of L3, a multiple of NR, 1024..8192.
// A level of 0 bytes (unknown) keeps the table's value for what it bounds.
Blocking model_blocking(const Blocking& table, const CacheInfo& caches);

// "mc,kc,nc" (positive integers up to 65536) -> bk with mc / nc rounded up to
// multiples of MR / NR; false (bk untouched) for anything else.
bool parse_blocking(const char* text, Blocking& bk);

// The choice for the kernel table row `row`: computed once per ISA.
const BlockingChoice& runtime_blocking(const KernelTable& row);

}  // namespace densenode
