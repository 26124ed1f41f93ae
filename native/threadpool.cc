#include "threadpool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DN_PAUSE() _mm_pause()
#else
#define DN_PAUSE() ((void)0)
#endif

namespace densenode {
namespace {

// How long a worker spins for the next job before sleeping on the condvar:
// training issues gemms back to back and a futex wake-up costs tens of us.
// Overridable with DENSENODE_SPIN_US (0 = never spin) for measurement.
int spin_micros() {
  static const int us = [] {
    const char* env = std::getenv("DENSENODE_SPIN_US");
    return env ? std::atoi(env) : 50;
  }();
  return us;
}

class Pool {
 public:
  Pool() { resize(default_threads()); }
  ~Pool() { stop_all(); }

  int threads() const { return nthreads_.load(std::memory_order_relaxed); }

  void resize(int n) {
    if (n < 1) n = 1;
    std::lock_guard<std::mutex> busy(busy_);  // wait for any running job
    stop_all();
    stop_ = false;
    nthreads_.store(n);
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void parallel_for(int64_t count, RangeFn fn, void* ctx) {
    if (count <= 0) return;
    if (count == 1 || threads() == 1 || !busy_.try_lock()) {
      fn(ctx, 0, count);  // inline: pool busy, nested call, or nothing to split
      return;
    }
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = fn;
      ctx_ = ctx;
      count_ = count;
      next_.store(0, std::memory_order_relaxed);
      closed_ = false;
      gen_.store(gen_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    cv_work_.notify_all();
    run_items(fn, ctx, count);
    {
      // Close the job so late wakers skip it, then wait for those inside it.
      std::unique_lock<std::mutex> lk(m_);
      closed_ = true;
      cv_done_.wait(lk, [this] { return participants_ == 0; });
    }
    busy_.unlock();
  }

 private:
  static int default_threads() {
    if (const char* env = std::getenv("DENSENODE_THREADS")) {
      char* end = nullptr;
      long v = std::strtol(env, &end, 10);
      if (end != env && *end == '\0' && v > 0) return v > 1024 ? 1024 : static_cast<int>(v);
    }
    unsigned hc = std::thread::hardware_concurrency();
    return hc ? static_cast<int>(hc) : 1;
  }

  void run_items(RangeFn fn, void* ctx, int64_t count) {
    for (;;) {
      int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= count) return;
      fn(ctx, i, i + 1);
    }
  }

  void worker_loop() {
    uint64_t seen = gen_.load(std::memory_order_acquire);
    for (;;) {
      spin_until_new_job(seen);
      RangeFn fn;
      void* ctx;
      int64_t count;
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_work_.wait(lk, [&] { return stop_ || gen_.load(std::memory_order_relaxed) != seen; });
        if (stop_) return;
        seen = gen_.load(std::memory_order_relaxed);
        if (closed_) continue;  // woke too late: the caller already finished it
        ++participants_;
        fn = fn_;
        ctx = ctx_;
        count = count_;
      }
      run_items(fn, ctx, count);
      std::lock_guard<std::mutex> lk(m_);
      if (--participants_ == 0 && closed_) cv_done_.notify_one();
    }
  }

  void spin_until_new_job(uint64_t seen) const {
    const auto limit = std::chrono::microseconds(spin_micros());
    if (limit.count() <= 0) return;
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
      for (int s = 0; s < 64; ++s) {
        if (gen_.load(std::memory_order_acquire) != seen) return;
        DN_PAUSE();
      }
      if (std::chrono::steady_clock::now() - t0 > limit) return;
    }
  }

  void stop_all() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_work_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex busy_;  // held by the one caller that owns the workers
  std::mutex m_;     // guards the job fields below
  std::condition_variable cv_work_, cv_done_;
  std::vector<std::thread> workers_;
  std::atomic<int> nthreads_{1};
  std::atomic<uint64_t> gen_{0};  // bumped per job; written under m_
  std::atomic<int64_t> next_{0};  // next item index of the current job
  RangeFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t count_ = 0;
  int participants_ = 0;
  bool closed_ = true;
  bool stop_ = false;
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

}  // namespace densenode
