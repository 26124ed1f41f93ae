#pragma once
// The entry points an ISA's register-tile kernel exposes (kernels.h): the
// full MR x (2W) tile, the MR x W half tile, and exact mr x nr edge tiles
// from a table of row counts. T::run<NV, ROWS, PackedA, Masked>(kc, a, al, b,
// b_step, c, ldc, ep, nr) is the ISA's tile (W floats a vector, NV vectors a
// row); included by the ISA's kernel file, built with its flags.
#include <array>
#include <cstddef>
#include <utility>

#include "kernels.h"

namespace densenode {
namespace tiles {

using EdgeFn = void (*)(int64_t, const float*, ALayout, const float*, int64_t, float*, int64_t,
                        const Epilogue&, int);

template <class T, int MR, int W>
struct Entries {
  template <int NV, bool PackedA, std::size_t... I>
  static constexpr std::array<EdgeFn, sizeof...(I)> edges(std::index_sequence<I...>) {
    return {&T::template run<NV, int(I) + 1, PackedA, true>...};
  }
  // [NV-1][PackedA] -> kernels for 1..MR rows.
  static constexpr std::array<EdgeFn, MR> kEdge[2][2] = {
      {edges<1, false>(std::make_index_sequence<MR>{}),
       edges<1, true>(std::make_index_sequence<MR>{})},
      {edges<2, false>(std::make_index_sequence<MR>{}),
       edges<2, true>(std::make_index_sequence<MR>{})}};

  // al.rs == 1: A contiguous along the rows (packed sliver or transposed A).
  template <int NV>
  static void whole(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step,
                    float* c, int64_t ldc, const Epilogue& ep) {
    if (al.rs == 1)
      T::template run<NV, MR, true, false>(kc, a, al, b, b_step, c, ldc, ep, NV * W);
    else
      T::template run<NV, MR, false, false>(kc, a, al, b, b_step, c, ldc, ep, NV * W);
  }

  static void edge(int64_t kc, const float* a, ALayout al, const float* b, int64_t b_step, float* c,
                   int64_t ldc, const Epilogue& ep, int mr, int nr) {
    kEdge[nr > W][al.rs == 1][mr - 1](kc, a, al, b, b_step, c, ldc, ep, nr);
  }
};

}  // namespace tiles
}  // namespace densenode
