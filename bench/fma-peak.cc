// FMA peak of this CPU in GFLOP/s: each thread runs independent chains of
// acc = acc + x * y on full-width vectors, enough of them to cover the FMA
// latency times the number of FMA pipes, so the pipes never wait on a result.
// Built once per ISA by bench/machine.mjs (-mavx512f -mfma, -mavx2 -mfma, or
// plain for NEON / portable); usage: fma_peak <threads> <seconds> <repetitions>.
// Prints {"threads":…,"lanes":…,"chains":…,"gflops":median,"runs":[…]}.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
constexpr int kBytes = 64;
constexpr int kChains = 16;  // 2 pipes x 4 cycles = 8 in flight; 16 of the 32 zmm registers
#elif defined(__AVX2__)
constexpr int kBytes = 32;
constexpr int kChains = 12;  // Zen 3 / Skylake: 2 pipes x 4-5 cycles; 12 + 2 operands of the 16 ymm
#elif defined(__aarch64__)
constexpr int kBytes = 16;
constexpr int kChains = 24;  // NEON: up to 4 pipes x 4 cycles; 24 + 2 of the 32 q registers
#else
constexpr int kBytes = 16;
constexpr int kChains = 12;  // portable (SSE: a multiply and an add; 16 xmm registers)
#endif
constexpr int kLanes = kBytes / 4;
// The asm operand class that names any vector register of the target.
#if defined(__x86_64__) || defined(__i386__)
#define VECTOR_REGISTER "+v"
#elif defined(__aarch64__)
#define VECTOR_REGISTER "+w"
#endif
typedef float Vec __attribute__((vector_size(kBytes)));

using Clock = std::chrono::steady_clock;

// Runs until `seconds` have passed; returns the FLOPs done. The chains are a
// fixed-size array indexed only in fully unrolled loops, so the compiler keeps each in a register.
static double spin(double seconds, float seed, float* sink) {
  Vec acc[kChains];
#pragma GCC unroll 32
  for (int c = 0; c < kChains; c++) acc[c] = Vec{} + seed * (c + 1);
  // Each chain grows by x * y = 1e-6 a step (in the accumulate form NEON's fmla and x86's
  // vfmadd231ps take without a copy), so in seconds of steps it stays far from overflow and never
  // goes denormal.
  Vec x = Vec{} + 1e-3f;
  const Vec y = Vec{} + 1e-3f;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  long long blocks = 0;
  do {
    for (int i = 0; i < 4096; i++) {
#pragma GCC unroll 32
      for (int c = 0; c < kChains; c++) {
#ifdef VECTOR_REGISTER
        // Empty asm claiming to change x and the chain: the compiler can neither share one x * y
        // between chains (a target without FMA then does a multiply and an add for each) nor fold
        // steps.
        __asm__ volatile("" : VECTOR_REGISTER(x));
        acc[c] = acc[c] + x * y;
        __asm__ volatile("" : VECTOR_REGISTER(acc[c]));
#else
        acc[c] = acc[c] + x * y;
#endif
      }
    }
    blocks++;
  } while (Clock::now() < end);
  Vec total = Vec{};
#pragma GCC unroll 32
  for (int c = 0; c < kChains; c++) total += acc[c];
  float lanes[kLanes];
  __builtin_memcpy(lanes, &total, sizeof lanes);
  for (int l = 1; l < kLanes; l++) lanes[0] += lanes[l];
  *sink = lanes[0];
  return 2.0 * kLanes * kChains * 4096.0 * static_cast<double>(blocks);
}

// One repetition: every thread spins for `seconds`; the rate is the sum of each thread's FLOPs /
// time.
static double repetition(int threads, double seconds) {
  std::vector<double> rates(threads);
  std::vector<float> sinks(threads);
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < threads) {
      }
      const auto start = Clock::now();
      const double flops = spin(seconds, 1.0f + t, &sinks[t]);
      rates[t] = flops / std::chrono::duration<double>(Clock::now() - start).count();
    });
  }
  for (auto& thread : pool) thread.join();
  double sum = 0;
  for (double r : rates) sum += r;
  return sum / 1e9;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: fma_peak <threads> <seconds> <repetitions>\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const double seconds = std::atof(argv[2]);
  const int reps = std::atoi(argv[3]);
  if (threads < 1 || threads > 1024 || !(seconds > 0) || reps < 1) {
    std::fprintf(stderr, "fma_peak: threads 1..1024, seconds > 0, repetitions >= 1\n");
    return 2;
  }
  std::vector<double> runs;
  for (int r = 0; r < reps; r++) runs.push_back(repetition(threads, seconds));
  std::vector<double> sorted = runs;
  std::sort(sorted.begin(), sorted.end());
  std::printf("{\"threads\":%d,\"lanes\":%d,\"chains\":%d,\"gflops\":%.3f,\"runs\":[", threads,
              kLanes, kChains, sorted[sorted.size() / 2]);
  for (size_t i = 0; i < runs.size(); i++) std::printf("%s%.3f", i ? "," : "", runs[i]);
  std::printf("]}\n");
  return 0;
}
