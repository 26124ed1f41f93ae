// gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, bias, relu)
#include "gemm/gemm.h"

#include "binding/args.h"

namespace densenode::binding {
namespace {

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args args(info, "gemm", 15);
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
  args.Disjoint(C, A);
  args.Disjoint(C, B);
  args.Disjoint(C, bias);
  gemm(transA, transB, m, n, k, alpha, A.data, lda, B.data, ldb, beta, C.data, ldc, bias.data,
       relu);
  return info.Env().Undefined();
}

}  // namespace

void RegisterGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
}

}  // namespace densenode::binding
