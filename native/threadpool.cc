#include "threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu_budget.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DN_PAUSE() _mm_pause()
#else
#define DN_PAUSE() ((void)0)
#endif

namespace densenode {
namespace {

// How long an idle worker spins for the next job before it sleeps. A training
// step issues a dozen parallel kernels with a few us of serial work between
// them, and on a VM a futex wake-up costs 30-100 us, so a worker that slept
// between two of them joins the second one late. Overridable with
// DENSENODE_SPIN_US (0 = never spin) for measurement; see docs/decisions.md.
int spin_micros() {
  static const int us = [] {
    const char* env = std::getenv("DENSENODE_SPIN_US");
    return env ? std::atoi(env) : 1000;
  }();
  return us;
}

// The job protocol is lock-free: the caller publishes a job by bumping gen_
// to an even value (odd while it writes the fields), workers join by
// incrementing active_ and then re-checking that the job is still open, and
// the caller closes the job and spin-waits for active_ to drain. Joining
// before checking (both seq_cst) means either the worker sees the job closed
// or the caller sees the worker and waits for it; the fields are never
// rewritten while a worker may read them. Mutex + condvar only put idle
// workers to sleep and wake them.
class Pool {
 public:
  Pool() { resize(default_threads()); }
  ~Pool() { stop_all(); }

  int threads() const { return nthreads_.load(std::memory_order_relaxed); }
  bool spinning() const { return sleepers_.load(std::memory_order_relaxed) == 0; }

  bool post_background(BackgroundJob* job) {
    if (threads() == 1 || !spinning()) return false;
    job->next.store(0, std::memory_order_relaxed);
    BackgroundJob* none = nullptr;
    return background_.compare_exchange_strong(none, job);
  }

  // seq_cst on both sides: a worker that saw the job before background_ was cleared is counted
  // in bg_users_ and waited for; one that looked after it sees no job.
  void finish_background(BackgroundJob* job) {
    BackgroundJob* expected = job;
    background_.compare_exchange_strong(expected, nullptr);
    for (;;) {
      const int64_t i = job->next.fetch_add(1, std::memory_order_relaxed);
      if (i >= job->count) break;
      job->fn(job->ctx, i, i + 1);
    }
    wait_until_none(bg_users_);
  }

  void resize(int n) {
    if (n < 1) n = 1;
    std::lock_guard<std::mutex> busy(busy_);  // wait for any running job
    stop_all();
    stop_.store(false);
    nthreads_.store(n);
    seg_.reset(new Segment[n]);
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  }

  void parallel_for(int64_t count, RangeFn fn, void* ctx) {
    if (count <= 0) return;
    if (count == 1 || threads() == 1 || !busy_.try_lock()) {
      fn(ctx, 0, count);  // inline: pool busy, nested call, or nothing to split
      return;
    }
    const uint64_t g = gen_.load(std::memory_order_relaxed);
    gen_.store(g + 1);  // odd: fields being written, nobody may join
    fn_ = fn;
    ctx_ = ctx;
    const int parts = static_cast<int>(std::min<int64_t>(count, threads()));
    for (int p = 0; p < parts; ++p) {
      seg_[p].next.store(count * p / parts, std::memory_order_relaxed);
      seg_[p].end = count * (p + 1) / parts;
    }
    segments_ = parts;
    closed_.store(false);
    gen_.store(g + 2);  // even: published
    if (sleepers_.load() > 0) {
      // Taking the mutex orders this wake-up after a sleeper's predicate check.
      { std::lock_guard<std::mutex> lk(m_); }
      cv_work_.notify_all();
    }
    run_items(0);
    closed_.store(true);
    wait_for_workers();
    busy_.unlock();
  }

 private:
  static int default_threads() {
    if (const char* env = std::getenv("DENSENODE_THREADS")) {
      char* end = nullptr;
      long v = std::strtol(env, &end, 10);
      if (end != env && *end == '\0' && v > 0)
        return v > kMaxThreads ? kMaxThreads : static_cast<int>(v);
    }
    return cpu_budget().threads;
  }

  // Participant `self` first takes the items of its own segment, then helps
  // with the others'. The same thread thus gets the same items call after
  // call (a layer's weights, an optimizer chunk), so they are still in its
  // core's cache; a late or descheduled worker only loses items to the others.
  void run_items(int self) {
    const int parts = segments_;
    for (int k = 0; k < parts; ++k) {
      Segment& seg = seg_[(self + k) % parts];
      for (;;) {
        const int64_t i = seg.next.fetch_add(1, std::memory_order_relaxed);
        if (i >= seg.end) break;
        fn_(ctx_, i, i + 1);
      }
    }
  }

  // The workers counted in `inside` are each running their last item, a few
  // us at most, so spin; yield after a while in case the hypervisor
  // descheduled one.
  static void wait_until_none(const std::atomic<int>& inside) {
    for (int spins = 0; inside.load() != 0; ++spins) {
      if (spins < 20000) {
        DN_PAUSE();
      } else {
        std::this_thread::yield();
      }
    }
  }
  void wait_for_workers() const { wait_until_none(active_); }

  void worker_loop(int self) {
    uint64_t seen = gen_.load();
    for (;;) {
      const uint64_t g = next_job(seen);
      if (g == 0) return;  // stopping
      seen = g;
      active_.fetch_add(1);
      // closed_ before gen_: a closed_ == false written for a newer job comes
      // after that job's odd gen_, which the second load then sees.
      if (!closed_.load() && gen_.load() == g) run_items(self);
      active_.fetch_sub(1);
    }
  }

  // One item of the posted background job, if it has one left; false when there is none.
  bool run_background_item() {
    if (background_.load(std::memory_order_relaxed) == nullptr) return false;  // the usual case
    bg_users_.fetch_add(1);
    BackgroundJob* job = background_.load();
    bool ran = false;
    if (job != nullptr) {
      const int64_t i = job->next.fetch_add(1, std::memory_order_relaxed);
      if (i < job->count) {
        job->fn(job->ctx, i, i + 1);
        ran = true;
      }
    }
    bg_users_.fetch_sub(1);
    return ran;
  }

  // Waits for a published job newer than `seen` and returns its generation,
  // or 0 when the pool stops. Spins first (taking background items while no
  // job is published), then sleeps on the condvar.
  uint64_t next_job(uint64_t seen) {
    const auto limit = std::chrono::microseconds(spin_micros());
    auto t0 = std::chrono::steady_clock::now();
    for (;;) {
      for (int s = 0; s < 64; ++s) {
        if (stop_.load(std::memory_order_relaxed)) return 0;
        const uint64_t g = gen_.load(std::memory_order_acquire);
        if (g != seen && (g & 1) == 0) return g;
        if (run_background_item()) {
          t0 = std::chrono::steady_clock::now();
          continue;
        }
        DN_PAUSE();
      }
      if (std::chrono::steady_clock::now() - t0 > limit) break;
    }
    std::unique_lock<std::mutex> lk(m_);
    sleepers_.fetch_add(1);
    uint64_t g = 0;
    cv_work_.wait(lk, [&] {
      if (stop_.load()) return true;
      g = gen_.load();
      return g != seen && (g & 1) == 0;
    });
    sleepers_.fetch_sub(1);
    return stop_.load() ? 0 : g;
  }

  void stop_all() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_.store(true);
    }
    cv_work_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex busy_;  // held by the one caller that owns the workers
  std::mutex m_;     // only for sleeping and waking workers
  std::condition_variable cv_work_;
  std::vector<std::thread> workers_;
  std::atomic<int> nthreads_{1};
  std::atomic<uint64_t> gen_{0};    // even: job published; odd: being written
  std::atomic<int> active_{0};      // workers inside (or joining) a job
  std::atomic<int> sleepers_{0};    // workers waiting on cv_work_
  std::atomic<bool> closed_{true};  // the caller ran out of items
  std::atomic<bool> stop_{false};
  std::atomic<BackgroundJob*> background_{nullptr};
  std::atomic<int> bg_users_{0};  // workers that may be inside a background item
  // Written by the caller only between an odd and an even gen_, while no
  // worker can be inside the job.
  RangeFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int segments_ = 0;
  // One contiguous run of items per thread (caller = 0), each on its own
  // cache line: next is taken by its owner and by helpers.
  struct alignas(64) Segment {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  std::unique_ptr<Segment[]> seg_;
};

// Function-local static: built on first use, destroyed (workers joined) at
// normal process exit after main() returns.
Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void pool_set_threads(int n) { pool().resize(n); }
int pool_threads() { return pool().threads(); }
void pool_parallel_for(int64_t count, RangeFn fn, void* ctx) {
  pool().parallel_for(count, fn, ctx);
}
bool pool_workers_spinning() { return pool().spinning(); }
bool pool_post_background(BackgroundJob* job) { return pool().post_background(job); }
void pool_finish_background(BackgroundJob* job) { pool().finish_background(job); }

}  // namespace densenode
