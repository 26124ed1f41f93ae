// One check per kernel, mirroring native/binding/*.cc argument for argument:
// sizes, ranges, lengths against the shape, and which outputs may alias.
import { invalidArgument, invalidType } from '../errors.js';
import type { Backend } from './backend.js';
import { Check, noView, product, span, type View } from './validate.js';

type Args<K extends keyof Backend> = Backend[K] extends (...args: infer P) => unknown ? P : never;
type Checks = { [K in Exclude<keyof Backend, 'name' | 'info'>]: (...args: Args<K>) => void };

const ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'] as const;

// Every pair of outputs and inputs must be disjoint, except the allowed in-place pairs.
function allDisjoint(c: Check, outputs: View[], inputs: View[], inPlace: [View, View][] = []): void {
  for (const out of outputs) {
    for (const other of [...outputs, ...inputs]) {
      if (other === out) continue;
      const allowed = inPlace.some(([a, b]) => a === out && b === other);
      c.disjoint(out, other, allowed);
    }
  }
}

function lossArrays(c: Check, rows: unknown, cols: unknown, minCols: number) {
  const r = c.size('rows', rows);
  const k = c.size('cols', cols, minCols);
  return { r, k, count: product(r, k) };
}

// A loss against dense targets y (rows, cols, z, y, scale, probs, dz); dz may be z itself.
// The twin of LossWithDenseTargets in native/binding/losses.cc.
function checkLossWithDenseTargets(
  fn: string,
  minCols: number,
  rows: unknown,
  cols: unknown,
  z: unknown,
  y: unknown,
  scale: unknown,
  probs: unknown,
  dz: unknown,
): void {
  const c = new Check(fn);
  const { count } = lossArrays(c, rows, cols, minCols);
  const zs = c.floats('z', z, count);
  const ys = c.floats('y', y, count);
  c.scalar('scale', scale);
  const ps = c.optionalFloats('probs', probs, count);
  const dzs = c.optionalFloats('dz', dz, count);
  allDisjoint(c, [ps, dzs], [zs, ys], [[dzs, zs]]);
}

/** Throws a TypeError/RangeError naming the first bad argument of a kernel call. */
export const kernelChecks: Checks = {
  setThreads(n) {
    new Check('setThreads').size('n', n, 1, 256);
  },

  gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue) {
    const c = new Check('gemm');
    c.bool('transA', transA);
    c.bool('transB', transB);
    const rows = c.size('m', m);
    const cols = c.size('n', n);
    const depth = c.size('k', k);
    c.scalar('alpha', alpha);
    const [aRows, aCols] = transA ? [depth, rows] : [rows, depth];
    const [bRows, bCols] = transB ? [cols, depth] : [depth, cols];
    const ldA = c.leading('lda', lda, aCols, transA ? 'm' : 'k');
    const ldB = c.leading('ldb', ldb, bCols, transB ? 'k' : 'n');
    c.scalar('beta', beta);
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
    const n = c.size('batch', batch, 1);
    const f = c.size('features', features);
    const xs = c.floats('x', x, product(n, f));
    const g = c.floats('gamma', gamma, f);
    const b = c.floats('beta', beta, f);
    c.scalarIn('epsilon', epsilon, 0, 1, true);
    c.scalarIn('momentum', momentum, 0, 1);
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
    if (fused) c.scalarIn('keep', keep, 0, 1, true);
    allDisjoint(c, [rm, rv, sm, si, ys], [xs, g, b, ms], [[ys, xs]]);
  },

  batchNormForwardInfer(batch, features, x, gamma, beta, runningMean, runningVar, epsilon, y, relu) {
    const c = new Check('batchNormForwardInfer');
    const n = c.size('batch', batch);
    const f = c.size('features', features);
    const xs = c.floats('x', x, product(n, f));
    const inputs = [xs, c.floats('gamma', gamma, f), c.floats('beta', beta, f)];
    inputs.push(c.floats('runningMean', runningMean, f), c.floats('runningVar', runningVar, f));
    c.scalarIn('epsilon', epsilon, 0, 1, true);
    const ys = c.floats('y', y, product(n, f));
    c.bool('relu', relu);
    allDisjoint(c, [ys], inputs, [[ys, xs]]);
  },

  batchNormBackward(batch, features, x, y, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, dyScale) {
    const c = new Check('batchNormBackward');
    const n = c.size('batch', batch, 1);
    const f = c.size('features', features);
    const inputs = [c.floats('x', x, product(n, f)), c.optionalFloats('y', y, product(n, f))];
    const dys = c.floats('dy', dy, product(n, f));
    inputs.push(dys, c.floats('gamma', gamma, f), c.floats('savedMean', savedMean, f), c.floats('savedInvStd', savedInvStd, f));
    const dxs = c.floats('dx', dx, product(n, f));
    const dgs = c.floats('dgamma', dgamma, f);
    const dbs = c.floats('dbeta', dbeta, f);
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    if (arguments.length > 11) c.scalarIn('dyScale', dyScale, 0, 1e6, true);
    allDisjoint(c, [dxs, dgs, dbs], inputs, [[dxs, dys]]);
  },

  activationForward(kind, count, x, y, slope) {
    const c = new Check('activationForward');
    c.oneOf('kind', kind, ACTIVATIONS);
    const n = c.size('count', count);
    const xs = c.floats('x', x, n);
    const ys = c.floats('y', y, n);
    c.scalarIn('slope', slope, 0, 1, false, true);
    allDisjoint(c, [ys], [xs], [[ys, xs]]);
  },

  activationBackward(kind, count, y, dy, dx, slope) {
    const c = new Check('activationBackward');
    c.oneOf('kind', kind, ACTIVATIONS);
    const n = c.size('count', count);
    const ys = c.floats('y', y, n);
    const dys = c.floats('dy', dy, n);
    const dxs = c.floats('dx', dx, n);
    c.scalarIn('slope', slope, 0, 1, false, true);
    allDisjoint(c, [dxs], [ys, dys], [[dxs, dys]]);
  },

  softmaxForward(rows, cols, x, y) {
    const c = new Check('softmaxForward');
    const { count } = lossArrays(c, rows, cols, 1);
    const xs = c.floats('x', x, count);
    const ys = c.floats('y', y, count);
    allDisjoint(c, [ys], [xs], [[ys, xs]]);
  },

  softmaxBackward(rows, cols, y, dy, dx) {
    const c = new Check('softmaxBackward');
    const { count } = lossArrays(c, rows, cols, 1);
    const ys = c.floats('y', y, count);
    const dys = c.floats('dy', dy, count);
    const dxs = c.floats('dx', dx, count);
    allDisjoint(c, [dxs], [ys, dys], [[dxs, dys]]);
  },

  sigmoidCrossEntropy(rows, cols, z, y, scale, probs, dz) {
    checkLossWithDenseTargets('sigmoidCrossEntropy', 0, rows, cols, z, y, scale, probs, dz);
  },

  softmaxCrossEntropyLabels(rows, cols, z, labels, scale, probs, dz) {
    const c = new Check('softmaxCrossEntropyLabels');
    const { r, k, count } = lossArrays(c, rows, cols, 1);
    const zs = c.floats('z', z, count);
    const ls = c.int32s('labels', labels, r);
    c.scalar('scale', scale);
    const ps = c.optionalFloats('probs', probs, count);
    const dzs = c.optionalFloats('dz', dz, count);
    for (let i = 0; i < r; i++) {
      const label = labels[i] as number;
      if (label < 0 || label >= k)
        throw new RangeError(`softmaxCrossEntropyLabels: expected class indices in [0, ${k}) for labels, received labels[${i}] = ${label}`);
    }
    allDisjoint(c, [ps, dzs], [zs, ls], [[dzs, zs]]);
  },

  softmaxCrossEntropy(rows, cols, z, y, scale, probs, dz) {
    checkLossWithDenseTargets('softmaxCrossEntropy', 1, rows, cols, z, y, scale, probs, dz);
  },

  meanSquaredError(rows, cols, z, y, scale, dz) {
    const c = new Check('meanSquaredError');
    const { count } = lossArrays(c, rows, cols, 0);
    const zs = c.floats('z', z, count);
    const ys = c.floats('y', y, count);
    c.scalar('scale', scale);
    const dzs = c.optionalFloats('dz', dz, count);
    allDisjoint(c, [dzs], [zs, ys], [[dzs, zs]]);
  },

  dropoutApply(count, x, mask, keep, y) {
    const c = new Check('dropoutApply');
    const n = c.size('count', count);
    const xs = c.floats('x', x, n);
    const ms = c.bytes('mask', mask, n);
    c.scalarIn('keep', keep, 0, 1, true);
    const ys = c.floats('y', y, n);
    allDisjoint(c, [ys], [xs, ms], [[ys, xs]]);
  },

  dropoutMask(count, keep, state, mask) {
    const c = new Check('dropoutMask');
    const n = c.size('count', count);
    c.scalarIn('keep', keep, 0, 1, true);
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
    const r = c.size('rows', rows);
    const k = c.size('cols', cols);
    const l = c.leading('ld', ld, k, 'cols');
    const xs = c.floats('x', x, span(r, k, l));
    c.scalar('alpha', alpha);
    c.scalar('beta', beta);
    allDisjoint(c, [c.floats('out', out, k)], [xs]);
  },

  gatherRows(count, cols, rows, src, indices, dst) {
    const c = new Check('gatherRows');
    const n = c.size('count', count);
    const k = c.size('cols', cols);
    const r = c.size('rows', rows);
    const ss = c.floats('src', src, product(r, k));
    const is = c.uint32s('indices', indices, n);
    allDisjoint(c, [c.floats('dst', dst, product(n, k))], [ss, is]);
    // The kernels check each index again as they read it (indices may be shared memory).
    const ix = indices as Uint32Array;
    for (let i = 0; i < n; i++) {
      const row = ix[i] as number;
      if (row >= r)
        throw invalidArgument(RangeError, 'gatherRows', 'indices', `indices below ${r} (the rows of src)`, `${row} at position ${i}`);
    }
  },

  axpy(count, a, x, y) {
    const c = new Check('axpy');
    const n = c.size('count', count);
    c.scalar('a', a);
    const xs = c.floats('x', x, n);
    allDisjoint(c, [c.floats('y', y, n)], [xs]);
  },

  findNonFinite(count, x) {
    const c = new Check('findNonFinite');
    c.floats('x', x, c.size('count', count));
  },

  sgdUpdate(count, params, grads, lr, weightDecay) {
    const c = new Check('sgdUpdate');
    const n = c.size('count', count);
    const arrays = [c.floats('params', params, n), c.floats('grads', grads, n)];
    c.scalarIn('lr', lr, 0, 1e6);
    c.scalarIn('weightDecay', weightDecay, 0, 1e6);
    allDisjoint(c, arrays, []);
  },

  momentumUpdate(count, params, grads, velocity, lr, beta1, weightDecay) {
    const c = new Check('momentumUpdate');
    const n = c.size('count', count);
    const arrays = [c.floats('params', params, n), c.floats('grads', grads, n), c.floats('velocity', velocity, n)];
    c.scalarIn('lr', lr, 0, 1e6);
    c.scalarIn('beta1', beta1, 0, 1, false, true);
    c.scalarIn('weightDecay', weightDecay, 0, 1e6);
    allDisjoint(c, arrays, []);
  },

  rmspropUpdate(count, params, grads, square, lr, beta2, epsilon, weightDecay) {
    const c = new Check('rmspropUpdate');
    const n = c.size('count', count);
    const arrays = [c.floats('params', params, n), c.floats('grads', grads, n), c.floats('square', square, n)];
    c.scalarIn('lr', lr, 0, 1e6);
    c.scalarIn('beta2', beta2, 0, 1, false, true);
    c.scalarIn('epsilon', epsilon, 0, 1, true);
    c.scalarIn('weightDecay', weightDecay, 0, 1e6);
    allDisjoint(c, arrays, []);
  },

  adamUpdate(count, params, grads, m, v, lr, beta1, beta2, epsilon, step, weightDecay) {
    const c = new Check('adamUpdate');
    const n = c.size('count', count);
    const arrays = [c.floats('params', params, n), c.floats('grads', grads, n), c.floats('m', m, n), c.floats('v', v, n)];
    c.scalarIn('lr', lr, 0, 1e6);
    c.scalarIn('beta1', beta1, 0, 1, false, true);
    c.scalarIn('beta2', beta2, 0, 1, false, true);
    c.scalarIn('epsilon', epsilon, 0, 1, true);
    c.size('step', step, 1);
    c.scalarIn('weightDecay', weightDecay, 0, 1e6);
    allDisjoint(c, arrays, []);
  },
};
