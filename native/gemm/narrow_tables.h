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

}  // namespace narrow
}  // namespace densenode
