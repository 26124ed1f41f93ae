#pragma once
// What every ISA's narrow-n kernel shares: the table of its panel tiles by
// column count, and the driver that covers nr columns in near-equal passes.
// T::run<NV, N> is the ISA's tile of NV vectors a panel column and N columns
// (kernel_*narrow.cc, each built with its own flags; T is local to that file).
#include <array>
#include <cstddef>
#include <utility>

#include "kernels.h"

namespace densenode {
namespace narrow {

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, int, float*, int64_t,
                        const Epilogue&);

template <class T, int NV, std::size_t... I>
constexpr std::array<TileFn, sizeof...(I)> make(std::index_sequence<I...>) {
  return {&T::template run<NV, int(I) + 1>...};
}

// table<T, NV, Cols>()[N - 1] computes N columns, N in 1..Cols.
template <class T, int NV, int Cols>
constexpr std::array<TileFn, Cols> table() {
  return make<T, NV>(std::make_index_sequence<Cols>{});
}

// nr columns in ceil(nr / Cols) near-equal passes over the panel.
template <std::size_t Cols>
inline void passes(const std::array<TileFn, Cols>& tab, int64_t kc, const float* a, int64_t a_cs,
                   const float* b, int64_t b_rs, int mr, int nr, float* c, int64_t ldc,
                   const Epilogue& ep) {
  const int count = (nr + int(Cols) - 1) / int(Cols);
  Epilogue e = ep;
  for (int s = 0, j0 = 0; s < count; ++s) {
    const int w = (nr - j0) / (count - s);
    if (ep.bias) e.bias = ep.bias + j0;
    tab[w - 1](kc, a, a_cs, b + j0, b_rs, mr, c + j0, ldc, e);
    j0 += w;
  }
}

// The one-column kernels (gemv_*, n == 1): the row pointers of a strip of G
// groups of L rows, of which `rows` are real; lanes past them repeat the last
// row (computed, never stored), so no read leaves A.
template <int G, int L>
inline void strip_rows(const float* a, int64_t lda, int rows, const float* (&ar)[G][L]) {
  for (int g = 0; g < G; ++g)
    for (int q = 0; q < L; ++q) ar[g][q] = a + (L * g + q < rows ? L * g + q : rows - 1) * lda;
}

// S::run<g> for the smallest g in [G0, G] with g groups >= `groups`.
template <int G0, int G, class S>
inline void strip_of(int groups, int64_t kc, const float* a, int64_t lda, const float* b,
                     int64_t b_rs, int rows, float* c, int64_t ldc, const Epilogue& e) {
  if constexpr (G0 < G) {
    if (groups > G0) return strip_of<G0 + 1, G, S>(groups, kc, a, lda, b, b_rs, rows, c, ldc, e);
  }
  S::template run<G0>(kc, a, lda, b, b_rs, rows, c, ldc, e);
}

// Rows [0, m) of a one-column product in strips of up to G groups of L rows,
// the last strip only as many groups as it has rows; S::run<g>(kc, a, lda, b,
// b_rs, rows, c, ldc, e) computes one strip of rows <= g * L rows.
template <int L, int G, class S>
void gemv_strips(int64_t kc, const float* a, int64_t lda, const float* b, int64_t b_rs, int64_t m,
                 float* c, int64_t ldc, const Epilogue& ep) {
  const Epilogue e = ep;  // a local copy: a store to C could alias *ep
  for (int64_t i = 0; i < m; i += int64_t(L) * G) {
    const int rows = m - i < L * G ? int(m - i) : L * G;
    strip_of<1, G, S>((rows + L - 1) / L, kc, a + i * lda, lda, b, b_rs, rows, c + i * ldc, ldc, e);
  }
}

}  // namespace narrow
}  // namespace densenode
