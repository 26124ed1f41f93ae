// OpenBLAS cblas_sgemm timed on request, so bench/gemm.mjs can alternate it
// with densenode repetition by repetition (a shared machine's slow phases,
// which last seconds, then slow both alike). Bench-only: the shipped addon
// never links OpenBLAS.
//
// usage: openblas_sgemm   prints {"corename": ...} on one line, then answers
// each request line "THREADS TA TB M N K SECONDS" (TA, TB 0 or 1) with the
// GFLOP/s of as many back-to-back calls as fill SECONDS (after one warm-up
// call when the shape changes), until end of input.
#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <vector>

extern "C" char* openblas_get_corename(void);
extern "C" void openblas_set_num_threads(int);

namespace {

struct Shape {
  int transA = -1, transB = -1, m = 0, n = 0, k = 0;
  bool operator!=(const Shape& o) const {
    return transA != o.transA || transB != o.transB || m != o.m || n != o.n || k != o.k;
  }
};

// The same fill as bench/timing.mjs's randomFloats: values in [-1, 1).
void fill(std::vector<float>& v, unsigned seed) {
  unsigned state = seed * 2654435761u;
  for (float& x : v) {
    state = state * 1664525u + 1013904223u;
    x = float(state / 4294967296.0 * 2 - 1);
  }
}

}  // namespace

int main() {
  std::printf("{\"corename\":\"%s\"}\n", openblas_get_corename());
  std::fflush(stdout);
  Shape current;
  std::vector<float> a, b, c;
  int threads = 0;
  double seconds = 0;
  Shape s;
  while (std::scanf("%d %d %d %d %d %d %lf", &threads, &s.transA, &s.transB, &s.m, &s.n, &s.k,
                    &seconds) == 7) {
    openblas_set_num_threads(threads);
    auto run = [&] {
      cblas_sgemm(CblasRowMajor, s.transA ? CblasTrans : CblasNoTrans,
                  s.transB ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f, a.data(),
                  s.transA ? s.m : s.k, b.data(), s.transB ? s.k : s.n, 0.0f, c.data(), s.n);
    };
    if (s != current) {
      a.assign(size_t(s.m) * s.k, 0.0f);
      b.assign(size_t(s.k) * s.n, 0.0f);
      c.assign(size_t(s.m) * s.n, 0.0f);
      fill(a, 1);
      fill(b, 2);
      current = s;
      run();
    }
    long calls = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      run();
      ++calls;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds);
    std::printf("%.3f\n", 2.0 * s.m * s.n * s.k * calls / elapsed / 1e9);
    std::fflush(stdout);
  }
  return 0;
}
