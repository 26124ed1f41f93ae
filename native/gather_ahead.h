#pragma once
// The next mini-batch's rows gathered on an idle pool worker while the caller runs this step's
// kernels: fit starts it before a step and settles it after the update, so the gather leaves the
// step's critical path on two or more threads (docs/decisions.md).
#include <cstdint>
#include <vector>

#include "threadpool.h"

namespace densenode {

class GatherAhead {
 public:
  GatherAhead() = default;
  GatherAhead(const GatherAhead&) = delete;
  GatherAhead& operator=(const GatherAhead&) = delete;
  ~GatherAhead() { settle(); }

  // dst[i, :] = src[indices[i], :] for i < count, as gather_rows. Settles any earlier gather, then
  // checks and copies the indices (the position of one >= rows is returned and nothing is
  // gathered), then posts the copy to the pool, or does it here when no worker is spinning.
  // src and dst must stay valid, and dst untouched, until settle() returns. Returns -1.
  int64_t start(int64_t count, int64_t cols, int64_t rows, const float* src,
                const uint32_t* indices, float* dst);
  // Returns once dst is written (at once when nothing is pending).
  void settle();
  bool pending() const { return posted_; }

 private:
  static void item(void* ctx, int64_t begin, int64_t end);
  void copy(int64_t item_index);

  BackgroundJob job_;
  std::vector<uint32_t> indices_;
  const float* src_ = nullptr;
  float* dst_ = nullptr;
  int64_t count_ = 0, cols_ = 0, rows_ = 0, per_ = 1;  // per_: rows an item
  bool posted_ = false;
};

}  // namespace densenode
