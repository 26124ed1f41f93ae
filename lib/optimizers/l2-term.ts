// The coupled L2 term of a step, (λ/m)·W on the Dense kernels, handed to the optimizer so that its
// update kernels add it as they read each gradient (one pass over the arena, not two: the separate
// axpy into the gradients cost 25 ms of a 1.18 s Fashion-MNIST epoch, docs/decisions.md).

/** A [start, end) range of the parameter arena. */
export type Span = readonly [start: number, end: number];

export interface L2Term {
  /** λ/m: the penalty's coefficient over the batch size. */
  coefficient: number;
  /** Where the penalised weights (the Dense kernels) lie in the arena: sorted, disjoint. */
  ranges: readonly Span[];
}

/** A range of one update call and the L2 coefficient it adds (0 outside the kernels). */
export type Piece = readonly [start: number, end: number, l2: number];

/** Cuts the trainable spans at the kernels' edges: each piece has one L2 coefficient. */
export function l2Pieces(spans: readonly Span[], term: L2Term | null): Piece[] {
  if (term === null || term.coefficient === 0) return spans.map(([start, end]) => [start, end, 0]);
  const pieces: Piece[] = [];
  for (const [start, end] of spans) {
    let at = start;
    for (const [from, to] of term.ranges) {
      const a = Math.max(from, at);
      const b = Math.min(to, end);
      if (a >= b) continue;
      if (at < a) pieces.push([at, a, 0]);
      pieces.push([a, b, term.coefficient]);
      at = b;
    }
    if (at < end) pieces.push([at, end, 0]);
  }
  return pieces;
}
