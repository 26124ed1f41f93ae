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

/** A range of one update call, and whether the L2 term applies there (a kernel) or not. */
export type Piece = readonly [start: number, end: number, penalised: boolean];

/** Cuts the trainable spans at the kernels' edges: each piece is inside a kernel or outside all. */
export function l2Pieces(spans: readonly Span[], ranges: readonly Span[] | null): Piece[] {
  if (ranges === null) return spans.map(([start, end]) => [start, end, false]);
  const pieces: Piece[] = [];
  for (const [start, end] of spans) {
    let at = start;
    for (const [from, to] of ranges) {
      const a = Math.max(from, at);
      const b = Math.min(to, end);
      if (a >= b) continue;
      if (at < a) pieces.push([at, a, false]);
      pieces.push([a, b, true]);
      at = b;
    }
    if (at < end) pieces.push([at, end, false]);
  }
  return pieces;
}
