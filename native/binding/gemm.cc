// gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, bias, relu[, packedB])
// packedBLength(m, n, k), packB(transB, n, k, B, ldb, out)
#include "gemm/gemm.h"

#include "binding/args.h"

namespace densenode::binding {
namespace {

Napi::Value Gemm(const CallInfo& info) {
  Args args(info, "gemm", 15, 16);
  bool transA = args.Bool(0, "transA");
  bool transB = args.Bool(1, "transB");
  int64_t m = args.Size(2, "m");
  int64_t n = args.Size(3, "n");
  int64_t k = args.Size(4, "k");
  float alpha = args.Scalar(5, "alpha");
  // A is k x m when transposed, m x k otherwise; B is n x k or k x n.
  int64_t aRows = transA ? k : m, aCols = transA ? m : k;
  int64_t bRows = transB ? n : k, bCols = transB ? k : n;
  int64_t lda = args.Leading(7, "lda", aCols, transA ? "m" : "k");
  int64_t ldb = args.Leading(9, "ldb", bCols, transB ? "k" : "n");
  float beta = args.Scalar(10, "beta");
  int64_t ldc = args.Leading(12, "ldc", n, "n");
  auto A = args.Floats(6, "A", Span(aRows, aCols, lda));
  auto B = args.Floats(8, "B", Span(bRows, bCols, ldb));
  auto C = args.Floats(11, "C", Span(m, n, ldc));
  auto bias = args.OptionalFloats(13, "bias", n);
  bool relu = args.Bool(14, "relu");
  // A pack is read only where this product would pack B; elsewhere it is ignored.
  const int64_t packed = packed_b_floats(m, n, k);
  View<float> packedB{nullptr, 0, "packedB"};
  if (args.Has(15)) packedB = args.OptionalFloats(15, "packedB", packed);
  if (packed == 0) packedB = View<float>{nullptr, 0, "packedB"};
  args.Disjoint(C, A);
  args.Disjoint(C, B);
  args.Disjoint(C, bias);
  args.Disjoint(C, packedB);
  gemm(transA, transB, m, n, k, alpha, A.data, lda, B.data, ldb, beta, C.data, ldc, bias.data, relu,
       packedB.data);
  return info.Env().Undefined();
}

Napi::Value PackedBLength(const CallInfo& info) {
  Args args(info, "packedBLength", 3);
  int64_t m = args.Size(0, "m");
  int64_t n = args.Size(1, "n");
  int64_t k = args.Size(2, "k");
  return Napi::Number::New(info.Env(), double(packed_b_floats(m, n, k)));
}

Napi::Value PackB(const CallInfo& info) {
  Args args(info, "packB", 6);
  bool transB = args.Bool(0, "transB");
  int64_t n = args.Size(1, "n");
  int64_t k = args.Size(2, "k");
  int64_t bRows = transB ? n : k, bCols = transB ? k : n;
  int64_t ldb = args.Leading(4, "ldb", bCols, transB ? "k" : "n");
  auto B = args.Floats(3, "B", Span(bRows, bCols, ldb));
  // The size of a pack is that of any product it can serve (m above the small-m rows); 0 where
  // no product reads one, and then there is nothing to pack.
  const int64_t need = packed_b_floats(kMaxDim, n, k);
  auto out = args.Floats(5, "out", need);
  args.Disjoint(out, B);
  if (need > 0) pack_b_whole(transB, n, k, B.data, ldb, out.data);
  return info.Env().Undefined();
}

}  // namespace

void RegisterGemm(Napi::Env env, Napi::Object exports) {
  Define<Gemm>(env, exports, "gemm");
  Define<PackedBLength>(env, exports, "packedBLength");
  Define<PackB>(env, exports, "packB");
}

}  // namespace densenode::binding
