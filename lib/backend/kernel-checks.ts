// One check per kernel, mirroring native/binding/*.cc argument for argument:
// sizes, ranges, lengths against the shape, and which outputs may alias. The
// sizes' and numbers' ranges come from the signature table (signatures.ts).
import { invalidArgument, invalidType } from '../errors.js';
import { badLevel, badRowIndex, checkRowIndices, isLevel } from './js/rows.js';
import { lossChecks } from './loss-checks.js';
import { ACTIVATIONS } from './signatures.js';
import { allDisjoint, Check, type Checks, matrixShape, noView, product, span, type View } from './validate.js';

// The updates' optional trailing pair (gradScale, clipValue) from argument `at` on, read only when
// passed. The twin of ReadClipping in native/binding/optimizers.cc.
function clipping(c: Check, args: IArguments, at: number, gradScale: unknown, clipValue: unknown): void {
  if (args.length <= at) return;
  c.num('gradScale', gradScale);
  c.num('clipValue', clipValue);
}

export type { Checks } from './validate.js';

// gatherRows and gatherRowsAhead: the same arguments, the same rules.
function checkGather(
  name: 'gatherRows' | 'gatherRowsAhead',
  count: unknown,
  cols: unknown,
  rows: unknown,
  src: unknown,
  indices: unknown,
  dst: unknown,
): void {
  const c = new Check(name);
  const n = c.dim('count', count);
  const k = c.dim('cols', cols);
  const r = c.dim('rows', rows);
  const ss = c.floats('src', src, product(r, k));
  const is = c.uint32s('indices', indices, n);
  allDisjoint(c, [c.floats('dst', dst, product(n, k))], [ss, is]);
  // The kernels check each index again as they read it (indices may be shared memory).
  checkRowIndices(name, n, r, indices as Uint32Array);
}

/** Throws a TypeError/RangeError naming the first bad argument of a kernel call. */
export const kernelChecks: Checks = {
  setThreads(n) {
    new Check('setThreads').dim('n', n);
  },

  gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue) {
    const c = new Check('gemm');
    c.bool('transA', transA);
    c.bool('transB', transB);
    const rows = c.dim('m', m);
    const cols = c.dim('n', n);
    const depth = c.dim('k', k);
    c.num('alpha', alpha);
    const [aRows, aCols] = transA ? [depth, rows] : [rows, depth];
    const [bRows, bCols] = transB ? [cols, depth] : [depth, cols];
    const ldA = c.leading('lda', lda, aCols, transA ? 'm' : 'k');
    const ldB = c.leading('ldb', ldb, bCols, transB ? 'k' : 'n');
    c.num('beta', beta);
    const ldC = c.leading('ldc', ldc, cols, 'n');
    const a = c.floats('A', A, span(aRows, aCols, ldA));
    const b = c.floats('B', B, span(bRows, bCols, ldB));
    const out = c.floats('C', C, span(rows, cols, ldC));
    let bias: View = noView('bias');
    if (epilogue !== undefined) {
      if (typeof epilogue !== 'object' || epilogue === null) throw invalidType('gemm', 'epilogue', 'an object', epilogue);
      if (epilogue.bias !== undefined) bias = c.optionalFloats('bias', epilogue.bias, cols);
      if (epilogue.activation !== undefined) c.oneOf('activation', epilogue.activation, ['none', 'relu']);
    }
    allDisjoint(c, [out], [a, b, bias]);
  },

  batchNormForwardTrain(
    batch,
    features,
    x,
    gamma,
    beta,
    epsilon,
    momentum,
    runningMean,
    runningVar,
    savedMean,
    savedInvStd,
    y,
    relu,
    mask,
    keep,
  ) {
    const c = new Check('batchNormForwardTrain');
    const n = c.dim('batch', batch);
    const f = c.dim('features', features);
    const xs = c.floats('x', x, product(n, f));
    const g = c.floats('gamma', gamma, f);
    const b = c.floats('beta', beta, f);
    c.num('epsilon', epsilon);
    c.num('momentum', momentum);
    const rm = c.floats('runningMean', runningMean, f);
    const rv = c.floats('runningVar', runningVar, f);
    const sm = c.floats('savedMean', savedMean, f);
    const si = c.floats('savedInvStd', savedInvStd, f);
    const ys = c.floats('y', y, product(n, f));
    c.bool('relu', relu);
    // mask and keep are optional together (13 or 15 arguments, as in the binding).
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    const fused = arguments.length > 13;
    const ms = fused ? c.optionalBytes('mask', mask, product(n, f)) : noView('mask');
    if (fused) c.num('keep', keep);
    allDisjoint(c, [rm, rv, sm, si, ys], [xs, g, b, ms], [[ys, xs]]);
  },

  batchNormForwardInfer(batch, features, x, gamma, beta, runningMean, runningVar, epsilon, y, relu) {
    const c = new Check('batchNormForwardInfer');
    const n = c.dim('batch', batch);
    const f = c.dim('features', features);
    const xs = c.floats('x', x, product(n, f));
    const inputs = [xs, c.floats('gamma', gamma, f), c.floats('beta', beta, f)];
    inputs.push(c.floats('runningMean', runningMean, f), c.floats('runningVar', runningVar, f));
    c.num('epsilon', epsilon);
    const ys = c.floats('y', y, product(n, f));
    c.bool('relu', relu);
    allDisjoint(c, [ys], inputs, [[ys, xs]]);
  },

  batchNormBackward(batch, features, x, y, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, dyScale) {
    const c = new Check('batchNormBackward');
    const n = c.dim('batch', batch);
    const f = c.dim('features', features);
    const inputs = [c.floats('x', x, product(n, f)), c.optionalFloats('y', y, product(n, f))];
    const dys = c.floats('dy', dy, product(n, f));
    inputs.push(dys, c.floats('gamma', gamma, f), c.floats('savedMean', savedMean, f), c.floats('savedInvStd', savedInvStd, f));
    const dxs = c.floats('dx', dx, product(n, f));
    const dgs = c.floats('dgamma', dgamma, f);
    const dbs = c.floats('dbeta', dbeta, f);
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    if (arguments.length > 11) c.num('dyScale', dyScale);
    allDisjoint(c, [dxs, dgs, dbs], inputs, [[dxs, dys]]);
  },

  activationForward(kind, count, x, y, slope) {
    const c = new Check('activationForward');
    c.oneOf('kind', kind, ACTIVATIONS);
    const n = c.dim('count', count);
    const xs = c.floats('x', x, n);
    const ys = c.floats('y', y, n);
    c.num('slope', slope);
    allDisjoint(c, [ys], [xs], [[ys, xs]]);
  },

  activationBackward(kind, count, y, dy, dx, slope) {
    const c = new Check('activationBackward');
    c.oneOf('kind', kind, ACTIVATIONS);
    const n = c.dim('count', count);
    const ys = c.floats('y', y, n);
    const dys = c.floats('dy', dy, n);
    const dxs = c.floats('dx', dx, n);
    c.num('slope', slope);
    allDisjoint(c, [dxs], [ys, dys], [[dxs, dys]]);
  },

  softmaxForward(rows, cols, x, y) {
    const c = new Check('softmaxForward');
    const { count } = matrixShape(c, rows, cols);
    const xs = c.floats('x', x, count);
    const ys = c.floats('y', y, count);
    allDisjoint(c, [ys], [xs], [[ys, xs]]);
  },

  softmaxBackward(rows, cols, y, dy, dx) {
    const c = new Check('softmaxBackward');
    const { count } = matrixShape(c, rows, cols);
    const ys = c.floats('y', y, count);
    const dys = c.floats('dy', dy, count);
    const dxs = c.floats('dx', dx, count);
    allDisjoint(c, [dxs], [ys, dys], [[dxs, dys]]);
  },

  ...lossChecks,

  dropoutApply(count, x, mask, keep, y) {
    const c = new Check('dropoutApply');
    const n = c.dim('count', count);
    const xs = c.floats('x', x, n);
    const ms = c.bytes('mask', mask, n);
    c.num('keep', keep);
    const ys = c.floats('y', y, n);
    allDisjoint(c, [ys], [xs, ms], [[ys, xs]]);
  },

  dropoutMask(count, keep, state, mask) {
    const c = new Check('dropoutMask');
    const n = c.dim('count', count);
    c.num('keep', keep);
    const ss = c.uint32s('state', state, 4);
    const ms = c.bytes('mask', mask, n);
    allDisjoint(c, [ms], [ss], []);
    const words = state as Uint32Array;
    if ((words[0] | words[1] | words[2] | words[3]) === 0) {
      throw invalidArgument(RangeError, 'dropoutMask', 'state', 'four 32-bit words, not all 0', 'all 0');
    }
  },

  columnSums(rows, cols, x, ld, alpha, beta, out) {
    const c = new Check('columnSums');
    const r = c.dim('rows', rows);
    const k = c.dim('cols', cols);
    const l = c.leading('ld', ld, k, 'cols');
    const xs = c.floats('x', x, span(r, k, l));
    c.num('alpha', alpha);
    c.num('beta', beta);
    allDisjoint(c, [c.floats('out', out, k)], [xs]);
  },

  gatherRows(count, cols, rows, src, indices, dst) {
    checkGather('gatherRows', count, cols, rows, src, indices, dst);
  },

  gatherRowsAhead(count, cols, rows, src, indices, dst) {
    checkGather('gatherRowsAhead', count, cols, rows, src, indices, dst);
  },

  gatherRowsSettle() {},

  expandRows(count, rows, stride, cols, src, indices, parts, layout, dst, targets) {
    const c = new Check('expandRows');
    const n = c.dim('count', count);
    const r = c.dim('rows', rows);
    const s = c.dim('stride', stride);
    const k = c.dim('cols', cols);
    const ss = c.floats('src', src, product(r, s));
    const is = c.uint32s('indices', indices, n);
    const p = c.dim('parts', parts);
    const ls = c.int32s('layout', layout, 3 * p);
    allDisjoint(c, [c.floats('dst', dst, product(n, k)), c.floats('targets', targets, n)], [ss, is, ls]);
    const triples = layout as Int32Array;
    for (let q = 0; q < p; q++) {
      const [from, into, width] = [triples[3 * q] as number, triples[3 * q + 1] as number, triples[3 * q + 2] as number];
      if (width === 0 || from < 0 || from + Math.max(width, 1) > s - 1 || into < 0 || into + Math.abs(width) > k) {
        const what = `(from, into, n) triples with n != 0 inside a stored row of ${s - 1} features and a row of ${k}`;
        throw invalidArgument(RangeError, 'expandRows', 'layout', what, `(${from}, ${into}, ${width}) at part ${q}`);
      }
    }
    // The kernels check each index and level again as they read it (the arrays may be shared memory).
    const ix = indices as Uint32Array;
    const rowsOf = src as Float32Array;
    for (let i = 0; i < n; i++) {
      const row = ix[i] as number;
      if (row >= r) throw badRowIndex('expandRows', r, row, i);
      for (let q = 0; q < p; q++) {
        const width = -(triples[3 * q + 2] as number);
        if (width < 0) continue;
        const level = rowsOf[row * s + (triples[3 * q] as number)] as number;
        if (!isLevel(level, width)) throw badLevel(width, level, row, q);
      }
    }
  },

  axpy(count, a, x, y) {
    const c = new Check('axpy');
    const n = c.dim('count', count);
    c.num('a', a);
    const xs = c.floats('x', x, n);
    allDisjoint(c, [c.floats('y', y, n)], [xs]);
  },

  findNonFinite(count, x) {
    const c = new Check('findNonFinite');
    c.floats('x', x, c.dim('count', count));
  },

  sumOfSquares(count, x, clipValue) {
    const c = new Check('sumOfSquares');
    c.floats('x', x, c.dim('count', count));
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    if (arguments.length > 2) c.num('clipValue', clipValue);
  },

  sgdUpdate(count, params, grads, lr, weightDecay, l2, gradScale, clipValue) {
    const c = new Check('sgdUpdate');
    const n = c.dim('count', count);
    const arrays = [c.floats('params', params, n), c.floats('grads', grads, n)];
    c.num('lr', lr);
    c.num('weightDecay', weightDecay);
    c.num('l2', l2);
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    clipping(c, arguments, 6, gradScale, clipValue);
    allDisjoint(c, arrays, []);
  },

  momentumUpdate(count, params, grads, velocity, lr, beta1, weightDecay, l2, gradScale, clipValue) {
    const c = new Check('momentumUpdate');
    const n = c.dim('count', count);
    const arrays = [c.floats('params', params, n), c.floats('grads', grads, n), c.floats('velocity', velocity, n)];
    c.num('lr', lr);
    c.num('beta1', beta1);
    c.num('weightDecay', weightDecay);
    c.num('l2', l2);
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    clipping(c, arguments, 8, gradScale, clipValue);
    allDisjoint(c, arrays, []);
  },

  rmspropUpdate(count, params, grads, square, lr, beta2, epsilon, weightDecay, l2, gradScale, clipValue) {
    const c = new Check('rmspropUpdate');
    const n = c.dim('count', count);
    const arrays = [c.floats('params', params, n), c.floats('grads', grads, n), c.floats('square', square, n)];
    c.num('lr', lr);
    c.num('beta2', beta2);
    c.num('epsilon', epsilon);
    c.num('weightDecay', weightDecay);
    c.num('l2', l2);
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    clipping(c, arguments, 9, gradScale, clipValue);
    allDisjoint(c, arrays, []);
  },

  adamUpdate(count, params, grads, m, v, lr, beta1, beta2, epsilon, step, weightDecay, l2, gradScale, clipValue) {
    const c = new Check('adamUpdate');
    const n = c.dim('count', count);
    const arrays = [c.floats('params', params, n), c.floats('grads', grads, n), c.floats('m', m, n), c.floats('v', v, n)];
    c.num('lr', lr);
    c.num('beta1', beta1);
    c.num('beta2', beta2);
    c.num('epsilon', epsilon);
    c.dim('step', step);
    c.num('weightDecay', weightDecay);
    c.num('l2', l2);
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    clipping(c, arguments, 12, gradScale, clipValue);
    allDisjoint(c, arrays, []);
  },
};
