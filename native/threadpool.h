#pragma once
#include <atomic>
#include <cstdint>

namespace densenode {

// Work item callback: process items [begin, end) of a parallel_for.
using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);

// One persistent pool per process. Default size: DENSENODE_THREADS (an integer
// 1..kMaxThreads) if set, else the CPUs the process may use (cpu_budget.h:
// affinity and cgroup quota). The size counts the calling thread, so n threads
// = n - 1 workers + the caller.
constexpr int kMaxThreads = 256;
void pool_set_threads(int n);
int pool_threads();

// Runs fn(ctx, i, i + 1) for every i in [0, count), spread over the pool; the
// caller takes part and returns when all items are done. Safe to call from
// several threads at once: if the pool is busy with another caller (or the
// call is nested inside a pool job), the items run inline on the caller.
void pool_parallel_for(int64_t count, RangeFn fn, void* ctx);

// True while no worker is asleep: each is spinning for the next job (it ran
// one within the last DENSENODE_SPIN_US) or busy, so a hand-off costs ~1 us
// instead of a futex wake-up. A hint for sizing work, read without ordering.
bool pool_workers_spinning();

// A job that runs beside the caller's next kernels: idle workers take its items one at a time
// between pool jobs (which come first), so it fills the time a worker would spin through the
// caller's one-thread kernels. The caller owns it until pool_finish_background returns.
struct BackgroundJob {
  RangeFn fn = nullptr;
  void* ctx = nullptr;
  int64_t count = 0;
  std::atomic<int64_t> next{0};  // items claimed
};
// Posts job (next reset to 0) when a worker is spinning and no other background job is posted.
// False: nothing was posted, and the caller runs the items itself.
bool pool_post_background(BackgroundJob* job);
// Unposts a posted job, runs its unclaimed items on the caller and waits for the claimed ones.
void pool_finish_background(BackgroundJob* job);

}  // namespace densenode
