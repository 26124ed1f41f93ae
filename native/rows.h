#pragma once
// Stored table rows expanded into a mini-batch: the disk cache keeps each one-hot block as the
// index of its 1 (lib/data/row-layout.ts), so a batch is gathered and expanded in one pass.
#include <cstdint>

namespace densenode {

// What stopped expand_rows: row is -1 when nothing did.
struct ExpandFault {
  int64_t row = -1;     // the batch row (position in indices)
  bool index = false;   // true: indices[row] >= rows; false: a bad level index
  int64_t part = 0;     // the layout part holding the bad level
  uint32_t source = 0;  // indices[row] as it was read
  float level = 0.0f;   // the level index as it was read
};

// For i < count, with s = src + indices[i] * stride and d = dst + i * cols: d is zeroed, then
// each (from, into, n) triple of layout (parts of them) writes either a run (n > 0:
// d[into..into+n) = s[from..from+n)) or a one-hot block of width w = -n (s[from] is a level
// k, an integer in [0, w]: d[into + k] = 1, k = w meaning no level). targets[i] = s[stride - 1].
// The layout must lie inside the rows (the binding checks it); each index and level is read once
// and checked before use (the arrays may be shared memory). Stops at the first bad row, which is
// reported (rows after it may be written or not).
ExpandFault expand_rows(int64_t count, int64_t rows, int64_t stride, int64_t cols, const float* src,
                        const uint32_t* indices, int64_t parts, const int32_t* layout, float* dst,
                        float* targets);

}  // namespace densenode
