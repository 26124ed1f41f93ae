// The coupled L2 term of a step, (λ/m)·W on the Dense kernels, handed to the optimizer so that its
// update kernels add it as they read each gradient (one pass over the arena, not two: the separate
// axpy into the gradients cost 25 ms of a 1.18 s Fashion-MNIST epoch, docs/decisions.md).

import type { Backend } from '../backend/backend.js';

/** A [start, end) range of the parameter arena. */
export type Span = readonly [start: number, end: number];

export interface L2Term {
  /** λ/m: the penalty's coefficient over the batch size. */
  coefficient: number;
  /** Where the penalised weights (the Dense kernels) lie in the arena: sorted, disjoint. */
  ranges: readonly Span[];
}

/** Where each of `kernels` (views of `params`) lies in the arena. */
export function kernelRanges(params: Float32Array, kernels: readonly Float32Array[]): Span[] {
  // The arrays' own element size: gradcheck's twin model runs on Float64Arrays.
  const at = (a: Float32Array) => (a.byteOffset - params.byteOffset) / a.BYTES_PER_ELEMENT;
  return kernels.map((k) => [at(k), at(k) + k.length]);
}

/** grads += (λ/m)·W on the kernels: the term as its own pass, where it cannot be fused. */
export function addToGradients(backend: Backend, params: Float32Array, grads: Float32Array, term: L2Term): void {
  for (const [start, end] of term.ranges)
    backend.axpy(end - start, term.coefficient, params.subarray(start, end), grads.subarray(start, end));
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
