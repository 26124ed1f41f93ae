// OpenBLAS cblas_sgemm timed on the shapes bench/gemm.mjs gives it, so the
// GEMM benchmark can print our figures as ratios to OpenBLAS measured in the
// same run. Bench-only: the shipped addon never links OpenBLAS.
//
// usage: openblas_sgemm THREADS SECONDS tA,tB,m,n,k [...]   (tA, tB are 0 or 1)
// prints one JSON object: { corename, threads, gflops: [per shape] }
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" char* openblas_get_corename(void);
extern "C" void openblas_set_num_threads(int);

static double MedianSeconds(int transA, int transB, int m, int n, int k, double budget) {
  std::vector<float> a(static_cast<size_t>(m) * k, 0.5f), b(static_cast<size_t>(k) * n, 0.25f);
  std::vector<float> c(static_cast<size_t>(m) * n, 0.0f);
  auto run = [&] {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a.data(), transA ? m : k,
                b.data(), transB ? k : n, 0.0f, c.data(), n);
  };
  run();
  std::vector<double> times;
  auto start = std::chrono::steady_clock::now();
  while (
      times.size() < 3 ||
      (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < budget &&
       times.size() < 51)) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: openblas_sgemm THREADS SECONDS tA,tB,m,n,k ...\n");
    return 2;
  }
  int threads = std::atoi(argv[1]);
  double budget = std::atof(argv[2]);
  openblas_set_num_threads(threads);
  std::printf("{\"corename\":\"%s\",\"threads\":%d,\"gflops\":[", openblas_get_corename(), threads);
  for (int i = 3; i < argc; ++i) {
    int tA = 0, tB = 0, m = 0, n = 0, k = 0;
    if (std::sscanf(argv[i], "%d,%d,%d,%d,%d", &tA, &tB, &m, &n, &k) != 5) return 2;
    double seconds = MedianSeconds(tA, tB, m, n, k, budget);
    std::printf("%s%.3f", i > 3 ? "," : "", 2.0 * m * n * k / seconds / 1e9);
  }
  std::printf("]}\n");
  return 0;
}
