// Standalone correctness test for densenode::gemm against a float64 reference.
// Run once per ISA: DENSENODE_ISA=portable|avx2|avx512 ./gemm_test on x86-64,
// DENSENODE_ISA=portable|neon on arm64.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "cpu.h"
#include "gemm/gemm.h"
#include "gemm/pack.h"
#include "threadpool.h"

using densenode::gemm;

namespace {

int g_pass = 0, g_fail = 0;
std::mt19937_64 rng(12345);

struct Case {
  bool ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  bool bias, relu;
  int64_t pad_a, pad_b, pad_c;  // extra columns in the leading dimensions
  bool nan_c;                   // pre-fill C with NaN (only with beta == 0)
};

struct Data {
  std::vector<float> A, B, C, bias;
  int64_t lda, ldb, ldc;
};

float rnd() { return std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng); }

// Builds inputs; padding columns of C hold a sentinel to detect stray writes.
Data make(const Case& c) {
  Data d;
  const int64_t arows = c.ta ? c.k : c.m, acols = c.ta ? c.m : c.k;
  const int64_t brows = c.tb ? c.n : c.k, bcols = c.tb ? c.k : c.n;
  d.lda = acols + c.pad_a;
  d.ldb = bcols + c.pad_b;
  d.ldc = c.n + c.pad_c;
  // Exact-size allocations: the last row has no padding, so any read past
  // the matrix shows up under AddressSanitizer.
  d.A.resize((arows - 1) * d.lda + acols);
  d.B.resize((brows - 1) * d.ldb + bcols);
  d.C.resize((c.m - 1) * d.ldc + c.n);
  for (auto& v : d.A) v = rnd();
  for (auto& v : d.B) v = rnd();
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < d.ldc && i * d.ldc + j < int64_t(d.C.size()); ++j)
      d.C[i * d.ldc + j] = j < c.n ? (c.nan_c ? std::numeric_limits<float>::quiet_NaN() : rnd()) : 777.0f;
  if (c.bias) {
    d.bias.resize(c.n);
    for (auto& v : d.bias) v = rnd();
  }
  return d;
}

void run(const Case& c, Data& d) {
  gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, d.A.data(), d.lda, d.B.data(), d.ldb, c.beta, d.C.data(),
       d.ldc, c.bias ? d.bias.data() : nullptr, c.relu);
}

// Compares d.C (after run) with the float64 reference computed from C0. op(A)
// rows and op(B) columns are first copied into contiguous float64 arrays: the
// strided walk down B's columns made this check ~80% of the test's run time.
bool check(const Case& c, const Data& d, const std::vector<float>& C0, const char* what) {
  const double eps = std::numeric_limits<float>::epsilon();
  std::vector<double> a(c.m * c.k), bt(c.n * c.k);
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t p = 0; p < c.k; ++p) a[i * c.k + p] = c.ta ? d.A[p * d.lda + i] : d.A[i * d.lda + p];
  for (int64_t j = 0; j < c.n; ++j)
    for (int64_t p = 0; p < c.k; ++p) bt[j * c.k + p] = c.tb ? d.B[j * d.ldb + p] : d.B[p * d.ldb + j];
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < d.ldc && i * d.ldc + j < int64_t(d.C.size()); ++j) {
      const float got = d.C[i * d.ldc + j];
      if (j >= c.n) {
        if (got != 777.0f) {
          std::printf("FAIL %s: wrote padding C[%lld][%lld]\n", what, (long long)i, (long long)j);
          return false;
        }
        continue;
      }
      // Four partial sums: independent add chains instead of one latency-bound chain.
      const double* ar = a.data() + i * c.k;
      const double* br = bt.data() + j * c.k;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
      int64_t p = 0;
      for (; p + 4 <= c.k; p += 4) {
        const double q0 = ar[p] * br[p], q1 = ar[p + 1] * br[p + 1];
        const double q2 = ar[p + 2] * br[p + 2], q3 = ar[p + 3] * br[p + 3];
        s0 += q0;
        s1 += q1;
        s2 += q2;
        s3 += q3;
        m0 += std::fabs(q0);
        m1 += std::fabs(q1);
        m2 += std::fabs(q2);
        m3 += std::fabs(q3);
      }
      for (; p < c.k; ++p) {
        s0 += ar[p] * br[p];
        m0 += std::fabs(ar[p] * br[p]);
      }
      double acc = (s0 + s1) + (s2 + s3);
      double mag = (m0 + m1) + (m2 + m3);
      double ref = double(c.alpha) * acc;
      mag *= std::fabs(c.alpha);
      if (c.beta != 0.0f) {
        ref += double(c.beta) * C0[i * d.ldc + j];
        mag += std::fabs(c.beta * C0[i * d.ldc + j]);
      }
      if (c.bias) {
        ref += d.bias[j];
        mag += std::fabs(d.bias[j]);
      }
      if (c.relu && ref < 0) ref = 0;
      // Error bound of a length-k float32 dot product plus the epilogue ops.
      const double tol = 2.0 * eps * double(c.k + 4) * mag + 1e-30;
      if (!(std::fabs(got - ref) <= tol)) {
        std::printf("FAIL %s: ta=%d tb=%d m=%lld n=%lld k=%lld alpha=%g beta=%g bias=%d relu=%d "
                    "C[%lld][%lld]=%.9g ref=%.9g tol=%.3g\n",
                    what, c.ta, c.tb, (long long)c.m, (long long)c.n, (long long)c.k, c.alpha, c.beta,
                    c.bias, c.relu, (long long)i, (long long)j, got, ref, tol);
        return false;
      }
    }
  }
  return true;
}

void expect(bool ok) { ok ? ++g_pass : ++g_fail; }

void test_case(const Case& c, const char* what) {
  Data d = make(c);
  const std::vector<float> C0 = d.C;
  run(c, d);
  expect(check(c, d, C0, what));
}

// Same inputs with 1 and 2 pool threads (and 2 threads again): bitwise equal.
void test_threads_bitwise(const Case& c) {
  Data d = make(c);
  const std::vector<float> C0 = d.C;
  densenode::pool_set_threads(1);
  run(c, d);
  const std::vector<float> one = d.C;
  bool ok = check(c, d, C0, "threads=1");
  for (int t : {2, 3}) {
    densenode::pool_set_threads(t);
    d.C = C0;
    run(c, d);
    if (std::memcmp(one.data(), d.C.data(), one.size() * sizeof(float)) != 0) {
      std::printf("FAIL bitwise: threads=%d differs from 1 (m=%lld n=%lld k=%lld)\n", t,
                  (long long)c.m, (long long)c.n, (long long)c.k);
      ok = false;
    }
  }
  densenode::pool_set_threads(2);
  expect(ok);
}

// Several caller threads hammer the pool at once (like Node worker_threads):
// every result must equal the single-caller one bitwise, with no deadlock.
void test_concurrent_callers() {
  const Case c{false, true, 300, 200, 150, 1.0f, 0.0f, true, true, 0, 0, 0, false};
  Data ref = make(c);
  run(c, ref);
  bool ok = true;
  std::vector<std::thread> ts;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      Data d = ref;
      for (int it = 0; it < 30; ++it) {
        std::fill(d.C.begin(), d.C.end(), 1.0f);
        run(c, d);
        if (std::memcmp(d.C.data(), ref.C.data(), d.C.size() * sizeof(float)) != 0) bad[t] = 1;
      }
    });
  }
  for (auto& t : ts) t.join();
  for (int b : bad) ok = ok && !b;
  if (!ok) std::printf("FAIL concurrent callers\n");
  expect(ok);
}

}  // namespace

// A row of C must not depend on how many rows were computed with it: the rows of
// a product, computed 1..4 at a time (the small-m path), equal the full product's
// bit for bit (the main, edge and narrow paths), for both A layouts, every
// epilogue and K spanning several blocks. This is what makes predict() of one
// row give exactly the answer it gives inside a batch.
void test_row_split() {
  const int64_t ns[] = {1, 5, 16, 17, 33, 64, 100, 300};
  const int64_t ks[] = {1, 30, 513, 1100};
  int idx = 0;
  for (bool ta : {false, true})
    for (int64_t n : ns)
      for (int64_t k : ks) {
        ++idx;
        const int64_t m = 37;
        const float alpha = idx % 3 == 0 ? -0.5f : 1.0f, beta = idx % 4 == 0 ? 0.3f : 0.0f;
        const bool bias = idx % 2 == 0, relu = idx % 5 < 2;
        std::vector<float> A(m * k), B(k * n), bv(n), C0(m * n);
        for (auto& x : A) x = rnd();
        for (auto& x : B) x = rnd();
        for (auto& x : bv) x = rnd();
        for (auto& x : C0) x = rnd();
        const int64_t lda = ta ? m : k;
        std::vector<float> full = C0;
        gemm(ta, false, m, n, k, alpha, A.data(), lda, B.data(), n, beta, full.data(), n,
             bias ? bv.data() : nullptr, relu);
        std::vector<float> parts = C0;
        for (int64_t i0 = 0, rows = 1; i0 < m; i0 += rows, rows = rows % 4 + 1) {
          const int64_t r = std::min(rows, m - i0);
          const float* a = ta ? A.data() + i0 : A.data() + i0 * lda;
          gemm(ta, false, r, n, k, alpha, a, lda, B.data(), n, beta, parts.data() + i0 * n, n,
               bias ? bv.data() : nullptr, relu);
        }
        const bool same = std::memcmp(full.data(), parts.data(), full.size() * sizeof(float)) == 0;
        if (same) {
          ++g_pass;
        } else {
          ++g_fail;
          std::printf("FAIL row-split ta=%d n=%lld k=%lld\n", ta, (long long)n, (long long)k);
        }
      }
}

// A product reading op(B) from a whole pack (pack_b_whole) gives bitwise the
// result of the same product packing B itself: every path (one row block with
// B packed lazily, several, packed A, a column split over the pool), ragged
// n and K blocks, both storage orders of A and B.
void test_packed_b() {
  const int64_t ms[] = {5, 37, 300, 1030};
  const int64_t ns[] = {17, 33, 100, 300};
  const int64_t ks[] = {1, 30, 513, 1100};
  int idx = 0;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int64_t m : ms)
        for (int64_t n : ns)
          for (int64_t k : ks) {
            if (++idx % 3 != 0 && m == 1030) continue;  // a sample of the slow ones
            const int64_t len = densenode::packed_b_floats(m, n, k);
            // k rows of n columns rounded up to whole slivers (NR <= 32).
            if (len % k != 0 || len / k < n || len / k >= n + 32) {
              ++g_fail;
              std::printf("FAIL packed-b length %lld for n=%lld k=%lld\n", (long long)len,
                          (long long)n, (long long)k);
              continue;
            }
            const float alpha = idx % 3 == 0 ? -0.5f : 1.0f, beta = idx % 4 == 0 ? 0.3f : 0.0f;
            const bool bias = idx % 2 == 0, relu = idx % 5 < 2;
            std::vector<float> A(m * k), B(k * n), bv(n), C0(m * n), P(len, -7.0f);
            for (auto& x : A) x = rnd();
            for (auto& x : B) x = rnd();
            for (auto& x : bv) x = rnd();
            for (auto& x : C0) x = rnd();
            const int64_t lda = ta ? m : k, ldb = tb ? k : n;
            densenode::pack_b_whole(tb, n, k, B.data(), ldb, P.data());
            std::vector<float> plain = C0, packed = C0;
            gemm(ta, tb, m, n, k, alpha, A.data(), lda, B.data(), ldb, beta, plain.data(), n,
                 bias ? bv.data() : nullptr, relu);
            gemm(ta, tb, m, n, k, alpha, A.data(), lda, B.data(), ldb, beta, packed.data(), n,
                 bias ? bv.data() : nullptr, relu, P.data());
            if (std::memcmp(plain.data(), packed.data(), plain.size() * sizeof(float)) == 0) {
              ++g_pass;
            } else {
              ++g_fail;
              std::printf("FAIL packed-b ta=%d tb=%d m=%lld n=%lld k=%lld\n", ta, tb, (long long)m,
                          (long long)n, (long long)k);
            }
          }
  // No pack where the product reads B in place: a few rows, or narrow n.
  const bool none = densenode::packed_b_floats(4, 300, 100) == 0 &&
                    densenode::packed_b_floats(300, 16, 100) == 0 &&
                    densenode::packed_b_floats(300, 17, 0) == 0;
  none ? ++g_pass : ++g_fail;
  if (!none) std::printf("FAIL packed-b: a pack where none is read\n");
}

// The transposing pack (A's slivers from row-major A, B's from transposed B) against a plain
// transpose, at every sliver width to 20 (the ISA's gather for whole vectors and for the
// remainder, MR 6 with AVX2), ragged last slivers and kc tails; nothing past the block is written.
void test_transposing_pack() {
  const densenode::GemmKernels& K = densenode::isa_kernels().gemm;
  const int64_t kcs[] = {1, 7, 8, 9, 16, 23, 40};
  for (int width = 1; width <= 20; ++width)
    for (int64_t kc : kcs)
      for (int64_t mc : {int64_t(1), int64_t(width - 1), int64_t(width), int64_t(2 * width + 3)}) {
        if (mc < 1) continue;
        const int64_t lds = kc + 3, slivers = (mc + width - 1) / width;
        std::vector<float> src(mc * lds), dst(slivers * width * kc + 16, 555.0f);
        for (auto& x : src) x = rnd();
        densenode::pack_a(K, false, src.data(), lds, mc, kc, width, dst.data());
        bool ok = true;
        for (int64_t s = 0; s < slivers; ++s)
          for (int64_t p = 0; p < kc; ++p)
            for (int i = 0; i < width; ++i) {
              const int64_t row = s * width + i;
              const float want = row < mc ? src[row * lds + p] : 0.0f;
              ok = ok && dst[(s * width + 0) * kc + p * width + i] == want;
            }
        for (size_t t = slivers * width * kc; t < dst.size(); ++t) ok = ok && dst[t] == 555.0f;
        expect(ok);
        if (!ok)
          std::printf("FAIL transposing pack width=%d kc=%lld mc=%lld\n", width, (long long)kc,
                      (long long)mc);
      }
}

int main() {
  std::printf("isa=%s threads=%d\n", densenode::gemm_isa(), densenode::pool_threads());
  densenode::pool_set_threads(2);
  test_transposing_pack();
  const float alphas[] = {0.0f, 1.0f, -0.5f}, betas[] = {0.0f, 1.0f, 0.3f};
  std::uniform_int_distribution<int64_t> dim(1, 70), pad(0, 1), padsz(1, 9);

  // Small shapes: every transpose pair x alpha x beta, sampled sizes 1..70.
  for (int t = 0; t < 4; ++t)
    for (float alpha : alphas)
      for (float beta : betas)
        for (int s = 0; s < 40; ++s) {
          Case c{bool(t & 1), bool(t & 2), dim(rng), dim(rng), dim(rng), alpha, beta, bool(s & 1),
                 bool(s & 2), pad(rng) * padsz(rng), pad(rng) * padsz(rng), pad(rng) * padsz(rng),
                 beta == 0.0f && (s % 3 == 0)};
          test_case(c, "small");
        }
  // Full sweep of one dimension at a time (covers every edge remainder).
  for (int t = 0; t < 4; ++t)
    for (int64_t s = 1; s <= 70; ++s) {
      test_case(Case{bool(t & 1), bool(t & 2), s, 37, 29, 1.0f, 0.3f, true, false, 3, 0, 5, false}, "sweep-m");
      test_case(Case{bool(t & 1), bool(t & 2), 23, s, 41, -0.5f, 0.0f, false, true, 0, 2, 0, true}, "sweep-n");
      test_case(Case{bool(t & 1), bool(t & 2), 19, 45, s, 1.0f, 1.0f, true, true, 1, 1, 1, false}, "sweep-k");
    }
  // Odd large sizes across every transpose pair, with and without epilogue.
  for (int t = 0; t < 4; ++t) {
    test_case(Case{bool(t & 1), bool(t & 2), 257, 131, 1029, 1.0f, 0.0f, false, false, 0, 0, 0, true}, "large");
    test_case(Case{bool(t & 1), bool(t & 2), 257, 131, 1029, -0.5f, 0.3f, true, true, 7, 3, 11, false}, "large-ld");
  }
  // Crosses MC, KC and NC block boundaries (n > 4096, m > 2*504, k > 2*256).
  test_case(Case{false, false, 1030, 4130, 530, 1.0f, 0.3f, true, true, 0, 1, 2, false}, "blocks-NN");
  test_case(Case{true, true, 530, 4100, 517, -0.5f, 0.0f, true, false, 5, 0, 0, true}, "blocks-TT");
  // MLP training shapes (batch 128, 784-256-128-10).
  const int64_t dims[] = {784, 256, 128, 10};
  for (int l = 0; l < 3; ++l) {
    const int64_t in = dims[l], out = dims[l + 1];
    test_case(Case{false, false, 128, out, in, 1.0f, 0.0f, true, l < 2, 0, 0, 0, true}, "mlp-fwd");
    test_case(Case{true, false, in, out, 128, 1.0f, 0.0f, false, false, 0, 0, 0, true}, "mlp-dW");
    test_case(Case{false, true, 128, in, out, 1.0f, 0.0f, false, false, 0, 0, 0, true}, "mlp-dX");
  }
  // Narrow-n path (n <= 16) and tiny k: every transpose pair, n and k in
  // 1..16, m across panel edges (32/16/8-row panels), epilogue variants.
  const int64_t ms[] = {1, 5, 8, 15, 16, 17, 31, 32, 33, 47, 64, 100, 129, 300};
  int idx = 0;
  for (int t = 0; t < 4; ++t)
    for (int64_t n = 1; n <= 16; ++n)
      for (int64_t k = 1; k <= 16; ++k, ++idx) {
        const float beta = idx % 3 == 0 ? 0.0f : idx % 3 == 1 ? 1.0f : 0.3f;
        test_case(Case{bool(t & 1), bool(t & 2), ms[idx % 14], n, k, idx % 5 == 4 ? -0.5f : 1.0f, beta,
                       bool(idx & 1), bool(idx & 2), (idx / 2) % 3, (idx / 3) % 2, (idx / 5) % 4,
                       beta == 0.0f}, "narrow-nk");
        // Tiny k with wide n (dX of an output layer).
        test_case(Case{bool(t & 1), bool(t & 2), ms[(idx + 7) % 14], 100 + n, k, 1.0f, beta,
                       bool(idx & 2), bool(idx & 1), 0, idx % 2, 0, beta == 0.0f}, "tiny-k");
      }
  // Narrow path across K blocks (beta on the first only, epilogue on the last).
  for (int t = 0; t < 4; ++t)
    for (int64_t n : {1, 10, 13, 16}) {
      test_case(Case{bool(t & 1), bool(t & 2), 77, n, 1100, 1.0f, 0.3f, true, true, 1, 2, 3, false}, "narrow-kc");
      test_case(Case{bool(t & 1), bool(t & 2), 300, n, 600, -0.5f, 0.0f, true, false, 0, 0, 0, true}, "narrow-kc0");
    }
  // Exact edge tiles: m tails of every size after full 14-row tiles, n tails.
  for (int t = 0; t < 4; ++t)
    for (int64_t m : {112, 113, 118, 120, 121, 127, 128, 130, 140, 141, 155}) {
      test_case(Case{bool(t & 1), bool(t & 2), m, 45, 70, 1.0f, 0.3f, true, true, 2, 1, 3, false}, "edge");
      test_case(Case{bool(t & 1), bool(t & 2), m, 17 + m % 16, 33, 1.0f, 0.0f, false, true, 0, 0, 1, true}, "edge0");
    }
  // Bitwise identity for any thread count, across paths and transposes.
  for (int t = 0; t < 4; ++t) {
    test_threads_bitwise(Case{bool(t & 1), bool(t & 2), 257, 131, 1029, 1.0f, 0.3f, true, true, 0, 0, 0, false});
    test_threads_bitwise(Case{bool(t & 1), bool(t & 2), 128, 784, 256, 1.0f, 0.0f, false, false, 0, 0, 0, true});
    test_threads_bitwise(Case{bool(t & 1), bool(t & 2), 1100, 300, 600, -0.5f, 1.0f, true, false, 3, 0, 1, false});
    // Narrow path, threaded (m*n*k above the small-call threshold).
    for (int64_t n : {1, 10, 13, 16})
      test_threads_bitwise(Case{bool(t & 1), bool(t & 2), 1111, n, 700, 1.0f, 0.0f, true, true, 0, 1, 2, true});
    // Tiny k, threaded; MLP shapes with the 2-thread work split.
    test_threads_bitwise(Case{bool(t & 1), bool(t & 2), 1000, 700, 10, 1.0f, 0.3f, true, false, 0, 0, 0, false});
    test_threads_bitwise(Case{bool(t & 1), bool(t & 2), 128, 256, 784, 1.0f, 0.0f, true, true, 0, 0, 0, true});
    test_threads_bitwise(Case{bool(t & 1), bool(t & 2), 784, 256, 128, 1.0f, 0.0f, false, false, 0, 0, 0, true});
  }
  test_concurrent_callers();

  test_row_split();
  test_packed_b();
  std::printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail ? 1 : 0;
}
